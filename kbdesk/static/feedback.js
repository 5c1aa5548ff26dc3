// Ticket page: "Insert link" puts a Markdown link to the article into the reply box and
// records the use through the API; without this script the form posts and reloads.
(function () {
  "use strict";
  const form = document.querySelector("form[data-insert-article]");
  const reply = document.querySelector("[data-reply-form]");
  if (!form || !reply || form.dataset.enhanced) return;
  form.dataset.enhanced = "1";
  const textarea = reply.querySelector("textarea[name=body]");
  const status = form.querySelector("[data-insert-status]");
  // The reply form's own kind (public reply / internal note) decides which link goes in.
  form.querySelectorAll(".no-js-only").forEach((el) => { el.hidden = true; });

  function isInternal() {
    const checked = reply.querySelector("input[name=internal]:checked");
    return Boolean(checked && checked.value);
  }

  function insertAtCursor(text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? textarea.value.length;
    const before = textarea.value.slice(0, start);
    const sep = before && !/\s$/.test(before) ? " " : "";
    textarea.value = before + sep + text + textarea.value.slice(end);
    const pos = (before + sep + text).length;
    textarea.focus();
    textarea.setSelectionRange(pos, pos);
  }

  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button || button.name !== "article_id" || !textarea) return;
    event.preventDefault();
    button.disabled = true;
    try {
      const data = await window.kbdesk.api(
        "/api/v1/tickets/" + form.dataset.ticketId + "/article-uses",
        { method: "POST", body: JSON.stringify({ article_id: Number(button.value), internal: isInternal() }) });
      insertAtCursor(data.markdown);
      status.textContent = status.dataset.ok || "";
      status.classList.remove("error");
    } catch (err) {
      const fields = (err.data && err.data.error && err.data.error.fields) || {};
      status.textContent = fields.article_id || err.message;
      status.classList.add("error");
    } finally {
      button.disabled = false;
    }
  });
})();
