// Progressive helpers shared by every page; each feature adds its own small scripts.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  window.kbdesk = {
    csrfToken: meta ? meta.content : "",
    debounce(fn, ms) {
      let t;
      return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
    },
    async api(path, options = {}) {
      const headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
      if (options.body && !(options.body instanceof FormData)) headers["Content-Type"] = "application/json";
      if (options.method && options.method !== "GET") headers["X-CSRFToken"] = window.kbdesk.csrfToken;
      const res = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw Object.assign(new Error((data.error && data.error.message) || res.statusText), { data });
      return data;
    },
  };
  // One navigation menu open at a time; a click elsewhere or Escape closes it.
  const menus = document.querySelectorAll("details.navmenu");
  const closeAll = (except) => menus.forEach((m) => { if (m !== except) m.open = false; });
  menus.forEach((m) => m.addEventListener("toggle", () => { if (m.open) closeAll(m); }));
  document.addEventListener("click", (e) => { if (!e.target.closest("details.navmenu")) closeAll(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeAll(); });
})();
