/* The Django admin's widgets, completed for screen readers and axe (issue 15, item 8). Loaded by
   templates/admin/base_site.html after the widgets' own scripts, so its load handler runs after theirs.
   - autocomplete (select2): the combobox and its search box are named after the field's label;
   - filter_horizontal: the search icon's aria-label needs a role (Django puts it on a bare <span>);
   - a date and time (split fields): each box is named «Field – Data» / «Field – Ora». */
(function () {
  "use strict";
  function labelOf(id) {
    var label = id && document.querySelector('label[for="' + id + '"]');
    return label ? label.textContent.replace(/[:\s]+$/, "").trim() : "";
  }
  function autocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var name = labelOf(select.id);
      var box = select.nextElementSibling;
      if (!name || !box || !box.classList.contains("select2")) return;
      box.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(function (el) {
        el.setAttribute("aria-label", name);
      });
      box.querySelectorAll(".select2-search__field").forEach(function (el) {
        el.setAttribute("aria-label", "Cerca: " + name);
      });
    });
    document.querySelectorAll(".select2-dropdown .select2-search__field:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "Cerca");
    });
  }
  function icons() {
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (el) {
      el.setAttribute("role", "img");
    });
  }
  function splitDates() {
    document.querySelectorAll(".datetime input").forEach(function (input) {
      if (input.labels && input.labels.length || input.hasAttribute("aria-label")) return;
      var text = input.previousSibling;
      while (text && text.nodeType !== Node.TEXT_NODE) text = text.previousSibling;
      var part = text ? text.textContent.replace(/[:\s]+$/, "").trim() : "";
      var row = input.closest(".form-row, .fieldBox");
      var field = row && row.querySelector("label");
      var name = field ? field.textContent.replace(/[:\s]+$/, "").trim() : "";
      input.setAttribute("aria-label", [name, part].filter(Boolean).join(" – "));
    });
  }
  function fix() { autocompletes(); icons(); splitDates(); }
  window.addEventListener("load", fix);
  document.addEventListener("formset:added", fix);
  // select2 draws its boxes from a jQuery ready handler, which jQuery 3 runs asynchronously, maybe after «load»:
  // name them as they appear.
  var pending = false;
  new MutationObserver(function (records) {
    if (pending) return;
    var drawn = records.some(function (record) {
      return Array.prototype.some.call(record.addedNodes, function (node) {
        return node.nodeType === 1 && (node.matches(".select2, .select2-container") || node.querySelector(".select2"));
      });
    });
    if (drawn) { pending = true; Promise.resolve().then(function () { pending = false; autocompletes(); }); }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
