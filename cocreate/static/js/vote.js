// The vote panel without a reload: the form posts with fetch, and the answer's texts (the score
// the voter may now see, their vote as stored, the button's new label, all worded and
// translated by the server) are written into the panel. Staff's answer brings the whole panel
// (it shows more), which takes the old one's place. Without this script the same form posts
// normally and the design page reloads.
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

  const span = (className, text) => {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  };

  // The score line, in place of the herding note the first time (as _panel.html has it).
  const showScore = (panel, texts) => {
    let score = panel.querySelector("[data-vote-score]");
    if (!score) {
      score = document.createElement("p");
      score.className = "vote-score";
      score.setAttribute("data-vote-score", "");
      const note = panel.querySelector("[data-vote-herding]");
      if (note) note.replaceWith(score);
      else panel.querySelector("[data-vote-status]").after(score);
    }
    const parts = texts.average ? [span("vote-average", texts.average), " "] : [];
    score.replaceChildren(...parts, span("vote-count", texts.count));
  };

  const showVote = (form, texts) => {
    let mine = form.querySelector("[data-your-vote]");
    if (!mine) {
      mine = document.createElement("p");
      mine.className = "muted small your-vote";
      mine.setAttribute("data-your-vote", "");
      form.append(mine);
    }
    mine.textContent = texts.your_vote;
    const button = form.querySelector("button[type=submit]");
    if (button) button.textContent = texts.button;
  };

  const swapPanel = (panel, html) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    panel.replaceWith(fresh);
    return fresh;
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
    if (button) button.disabled = false;
    if (response.ok && (data.html || data.texts)) {
      let panel = form.closest("[data-vote-panel]");
      if (data.html) {
        panel = swapPanel(panel, data.html);
      } else {
        showScore(panel, data.texts);
        showVote(form, data.texts);
      }
      const status = panel.querySelector("[data-vote-status]");
      if (status) status.textContent = data.message || "";
      return;
    }
    showError(form, data.message || data.error || "");
  });
})();
