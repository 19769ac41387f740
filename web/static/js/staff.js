// Staff pages: send the session's CSRF token with every htmx request (no inline script: CSP).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.headers["X-CSRF-Token"] = meta.content;
  }
});
// Elements with data-confirm ask before submitting.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// A finished solve: show the roster (the page reloads once the "done" event arrives).
document.addEventListener("htmx:sseMessage", function (event) {
  var detail = event.detail || {};
  var holder = event.target && event.target.closest && event.target.closest("[data-reload-on-done]");
  if (detail.type === "done" && holder) {
    window.setTimeout(function () { window.location.reload(); }, 300);
  }
});
