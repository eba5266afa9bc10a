// Artwork upload: drag-and-drop, a preview before upload, and a progress bar.
// Without this script the form posts as a plain multipart form and works the same.
"use strict";

(() => {
  const form = document.querySelector("form[data-upload-form]");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector("[data-dropzone]");
  const preview = form.querySelector("[data-preview]");
  const info = form.querySelector("[data-file-info]");
  const progress = form.querySelector("[data-progress]");
  const bar = form.querySelector("[data-progress-bar]");
  const text = form.querySelector("[data-progress-text]");
  const jsError = form.querySelector("[data-js-error]");
  const maxBytes = Number(form.dataset.maxBytes);
  // Numbers in the page's language (12.5 in English, 12,5 in French); units come translated.
  const lang = document.documentElement.lang || undefined;
  const numberFormat = new Intl.NumberFormat(lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  const wholeFormat = new Intl.NumberFormat(lang, {maximumFractionDigits: 0});
  const megabytes = (n) => numberFormat.format(n / 1048576);
  // "420 kB" below one megabyte (one decimal of MB would read "0.0 MB"), "12.5 MB" above.
  const fileSize = (n) => (n < 1048576
    ? form.dataset.msgKilobytes.replace("{size}", wholeFormat.format(Math.max(1, Math.round(n / 1024))))
    : form.dataset.msgMegabytes.replace("{size}", megabytes(n)));
  let previewUrl = null;
  let imageSize = null;  // [width, height] of the chosen image once the browser has read it

  // The print size the chosen products need (the strictest wins, as on the server), and the
  // server's refusal for an image below it; "" when the image is large enough or not read yet.
  const tooSmallMessage = () => {
    if (!imageSize) return "";
    const chosen = [...form.querySelectorAll("input[data-min-long-side]:checked")];
    if (!chosen.length) return "";
    const strictest = chosen.reduce((a, b) => (Number(b.dataset.minLongSide) > Number(a.dataset.minLongSide) ? b : a));
    if (Math.max(...imageSize) >= Number(strictest.dataset.minLongSide)) return "";
    return strictest.dataset.msgTooSmall
      .replace("9999991", String(imageSize[0])).replace("9999992", String(imageSize[1]));
  };

  const showError = (message) => {
    jsError.textContent = message;
    jsError.hidden = !message;
  };

  const showFile = (file) => {
    showError("");
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    imageSize = null;
    if (!file) { preview.hidden = true; info.textContent = ""; return; }
    if (file.size > maxBytes) {
      showError(form.dataset.msgTooLarge.replace("{size}", megabytes(file.size)).replace("{limit}", megabytes(maxBytes)));
    }
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
    preview.hidden = false;
    preview.onload = () => {
      imageSize = [preview.naturalWidth, preview.naturalHeight];
      info.textContent = form.dataset.msgFileInfo
        .replace("{name}", file.name)
        .replace("{width}", String(preview.naturalWidth))
        .replace("{height}", String(preview.naturalHeight))
        .replace("{size}", fileSize(file.size));
      const tooSmall = tooSmallMessage();
      if (tooSmall) showError(tooSmall);
    };
    preview.onerror = () => { preview.hidden = true; info.textContent = file.name; };
  };

  input.addEventListener("change", () => showFile(input.files[0]));
  form.querySelectorAll("input[data-min-long-side]").forEach((box) => box.addEventListener("change", () => {
    if (imageSize) showError(tooSmallMessage());
  }));
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dragging")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    showFile(input.files[0]);
  });

  const clearFieldErrors = () => {
    form.querySelectorAll(".js-field-error").forEach((node) => node.remove());
  };

  const showFieldErrors = (payload) => {
    clearFieldErrors();
    const messages = [...(payload.form_errors || [])];
    Object.entries(payload.errors || {}).forEach(([name, errors]) => {
      const field = form.querySelector(`[name="${name}"]`);
      const holder = field ? field.closest(".field, .upload-zone, fieldset") : null;
      if (!holder) { messages.push(...errors); return; }
      const box = document.createElement("div");
      box.className = "error js-field-error";
      box.setAttribute("role", "alert");
      errors.forEach((message) => {
        const p = document.createElement("p");
        p.textContent = message;
        box.appendChild(p);
      });
      holder.appendChild(box);
    });
    showError(messages.join(" "));
  };

  form.addEventListener("submit", (event) => {
    if (!window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    // The browser already knows the image is too small: say so now rather than after the upload.
    const tooSmall = tooSmallMessage();
    if (tooSmall) { showError(tooSmall); return; }
    const button = form.querySelector("button[type=submit]");
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    progress.hidden = false;
    bar.value = 0;
    button.disabled = true;
    showError("");
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      // The template gives "99%" formatted for the page's language; swap in the real number.
      const formatted = form.dataset.percentSample.replace("99", String(percent));
      text.textContent = form.dataset.msgUploading.replace("{percent}", formatted);
    });
    request.upload.addEventListener("load", () => {
      bar.removeAttribute("value");  // indeterminate while the server works
      text.textContent = form.dataset.msgProcessing;
    });
    request.addEventListener("load", () => {
      button.disabled = false;
      const payload = request.response || {};
      if (request.status < 300 && payload.redirect) {
        window.location.assign(payload.redirect);
        return;
      }
      progress.hidden = true;
      if (payload.errors || payload.form_errors) showFieldErrors(payload);
      else showError(payload.message || form.dataset.msgFailed);
    });
    request.addEventListener("error", () => {
      button.disabled = false;
      progress.hidden = true;
      showError(form.dataset.msgFailed);
    });
    request.send(new FormData(form));
  });
})();
