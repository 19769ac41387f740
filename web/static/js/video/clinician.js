// The clinician's page: join the room at once, see the waiting room, let the patient in,
// hold the consultation (chat, screen sharing) and end it (the appointment is then attended).
"use strict";

(function () {
  var V = window.CreneauVideo;
  if (!V || V.config.role !== "clinician") { return; }
  var $ = V.$;
  var t = V.t;
  var call = null;
  var events = null;

  function admission(state) {
    var box = $("admission");
    box.dataset.state = state;
    var texts = { empty: "no_patient", waiting: "patient_waiting", in_call: "patient_in_call",
      left: "patient_left" };
    $("admission-status").textContent = t(texts[state] || "no_patient");
    $("admit-button").hidden = state !== "waiting";
  }

  function finish(message) {
    if (events) { events.stop(); }
    if (call) { call.stop(); call = null; }
    $("step-call").hidden = true;
    $("admission").hidden = true;
    $("done-message").textContent = message;
    $("step-done").hidden = false;
  }

  function connectCall() {
    $("call-status").textContent = t("connecting");
    V.connect("offer", call.stream).then(function (result) {
      if (!call) { if (result.pc) { result.pc.close(); } return; }
      if (result.status === 200) {
        call.attach(result);
        $("call-status").textContent = t("in_call");
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

  function onEvent(name, data) {
    if (name === "state") {
      admission(data.state);
    } else if (name === "checked_in") {
      admission("waiting");
    } else if (name === "admitted") {
      admission("in_call");
    } else if (name === "left" && data.role !== "clinician") {
      admission("left");
      $("remote-placeholder").hidden = false;
    } else if (name === "ended") {
      finish(t("ended"));
    } else if (name === "cancelled") {
      finish(t("cancelled"));
    }
  }

  $("admit-button").addEventListener("click", function () {
    $("admit-button").disabled = true;
    V.api("admit").then(function (result) {
      $("admit-button").disabled = false;
      if (result.status === 200) { admission(result.data.state); }
      else { V.showError(V.refusal(result)); }
    });
  });
  $("end-button").addEventListener("click", function () {
    if (!window.confirm(t("confirm_end"))) { return; }
    V.api("end").then(function (result) {
      if (result.status === 200 || result.status === 410) { finish(t("ended")); }
      else { V.showError(V.refusal(result)); }
    });
  });
  $("leave-button").addEventListener("click", function () {
    V.api("leave").then(function () { finish(t("left")); });
  });

  V.getMedia().then(function (stream) {
    call = new V.Call(stream);
    call.onDrop = reconnect;
    connectCall();
  }).catch(function () {
    V.showError(t("camera_blocked"));
  }).then(function () {
    events = V.listen(onEvent);
  });
}());
