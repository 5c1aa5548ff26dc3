// SLA countdown: counts business time down while the calendar is open; no dependencies.
(function () {
  "use strict";
  if (window.kbdeskSlaCountdown) return;
  window.kbdeskSlaCountdown = true;

  function fmt(seconds) {
    const s = Math.abs(Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
  }

  function start() {
    const started = Date.now();
    const items = Array.from(document.querySelectorAll(".sla-remaining[data-remaining]"))
      .filter((el) => el.dataset.remaining !== "" && el.dataset.remaining !== "None")
      .map((el) => ({
        el,
        remaining: Number(el.dataset.remaining),
        ticking: el.dataset.ticking === "1",
        until: el.dataset.until ? Date.parse(el.dataset.until) : null,
      }));
    if (!items.length) return;
    function tick() {
      const now = Date.now();
      for (const it of items) {
        let elapsed = 0;
        if (it.ticking) {
          // Business time stops when the calendar closes; the page is refreshed for the next day.
          const end = it.until ? Math.min(now, it.until) : now;
          elapsed = Math.max(0, (end - started) / 1000);
        }
        const left = it.remaining - elapsed;
        it.el.textContent = fmt(left) + " " + (left < 0 ? it.el.dataset.overdue : it.el.dataset.left);
        it.el.classList.toggle("overdue", left < 0);
      }
    }
    tick();
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
