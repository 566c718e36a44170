/* «I miei indicatori»: a row's save and live preview send that row's fields only (plus the CSRF token), and a
   409 (the same value saved by someone else meanwhile) is drawn in the row, which shows both values. */
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
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
