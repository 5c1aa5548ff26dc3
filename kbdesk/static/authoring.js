// Ticket → article editor: (un)ticking a replacement updates the text at once, no reload.
(function () {
  "use strict";
  const data = document.getElementById("au-data");
  const body = document.getElementById("au-body");
  if (!data || !body) return;
  const scrub = JSON.parse(data.textContent);
  const boxes = Array.from(document.querySelectorAll('input[name="replace"]'));
  let generated = body.value;

  function build() {
    const kept = new Set(boxes.filter((b) => !b.checked).map((b) => Number(b.dataset.index)));
    let out = "", pos = 0;
    scrub.items.forEach((r, i) => {
      out += scrub.original.slice(pos, r.start) + (kept.has(i) ? r.original : r.placeholder);
      pos = r.end;
    });
    return out + scrub.original.slice(pos);
  }

  boxes.forEach((box) => box.addEventListener("change", () => {
    // Never throw away what the author typed without asking.
    if (body.value !== generated && !window.confirm(body.dataset.confirm)) {
      box.checked = !box.checked;
      return;
    }
    body.value = generated = build();
  }));
})();
