// Booking form: after the first submit, the button says it is working and ignores more clicks.
// (The server is safe anyway: the form carries an idempotency key, so a retry books once.)
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("[data-booking-form]")) return;
  const button = form.querySelector("button[type=submit]");
  if (!button) return;
  if (button.dataset.busy === "1") { event.preventDefault(); return; }
  button.dataset.busy = "1";
  button.setAttribute("aria-disabled", "true");
  if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
});
