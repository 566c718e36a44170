/* Plan page: expand/collapse of the tree, in-place target editing and the "perché?" panels (htmx).
   A collapsed row of a large plan (button with data-children) fetches its indicators and children the first time it
   is opened and inserts them after itself; from then on it opens and closes like the others. */
(function () {
  "use strict";
  var table = document.querySelector("[data-testid=plan-tree]");
  if (!table) return;
  var body = table.tBodies[0];

  function depth(row) { return parseInt(row.getAttribute("data-depth"), 10) || 0; }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.firstElementChild.textContent = open ? "▾" : "▸";
  }

  // Show or hide the rows below a node; an expanded node keeps its collapsed descendants collapsed.
  function apply(row, open) {
    var d = depth(row), hiddenBelow = null;
    for (var r = row.nextElementSibling; r; r = r.nextElementSibling) {
      var rd = depth(r);
      if (rd <= d) break;
      if (!open) { r.hidden = true; continue; }
      if (hiddenBelow !== null && rd > hiddenBelow) { r.hidden = true; continue; }
      hiddenBelow = null;
      r.hidden = false;
      var b = r.querySelector(".tree-toggle");
      if (b && b.getAttribute("aria-expanded") === "false") hiddenBelow = rd;
    }
  }

  // The first opening of a collapsed row: its rows come from the server, inserted after it.
  function fetchChildren(button) {
    var row = button.closest("tr");
    button.dataset.loading = "1";
    row.setAttribute("aria-busy", "true");
    var done = function () {
      delete button.dataset.loading;
      row.removeAttribute("aria-busy");
      var next = row.nextElementSibling;
      if (next && depth(next) > depth(row)) {  // inserted: from now on a plain toggle
        button.removeAttribute("data-children");
        setOpen(button, true);
      }
    };
    htmx.ajax("GET", button.dataset.children, { target: row, swap: "afterend" }).then(done, done);
  }

  table.addEventListener("click", function (event) {
    var button = event.target.closest(".tree-toggle");
    if (button) {
      if (button.dataset.children && window.htmx) {
        if (!button.dataset.loading) fetchChildren(button);
        return;
      }
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
      Array.prototype.forEach.call(body.rows, function (r) {
        var b = r.querySelector(".tree-toggle");
        if (b && !b.dataset.children) setOpen(b, open);  // a row not fetched yet stays closed
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
