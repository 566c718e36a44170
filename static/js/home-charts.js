/* The home page's charts (Chart.js, from npm): each chart is drawn from the table next to it, which stays the
   source and what screen readers read (the canvas is aria-hidden).
   <table data-chart="canvas-id" data-chart-type="bar|doughnut"> with <tr data-label data-value data-band>. */
(function () {
  "use strict";
  if (!window.Chart) return;
  var COLOURS = { raggiunto: "#00805a", parziale: "#b86e00", non_raggiunto: "#c0262d", nd: "#8a8f96" };
  var body = window.getComputedStyle(document.body);
  window.Chart.defaults.font.family = body.fontFamily;
  window.Chart.defaults.color = "#1a1a1a";
  function lines(text, width) {
    /* A long label on several lines, so that a narrow chart does not cut it. */
    var words = text.split(/\s+/), result = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > width) { result.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) result.push(line);
    return result.length > 1 ? result : text;
  }
  function percent(value) {
    return String(Math.round(value * 10) / 10).replace(".", ",") + " %";
  }
  document.querySelectorAll("table[data-chart]").forEach(function (table) {
    var canvas = document.getElementById(table.getAttribute("data-chart"));
    if (!canvas) return;
    var type = table.getAttribute("data-chart-type") || "bar";
    var labels = [], values = [], colours = [];
    table.querySelectorAll("tbody tr[data-label]").forEach(function (row) {
      var raw = row.getAttribute("data-value");
      labels.push(type === "bar" ? lines(row.getAttribute("data-label"), canvas.parentNode.clientWidth < 500 ? 16 : 28) : row.getAttribute("data-label"));
      values.push(raw === "" ? null : Number(raw));
      colours.push(COLOURS[row.getAttribute("data-band")] || COLOURS.nd);
    });
    var options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } };
    if (type === "bar") {
      var top = Math.max(100, Math.max.apply(null, values.filter(function (v) { return v !== null; }).concat([0])));
      options.indexAxis = "y";
      options.scales = {
        x: { min: 0, suggestedMax: top, ticks: { callback: function (v) { return v + " %"; } } },
        y: { ticks: { autoSkip: false } }
      };
      options.plugins.tooltip = { callbacks: { label: function (ctx) { return ctx.raw === null ? "N/D" : percent(ctx.raw); } } };
    } else {
      options.plugins.legend = { display: true, position: "right" };
    }
    new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: [{ data: values, backgroundColor: colours, borderWidth: type === "bar" ? 0 : 1 }] },
      options: options
    });
  });
})();
