// Ticket pages: customer/contact autocomplete on the intake forms, reply kind highlight.
(function () {
  "use strict";
  const form = document.querySelector("form[data-intake]");

  function customerSlug() {
    const hidden = form && form.querySelector('input[name="customer"]');
    return hidden ? hidden.value : "";
  }

  function clearList(input) {
    const list = input.parentElement.querySelector(".ac-list");
    if (list) list.remove();
  }

  function showList(input, items, label, onPick) {
    clearList(input);
    if (!items.length) return;
    const list = document.createElement("ul");
    list.className = "ac-list";
    list.setAttribute("role", "listbox");
    items.forEach((item) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label(item);
      button.addEventListener("click", () => { onPick(item); clearList(input); });
      li.appendChild(button);
      list.appendChild(li);
    });
    input.insertAdjacentElement("afterend", list);
  }

  async function loadApplications() {
    const select = form.querySelector("select[data-applications]");
    if (!select) return;
    const slug = customerSlug();
    select.innerHTML = '<option value="">—</option>';
    if (!slug) return;
    const data = await window.kbdesk.api(select.dataset.applications + "?customer=" + encodeURIComponent(slug));
    data.items.forEach((a) => {
      const option = document.createElement("option");
      option.value = a.id;
      option.textContent = a.name + " (" + a.environment + ")";
      select.appendChild(option);
    });
  }

  function wire(input) {
    const hidden = form.querySelector('input[name="' + input.dataset.target + '"]');
    const kind = input.dataset.ac;
    const search = window.kbdesk.debounce(async () => {
      let url = input.dataset.source + "?q=" + encodeURIComponent(input.value);
      if (kind === "contacts") {
        if (!customerSlug()) return;
        url += "&customer=" + encodeURIComponent(customerSlug());
      }
      try {
        const data = await window.kbdesk.api(url);
        showList(input, data.items,
          (i) => kind === "customers" ? i.name : [i.name, i.phone, i.email].filter(Boolean).join(" · "),
          (i) => {
            input.value = i.name;
            hidden.value = kind === "customers" ? i.slug : i.id;
            if (kind === "customers") loadApplications();
            if (kind === "contacts") {
              const phone = form.querySelector('input[name="caller_phone"]');
              const email = form.querySelector('input[name="caller_email"]');
              if (phone && !phone.value) phone.value = i.phone || "";
              if (email && !email.value) email.value = i.email || "";
            }
          });
      } catch (e) { clearList(input); }
    }, 200);
    input.addEventListener("input", () => { hidden.value = ""; search(); });
    input.addEventListener("focus", search);
    input.addEventListener("keydown", (e) => { if (e.key === "Escape") clearList(input); });
  }

  if (form) form.querySelectorAll("input[data-ac]").forEach(wire);

  const reply = document.querySelector("form[data-reply-form]");
  if (reply) {
    const mark = () => {
      const internal = reply.querySelector('input[name="internal"][value="y"]');
      reply.classList.toggle("is-internal", !!(internal && internal.checked));
    };
    reply.addEventListener("change", mark);
    mark();
  }
})();
