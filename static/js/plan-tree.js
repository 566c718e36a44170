/* Plan page: expand/collapse of the tree, in-place target editing and the "perché?" panels (htmx). */
(function () {
  "use strict";
  var table = document.querySelector("[data-testid=plan-tree]");
  if (!table) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var indexOf = new Map();
  rows.forEach(function (row, i) { indexOf.set(row, i); });

  function depth(row) { return parseInt(row.getAttribute("data-depth"), 10) || 0; }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.firstElementChild.textContent = open ? "▾" : "▸";
  }

  // Show or hide the rows below a node; an expanded node keeps its collapsed descendants collapsed.
  function apply(row, open) {
    var d = depth(row), hiddenBelow = null;
    for (var i = indexOf.get(row) + 1; i < rows.length; i++) {
      var r = rows[i], rd = depth(r);
      if (rd <= d) break;
      if (!open) { r.hidden = true; continue; }
      if (hiddenBelow !== null && rd > hiddenBelow) { r.hidden = true; continue; }
      hiddenBelow = null;
      r.hidden = false;
      var b = r.querySelector(".tree-toggle");
      if (b && b.getAttribute("aria-expanded") === "false") hiddenBelow = rd;
    }
  }

  table.addEventListener("click", function (event) {
    var button = event.target.closest(".tree-toggle");
    if (button) {
      var open = button.getAttribute("aria-expanded") !== "true";
      setOpen(button, open);
      apply(button.closest("tr"), open);
      return;
    }
    var edit = event.target.closest("a.tedit");
    if (edit && window.htmx) {
      event.preventDefault();
      htmx.ajax("GET", edit.getAttribute("href"), { target: edit.closest("td"), swap: "innerHTML" });
    }
  });

  document.querySelectorAll("[data-tree]").forEach(function (control) {
    control.addEventListener("click", function () {
      var open = control.getAttribute("data-tree") === "expand";
      rows.forEach(function (r) {
        var b = r.querySelector(".tree-toggle");
        if (b) setOpen(b, open);
        r.hidden = open ? false : depth(r) > 0;
      });
    });
  });

  // "perché?": load the explanation the first time the panel opens (toggle does not bubble: capture it).
  table.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.classList || !details.classList.contains("why") || !details.open) return;
    // The card sits at the bottom right of the window: one at a time.
    table.querySelectorAll("details.why[open]").forEach(function (other) { if (other !== details) other.open = false; });
    if (details.dataset.loaded) return;
    details.dataset.loaded = "1";
    if (window.htmx) htmx.ajax("GET", details.dataset.url, { target: details.querySelector(".why-body"), swap: "innerHTML" });
  }, true);

  // Escape closes the open "perché?" card and gives the focus back to its summary.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = table.querySelector("details.why[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
})();
