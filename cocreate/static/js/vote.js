// The vote panel without a reload: the form posts with fetch, and the panel the server sends
// back (the vote as stored, the counts the voter may now see) takes the old one's place.
// Without this script the same form posts normally and the design page reloads.
"use strict";

(() => {
  // Choosing a size means "I'd buy it in this size": tick the box for the voter.
  document.addEventListener("change", (event) => {
    const select = event.target.closest("form[data-vote-form] select[name=size]");
    if (!select || !select.value) return;
    const box = select.form.querySelector("input[name=buy]");
    if (box) box.checked = true;
  });

  const showError = (form, message) => {
    const error = form.querySelector("[data-vote-error]");
    if (!error) return;
    error.textContent = message;
    error.hidden = !message;
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-vote-form]");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    showError(form, "");
    let response;
    let data;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: {Accept: "application/json"},
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (error) {
      form.submit();  // no answer we can read: let the browser post the form itself
      return;
    }
    if (response.ok && data.html) {
      const template = document.createElement("template");
      template.innerHTML = data.html.trim();
      const fresh = template.content.firstElementChild;
      form.closest("[data-vote-panel]").replaceWith(fresh);
      const status = fresh.querySelector("[data-vote-status]");
      if (status) status.textContent = data.message || "";
      return;
    }
    if (button) button.disabled = false;
    showError(form, data.message || data.error || "");
  });
})();
