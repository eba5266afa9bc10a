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
