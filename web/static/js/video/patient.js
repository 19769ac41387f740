// The patient's page: check the camera and microphone, test the connection through the
// server, enter the waiting room, then the call once the clinician lets the patient in.
"use strict";

(function () {
  var V = window.CreneauVideo;
  if (!V || V.config.role === "clinician") { return; }
  var $ = V.$;
  var t = V.t;
  var stream = null;
  var meter = null;
  var call = null;
  var step = "prejoin";
  var test = null;

  function show(name) {
    step = name;
    ["prejoin", "waiting", "call", "done"].forEach(function (id) {
      $("step-" + id).hidden = id !== name;
    });
    document.querySelectorAll("[data-step-marker]").forEach(function (marker) {
      if (marker.dataset.stepMarker === name) { marker.setAttribute("aria-current", "step"); }
      else { marker.removeAttribute("aria-current"); }
    });
  }

  function finish(message) {
    if (events) { events.stop(); }
    stopTest();
    if (call) { call.stop(); call = null; }
    if (meter) { meter.stop(); meter = null; }
    if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); }
    $("done-message").textContent = message;
    show("done");
  }

  // --- equipment -------------------------------------------------------------------------------

  function useStream(next) {
    if (stream && stream !== next) { stream.getTracks().forEach(function (tr) { tr.stop(); }); }
    stream = next;
    $("preview").srcObject = stream;
    if (meter) { meter.stop(); }
    meter = V.levelMeter(stream, $("mic-level"), $("mic-level-fill"));
    $("media-error").hidden = true;
    return V.fillDevices($("camera-select"), $("mic-select"), stream);
  }

  function openMedia() {
    return V.getMedia($("camera-select").value, $("mic-select").value).then(useStream)
      .catch(function () { V.showError(t("camera_blocked")); });
  }

  // --- connection test -------------------------------------------------------------------------

  function stopTest() {
    if (!test) { return; }
    clearTimeout(test.timer);
    if (test.stats) { test.stats.stop(); }
    if (test.pc) { test.pc.close(); }
    test = null;
    $("test-button").textContent = $("test-button").dataset.startLabel;
  }

  function runTest() {
    if (test) { stopTest(); return; }
    if (!stream) { V.showError(t("camera_blocked")); return; }
    var button = $("test-button");
    button.dataset.startLabel = button.dataset.startLabel || button.textContent;
    test = { ok: false };
    var current = test;
    $("test-message").textContent = t("testing");
    $("test-message").dataset.result = "running";
    V.connect("echo", stream, {
      onTrack: function (remote) { $("echo-video").srcObject = remote; },
    }).then(function (result) {
      if (test !== current) { if (result.pc) { result.pc.close(); } return; }
      if (result.status !== 200) {
        $("test-message").textContent = result.status === 410 ? V.refusal(result) : t("test_failed");
        $("test-message").dataset.result = "failed";
        test = null;
        return;
      }
      current.pc = result.pc;
      button.textContent = button.dataset.stopLabel || button.textContent;
      current.stats = V.watchStats(result.pc, function (sample) {
        $("test-fps").textContent = sample.fps === null ? "–" : String(Math.round(sample.fps));
        $("test-rtt").textContent = sample.rtt === null ? "–" : sample.rtt + " ms";
        if (!current.ok && sample.framesDecoded > 0 && sample.fps > 0) {
          current.ok = true;
          $("test-message").textContent = t("test_ok");
          $("test-message").dataset.result = "ok";
        }
      });
      current.timer = setTimeout(function () {
        if (!current.ok) {
          $("test-message").textContent = t("test_failed");
          $("test-message").dataset.result = "failed";
        }
      }, 10000);
      setTimeout(function () { if (test === current) { stopTest(); } }, 30000);
    });
  }

  // --- waiting room and call -------------------------------------------------------------------

  function waitingMessage(clinicianPresent) {
    $("waiting-message").textContent = clinicianPresent ? t("clinician_joining") : t("waiting_clinician");
  }

  function checkIn() {
    $("checkin-button").disabled = true;
    V.api("check-in").then(function (result) {
      $("checkin-button").disabled = false;
      if (result.status !== 200) { V.showError(V.refusal(result)); return; }
      stopTest();
      if (result.data.admitted) { startCall(); return; }
      show("waiting");
      waitingMessage(result.data.clinician_present);
    });
  }

  function connectCall() {
    $("call-status").textContent = t("connecting");
    V.connect("offer", stream).then(function (result) {
      if (!call) { if (result.pc) { result.pc.close(); } return; }
      if (result.status === 200) {
        call.attach(result);
        $("call-status").textContent = t("in_call");
      } else if (result.status === 409 && result.reason === "not_admitted") {
        call.stop();
        call = null;
        show("waiting");
        waitingMessage(true);
      } else if (result.status === 0) {
        setTimeout(reconnect, 2000);
      } else {
        finish(V.refusal(result));
      }
    });
  }

  function reconnect() {
    if (!call) { return; }
    $("call-status").textContent = t("reconnecting");
    call.detach();
    connectCall();
  }

  function startCall() {
    if (call || !stream) { return; }
    if (meter) { meter.stop(); meter = null; }
    show("call");
    call = new V.Call(stream);
    call.onDrop = reconnect;
    connectCall();
  }

  function onEvent(name, data) {
    if (name === "state") {
      if (data.admitted && data.state === "in_call") { startCall(); }
      else if (step === "waiting") { waitingMessage(data.clinician_present); }
    } else if (name === "clinician_joined" && step === "waiting") {
      waitingMessage(true);
    } else if (name === "admitted" && data.mine) {
      startCall();
    } else if (name === "left" && data.role === "clinician" && step === "waiting") {
      waitingMessage(false);
    } else if (name === "ended") {
      finish(t("ended"));
    } else if (name === "cancelled") {
      finish(t("cancelled"));
    } else if (name === "http_error" && data.status === 410) {
      finish(t("ended"));
    }
  }

  var events = null;

  $("camera-select").addEventListener("change", openMedia);
  $("mic-select").addEventListener("change", openMedia);
  $("test-button").addEventListener("click", runTest);
  $("test-button").dataset.stopLabel = V.config.texts.stop_test || $("test-button").textContent;
  $("checkin-button").addEventListener("click", checkIn);
  $("leave-button").addEventListener("click", function () {
    V.api("leave").then(function () { finish(t("left")); });
  });

  V.getMedia().then(function (first) {
    return useStream(first);
  }).catch(function () {
    V.showError(t("camera_blocked"));
  }).then(function () {
    events = V.listen(onEvent);
  });
}());
