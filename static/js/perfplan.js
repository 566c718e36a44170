/* Behaviour every page may use, declared in the markup (the CSP allows no inline script or style attribute):
   - <form data-confirm="Domanda?">: asks before submitting;
   - <div class="progress-bar" data-progress="42">: the bar's width in percent;
   - .table-responsive and the Relazione's wide sections: focusable when they scroll sideways. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  function bars(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, Number(bar.getAttribute("data-progress")) || 0));
      bar.style.width = value + "%";
    });
  }
  /* A table wider than the screen scrolls in its own region: the region takes the keyboard's focus so that the arrow
     keys scroll it (WCAG 2.1.1), named after its caption or heading. Only regions that do scroll: no useless stops. */
  function scrollers(root) {
    root.querySelectorAll(".table-responsive, .relazione-preview .wide").forEach(function (box) {
      if (box.hasAttribute("tabindex") || box.scrollWidth <= box.clientWidth) return;
      box.tabIndex = 0;
      if (box.tagName !== "SECTION") box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        var title = box.querySelector("caption, h2, h3, h4");
        var name = title ? title.textContent.replace(/\s+/g, " ").trim() : "Tabella";
        box.setAttribute("aria-label", name + " (scorre in orizzontale)");
      }
    });
  }
  bars(document);
  scrollers(document);
  document.addEventListener("htmx:load", function (event) { bars(event.target); scrollers(event.target); });
})();
