// Filing form: while the customer types (from 3 characters, debounced), show up to five articles.
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script ? script.dataset.url : "/portal/suggest";
  function init() {
    const subject = document.getElementById("subject");
    const description = document.getElementById("description");
    const box = document.getElementById("suggestions");
    const list = document.getElementById("suggestion-list");
    if (!subject || !box || !list) return;
    let last = "";
    async function refresh() {
      const text = (subject.value + " " + (description ? description.value : "")).trim();
      if (text.length < 3 || text === last) return;
      last = text;
      let data;
      try {
        data = await window.kbdesk.api(url + "?q=" + encodeURIComponent(text.slice(0, 500)));
      } catch (e) { return; }
      list.replaceChildren();
      for (const s of data.suggestions || []) {
        const li = document.createElement("li");
        li.className = "suggestion";
        const a = document.createElement("a");
        a.href = s.url;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = s.title;
        li.appendChild(a);
        list.appendChild(li);
      }
      box.hidden = list.children.length === 0;
    }
    const later = window.kbdesk.debounce(refresh, 300);
    subject.addEventListener("input", later);
    if (description) description.addEventListener("input", later);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
