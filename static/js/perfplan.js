/* Behaviour every page may use, declared in the markup (the CSP allows no inline script or style attribute):
   - <form data-confirm="Domanda?">: asks before submitting;
   - <div class="progress-bar" data-progress="42">: the bar's width in percent. */
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
  bars(document);
  document.addEventListener("htmx:load", function (event) { bars(event.target); });
})();
