// Article editor: live preview (server-rendered, sanitised) and attachment upload in place.
// Without this script the editor still works: save, then view; upload reloads the page.
(function () {
  "use strict";
  const body = document.querySelector("textarea[data-preview-url]");
  const preview = document.getElementById("kb-preview");
  if (body && preview) {
    let last = null;
    const render = async () => {
      if (body.value === last) return;
      last = body.value;
      try {
        const data = await window.kbdesk.api(body.dataset.previewUrl, {
          method: "POST", body: JSON.stringify({ body: body.value }),
        });
        // The server returns HTML already sanitised with the article page's rules.
        preview.innerHTML = data.html;
      } catch (err) {
        preview.textContent = err.message;
      }
    };
    body.addEventListener("input", window.kbdesk.debounce(render, 400));
    render();
  }

  const upload = document.getElementById("kb-upload");
  if (upload && body) {
    const error = document.getElementById("kb-upload-error");
    const list = document.getElementById("kb-attachment-list");
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const data = await window.kbdesk.api(upload.action, {
          method: "POST", body: new FormData(upload),
        });
        const at = body.selectionEnd ?? body.value.length;
        body.value = body.value.slice(0, at) + data.markdown + body.value.slice(at);
        body.dispatchEvent(new Event("input"));
        if (list) {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = data.url;
          a.textContent = data.filename;
          li.append(a, " ");
          const code = document.createElement("code");
          code.textContent = data.markdown;
          li.append(code);
          list.append(li);
        }
        upload.reset();
      } catch (err) {
        error.textContent = err.message;
      }
    });
  }
})();
