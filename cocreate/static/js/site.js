// Progressive enhancements only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions; the text comes from the template (translated there).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

// Garment colour picker: swap the mockup without a reload. The links still work without JS.
document.addEventListener("click", (event) => {
  const swatch = event.target.closest("a[data-swatch]");
  if (!swatch) return;
  const image = document.getElementById(swatch.dataset.target);
  if (!image) return;
  event.preventDefault();
  image.src = swatch.dataset.src;
  image.alt = swatch.dataset.alt;
  swatch.parentElement.querySelectorAll("a[data-swatch]").forEach((other) => {
    other.classList.toggle("current", other === swatch);
    if (other === swatch) other.setAttribute("aria-current", "true");
    else other.removeAttribute("aria-current");
  });
  window.history.replaceState(null, "", swatch.href);
});

// Artwork previews: grey by default (light and dark artwork both read on it), or light or dark as
// the member chooses, remembered in this browser. Without JS the switch stays hidden.
(() => {
  const root = document.documentElement;
  const KEY = "cocreate.previewBg";
  const read = () => { try { return window.localStorage.getItem(KEY); } catch (e) { return null; } };
  const stored = read();
  if (stored === "light" || stored === "dark") root.dataset.previewBg = stored;
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-preview-bg-switch]").forEach((group) => {
      const buttons = group.querySelectorAll("button[data-preview-bg]");
      const sync = () => buttons.forEach((button) => button.setAttribute(
        "aria-pressed", String(button.dataset.previewBg === (root.dataset.previewBg || "grey"))));
      group.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-preview-bg]");
        if (!button) return;
        if (button.dataset.previewBg === "grey") delete root.dataset.previewBg;
        else root.dataset.previewBg = button.dataset.previewBg;
        try { window.localStorage.setItem(KEY, button.dataset.previewBg); } catch (e) { /* private mode */ }
        document.querySelectorAll("[data-preview-bg-switch] button[data-preview-bg]").forEach((b) => b.setAttribute(
          "aria-pressed", String(b.dataset.previewBg === button.dataset.previewBg)));
      });
      sync();
      group.hidden = false;
    });
  });
})();
