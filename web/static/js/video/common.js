// Video consultations: what the patient's and the clinician's pages share.
// Signalling is plain HTTP: gather every ICE candidate, POST one offer, get one answer.
// Texts come from the page (data-i18n), never from this file.
"use strict";

(function () {
  var app = document.getElementById("video-app");
  if (!app) { return; }

  var config = {
    role: app.dataset.role,
    api: app.dataset.api,
    token: app.dataset.token,
    iceServers: JSON.parse(app.dataset.iceServers || "[]"),
    texts: JSON.parse(app.dataset.i18n || "{}"),
  };

  function t(key) { return config.texts[key] || key; }

  function $(id) { return document.getElementById(id); }

  // --- HTTP ------------------------------------------------------------------------------------

  function api(action, body) {
    return fetch(config.api + "/" + action, {
      method: "POST",
      headers: { "Authorization": "Bearer " + config.token, "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, reason: (data.extra || {}).reason || "" };
      });
    });
  }

  // Server-sent events read with fetch (EventSource cannot send the Authorization header).
  function listen(onEvent) {
    var stopped = false;
    var controller = null;
    var delay = 1000;

    function dispatch(block) {
      var name = "message";
      var data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
        else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
      });
      if (!data.length) { return; }
      var payload = {};
      try { payload = JSON.parse(data.join("\n")); } catch (e) { payload = {}; }
      onEvent(name, payload);
    }

    function connect() {
      if (stopped) { return; }
      controller = new AbortController();
      fetch(config.api + "/events", {
        headers: { "Authorization": "Bearer " + config.token, "Accept": "text/event-stream" },
        credentials: "omit", cache: "no-store", signal: controller.signal,
      }).then(function (response) {
        if (!response.ok || !response.body) {
          onEvent("http_error", { status: response.status });
          if (response.status >= 400 && response.status < 500) { stopped = true; }
          throw new Error("events " + response.status);
        }
        delay = 1000;
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { throw new Error("events closed"); }
            buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
            var end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        if (stopped) { return; }
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      });
    }

    connect();
    return { stop: function () { stopped = true; if (controller) { controller.abort(); } } };
  }

  // --- camera and microphone ------------------------------------------------------------------

  function getMedia(cameraId, micId) {
    var constraints = {
      audio: micId ? { deviceId: { exact: micId } } : true,
      video: cameraId ? { deviceId: { exact: cameraId }, width: { ideal: 640 }, height: { ideal: 480 } }
        : { width: { ideal: 640 }, height: { ideal: 480 } },
    };
    return navigator.mediaDevices.getUserMedia(constraints);
  }

  function fillDevices(cameraSelect, micSelect, stream) {
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var current = {};
      stream.getTracks().forEach(function (track) {
        current[track.kind] = (track.getSettings() || {}).deviceId;
      });
      [[cameraSelect, "videoinput", "video"], [micSelect, "audioinput", "audio"]].forEach(function (item) {
        var select = item[0];
        if (!select) { return; }
        select.textContent = "";
        devices.filter(function (d) { return d.kind === item[1]; }).forEach(function (device, index) {
          var option = document.createElement("option");
          option.value = device.deviceId;
          option.textContent = device.label || (t("default_device") + " " + (index + 1));
          option.selected = device.deviceId === current[item[2]];
          select.appendChild(option);
        });
      });
    });
  }

  function levelMeter(stream, meter, fill) {
    var AudioContextClass = window.AudioContext || window.webkitAudioContext;
    var track = stream.getAudioTracks()[0];
    if (!AudioContextClass || !track) { return { stop: function () {} }; }
    var context = new AudioContextClass();
    var source = context.createMediaStreamSource(new MediaStream([track]));
    var analyser = context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    var running = true;
    function tick() {
      if (!running) { return; }
      analyser.getByteTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) { peak = Math.max(peak, Math.abs(samples[i] - 128)); }
      var level = Math.min(100, Math.round(peak / 128 * 160));
      fill.style.width = level + "%";
      meter.setAttribute("aria-valuenow", String(level));
      requestAnimationFrame(tick);
    }
    if (context.state === "suspended") {
      document.addEventListener("click", function () { context.resume(); }, { once: true });
    }
    tick();
    return { stop: function () { running = false; context.close(); } };
  }

  // --- the peer connection ----------------------------------------------------------------------

  function waitForGathering(pc, timeout) {
    if (pc.iceGatheringState === "complete") { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var timer = setTimeout(resolve, timeout || 5000);
      pc.addEventListener("icegatheringstatechange", function () {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
  }

  // Open a connection to the server: ``action`` is "offer" (the call) or "echo" (the test).
  // Resolves to {status, reason, pc, channel}; pc is closed unless status is 200.
  function connect(action, stream, handlers) {
    handlers = handlers || {};
    var pc = new RTCPeerConnection({ iceServers: config.iceServers });
    ["audio", "video"].forEach(function (kind) {
      var track = stream ? stream.getTracks().filter(function (tr) { return tr.kind === kind; })[0] : null;
      if (track) { pc.addTransceiver(track, { direction: "sendrecv", streams: [stream] }); }
      else { pc.addTransceiver(kind, { direction: "recvonly" }); }
    });
    var channel = pc.createDataChannel("chat");
    var remote = new MediaStream();
    pc.addEventListener("track", function (event) {
      remote.addTrack(event.track);
      if (handlers.onTrack) { handlers.onTrack(remote, event.track); }
    });
    return pc.createOffer().then(function (offer) {
      return pc.setLocalDescription(offer);
    }).then(function () {
      return waitForGathering(pc, 5000);
    }).then(function () {
      return api(action, { sdp: pc.localDescription.sdp, type: pc.localDescription.type });
    }).then(function (result) {
      if (result.status !== 200) {
        pc.close();
        return { status: result.status, reason: result.reason, pc: null, channel: null };
      }
      return pc.setRemoteDescription({ type: "answer", sdp: result.data.sdp }).then(function () {
        return { status: 200, reason: "", pc: pc, channel: channel, remote: remote };
      });
    }).catch(function (error) {
      pc.close();
      return { status: 0, reason: String(error), pc: null, channel: null };
    });
  }

  // --- statistics -----------------------------------------------------------------------------

  // Poll getStats every second; ``onSample`` gets {fps, rtt (ms), loss (%), framesDecoded}.
  function watchStats(pc, onSample) {
    var previous = null;
    var timer = setInterval(function () {
      if (pc.connectionState === "closed") { clearInterval(timer); return; }
      pc.getStats().then(function (report) {
        var sample = { fps: null, rtt: null, loss: null, framesDecoded: 0, received: 0, lost: 0, at: Date.now() };
        var pairs = {};
        var selectedPair = null;
        report.forEach(function (stat) {
          if (stat.type === "inbound-rtp" && (stat.kind === "video" || stat.mediaType === "video")) {
            sample.framesDecoded += stat.framesDecoded || 0;
            sample.received += stat.packetsReceived || 0;
            sample.lost += Math.max(0, stat.packetsLost || 0);
            if (typeof stat.framesPerSecond === "number") { sample.fps = stat.framesPerSecond; }
          } else if (stat.type === "candidate-pair") {
            pairs[stat.id] = stat;
            if (stat.nominated && stat.state === "succeeded") { selectedPair = selectedPair || stat; }
          } else if (stat.type === "transport" && stat.selectedCandidatePairId) {
            selectedPair = { id: stat.selectedCandidatePairId };
          }
        });
        if (selectedPair && pairs[selectedPair.id]) { selectedPair = pairs[selectedPair.id]; }
        if (selectedPair && typeof selectedPair.currentRoundTripTime === "number") {
          sample.rtt = Math.round(selectedPair.currentRoundTripTime * 1000);
        }
        if (previous) {
          var seconds = (sample.at - previous.at) / 1000;
          if (sample.fps === null && seconds > 0) {
            sample.fps = Math.max(0, (sample.framesDecoded - previous.framesDecoded) / seconds);
          }
          var got = sample.received - previous.received;
          var lost = sample.lost - previous.lost;
          sample.loss = got + lost > 0 ? Math.round(1000 * lost / (got + lost)) / 10 : 0;
        }
        previous = sample;
        onSample(sample);
      }).catch(function () {});
    }, 1000);
    return { stop: function () { clearInterval(timer); } };
  }

  function qualityOf(sample) {
    if (sample.fps === null && sample.rtt === null) { return "unknown"; }
    var fps = sample.fps || 0;
    var rtt = sample.rtt === null ? 0 : sample.rtt;
    var loss = sample.loss || 0;
    if (fps >= 15 && rtt < 300 && loss < 2) { return "good"; }
    if (fps >= 8 && rtt < 700 && loss < 8) { return "fair"; }
    return "poor";
  }

  function showQuality(sample) {
    var box = $("quality");
    if (!box) { return; }
    var quality = qualityOf(sample);
    box.dataset.quality = quality;
    box.dataset.framesDecoded = String(sample.framesDecoded);
    box.dataset.fps = sample.fps === null ? "" : String(Math.round(sample.fps));
    box.dataset.rtt = sample.rtt === null ? "" : String(sample.rtt);
    $("quality-label").textContent = t("quality_" + quality);
    var parts = [];
    if (sample.fps !== null) { parts.push(Math.round(sample.fps) + " fps"); }
    if (sample.rtt !== null) { parts.push(sample.rtt + " ms"); }
    if (sample.loss !== null) { parts.push(sample.loss + " %"); }
    $("quality-detail").textContent = parts.join(" · ");
  }

  // --- the call: controls and chat ---------------------------------------------------------------

  var CHAT_GRACE_MS = 8000;

  function Call(stream) {
    this.stream = stream;
    this.pc = null;
    this.channel = null;
    this.stats = null;
    this.screen = null;
    this.onDrop = null;
    this.dropTimer = null;
    $("local-video").srcObject = stream;
    this.bindControls();
  }

  Call.prototype.attach = function (result) {
    var self = this;
    this.detach();
    this.pc = result.pc;
    this.channel = result.channel;
    var remoteVideo = $("remote-video");
    remoteVideo.srcObject = result.remote;
    remoteVideo.addEventListener("playing", function () { $("remote-placeholder").hidden = true; });
    this.stats = watchStats(this.pc, function (sample) {
      showQuality(sample);
      if (sample.framesDecoded > 0) { $("remote-placeholder").hidden = true; }
    });
    this.channel.addEventListener("open", function () {
      $("chat-input").disabled = false;
      $("chat-send").disabled = false;
    });
    this.channel.addEventListener("message", function (event) {
      if (typeof event.data === "string") { self.addMessage(event.data, false); }
    });
    if (this.screen) {
      this.replaceVideo(this.screen.getVideoTracks()[0]);
    }
    this.pc.addEventListener("connectionstatechange", function () {
      var state = self.pc ? self.pc.connectionState : "closed";
      if (state === "connected") {
        clearTimeout(self.dropTimer);
        self.dropTimer = null;
        self.watchChat();
      } else if ((state === "disconnected" || state === "failed") && !self.dropTimer) {
        self.dropTimer = setTimeout(function () {
          self.dropTimer = null;
          if (self.pc && self.pc.connectionState !== "connected" && self.onDrop) { self.onDrop(); }
        }, state === "failed" ? 0 : 4000);
      }
    });
  };

  // Media can flow while the chat's data channel never opens (its SCTP association may fail to
  // start on a loaded server): connect again if this call's channel is still not open
  // CHAT_GRACE_MS after the media connected (a later call or an open channel makes it a no-op).
  Call.prototype.watchChat = function () {
    var self = this;
    var channel = this.channel;
    setTimeout(function () {
      if (channel && self.channel === channel && channel.readyState !== "open" && self.onDrop) {
        self.onDrop();
      }
    }, CHAT_GRACE_MS);
  };

  Call.prototype.detach = function () {
    if (this.stats) { this.stats.stop(); this.stats = null; }
    if (this.pc) { this.pc.close(); this.pc = null; }
    this.channel = null;
    $("chat-input").disabled = true;
    $("chat-send").disabled = true;
  };

  Call.prototype.stop = function () {
    this.detach();
    if (this.screen) { this.screen.getTracks().forEach(function (tr) { tr.stop(); }); }
    this.stream.getTracks().forEach(function (tr) { tr.stop(); });
  };

  Call.prototype.addMessage = function (text, mine) {
    var item = document.createElement("li");
    item.className = mine ? "chat-mine" : "chat-theirs";
    var who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = mine ? t("you") : t("them");
    var body = document.createElement("span");
    body.className = "chat-text";
    body.textContent = text;
    item.appendChild(who);
    item.appendChild(body);
    var log = $("chat-log");
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  };

  Call.prototype.replaceVideo = function (track) {
    if (!this.pc) { return; }
    this.pc.getSenders().forEach(function (sender) {
      if (sender.track && sender.track.kind === "video") { sender.replaceTrack(track); }
    });
  };

  function setToggle(button, pressed, label) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.querySelector(".call-button-text").textContent = label;
  }

  Call.prototype.bindControls = function () {
    var self = this;
    var mute = $("mute-button");
    mute.addEventListener("click", function () {
      var track = self.stream.getAudioTracks()[0];
      if (!track) { return; }
      track.enabled = !track.enabled;
      setToggle(mute, !track.enabled, track.enabled ? t("mute") : t("unmute"));
    });
    var camera = $("camera-button");
    camera.addEventListener("click", function () {
      var track = self.stream.getVideoTracks()[0];
      if (!track) { return; }
      track.enabled = !track.enabled;
      setToggle(camera, !track.enabled, track.enabled ? t("camera_off") : t("camera_on"));
    });
    var share = $("share-button");
    if (share) {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) { share.hidden = true; }
      share.addEventListener("click", function () {
        if (self.screen) { self.stopSharing(); return; }
        navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(function (screen) {
          self.screen = screen;
          var track = screen.getVideoTracks()[0];
          track.addEventListener("ended", function () { self.stopSharing(); });
          self.replaceVideo(track);
          $("local-video").srcObject = screen;
          setToggle(share, true, t("stop_sharing"));
        }).catch(function () {});
      });
    }
    $("chat-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("chat-input");
      var text = input.value.trim();
      if (!text || !self.channel || self.channel.readyState !== "open") { return; }
      self.channel.send(text.slice(0, 2000));
      self.addMessage(text, true);
      input.value = "";
    });
  };

  Call.prototype.stopSharing = function () {
    if (!this.screen) { return; }
    this.screen.getTracks().forEach(function (tr) { tr.stop(); });
    this.screen = null;
    this.replaceVideo(this.stream.getVideoTracks()[0]);
    $("local-video").srcObject = this.stream;
    var share = $("share-button");
    if (share) { setToggle(share, false, t("share_screen")); }
  };

  function showError(message) {
    var box = $("media-error");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }

  function refusal(result) {
    if (result.status === 410) { return result.reason === "cancelled" ? t("cancelled") : t("ended"); }
    if (result.status === 403 && (result.reason === "closed" || result.reason === "not_open_yet")) {
      return t("closed");
    }
    if (result.reason === "room_busy") { return t("busy"); }
    return t("error");
  }

  window.CreneauVideo = {
    config: config, t: t, $: $, api: api, listen: listen, getMedia: getMedia,
    fillDevices: fillDevices, levelMeter: levelMeter, connect: connect, watchStats: watchStats,
    showQuality: showQuality, Call: Call, showError: showError, refusal: refusal,
  };
}());
