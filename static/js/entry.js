/* «I miei indicatori»: a row's save and live preview send that row's fields only (plus the CSRF token), and a
   409 (the same value saved by someone else meanwhile) is drawn in the row, which shows both values; the keyboard's
   focus stays in the row it saved. */
(function () {
  "use strict";
  // A row swapped in keeps the ids of its fields: htmx would then "settle" their style attribute, an inline style
  // the CSP refuses. The classes still settle.
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt.closest("[data-row-prefix]");
    if (!source) return;
    var prefix = source.getAttribute("data-row-prefix");
    var data = event.detail.formData;
    if (!data) return;
    var drop = [];
    data.forEach(function (value, key) {
      if (key !== "csrfmiddlewaretoken" && key.indexOf(prefix) !== 0) drop.push(key);
    });
    drop.forEach(function (key) { data.delete(key); });
  });
  // A row saved, or a live panel drawn again, replaces the element that had the keyboard's focus: the focus goes to
  // the same control of the new content (the first field in error, after a save refused), not back to the page.
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var box = event.detail.target;
    var active = document.activeElement;
    if (!box || !box.id || !active || active === document.body || !box.contains(active)) return;
    var index = Array.prototype.indexOf.call(box.querySelectorAll(FOCUSABLE), active);
    event.detail.xhr.refocus = {id: box.id, index: index};
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var keep = event.detail.xhr && event.detail.xhr.refocus;
    var box = keep && document.getElementById(keep.id);
    if (!box || (document.activeElement !== document.body && document.contains(document.activeElement))) return;
    var fields = box.querySelectorAll(FOCUSABLE);
    var target = box.querySelector("[aria-invalid=true]") || fields[keep.index] || fields[0];
    if (target) target.focus();
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
