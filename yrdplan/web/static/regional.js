// Charts of the regional-coordination pages, drawn from the JSON block the server wrote into the
// page (<script type="application/json" id="page-data">: {rows, labels}); no inline script.
"use strict";

(function () {
  var block = document.getElementById("page-data");
  if (!block || !window.Plotly) {
    return;
  }
  var page = JSON.parse(block.textContent);
  var rows = page.rows;
  var labels = page.labels;
  var config = { displaylogo: false, responsive: true };
  var column = function (key) {
    return rows.map(function (r) { return r[key]; });
  };

  if (document.getElementById("trend-chart")) {
    var x = column("period");
    var line = function (key, axis) {
      return { x: x, y: column(key), name: labels[key], mode: "lines+markers", yaxis: axis };
    };
    window.Plotly.newPlot("trend-chart",
      [line("cv", "y"), line("gini", "y"), line("theil_t", "y2"), line("theil_l", "y2")],
      { margin: { t: 20, r: 50 }, legend: { orientation: "h" }, xaxis: { type: "category" },
        yaxis: { title: "CV / Gini" }, yaxis2: { title: "Theil", overlaying: "y", side: "right" } },
      config);
    window.Plotly.newPlot("decomp-chart",
      [{ x: x, y: column("between"), name: labels.between, type: "bar" },
       { x: x, y: column("within"), name: labels.within, type: "bar" }],
      { barmode: "stack", margin: { t: 20 }, legend: { orientation: "h" },
        xaxis: { type: "category" }, yaxis: { title: labels.theil_t } },
      config);
  }

  if (document.getElementById("interval-chart")) {
    window.Plotly.newPlot("interval-chart", [{
      x: column("rank"), y: column("name"), mode: "markers", type: "scatter", name: labels.rank,
      error_x: { type: "data", symmetric: false,
        array: rows.map(function (r) { return r.rank_p95 - r.rank; }),
        arrayminus: rows.map(function (r) { return r.rank - r.rank_p05; }) },
      text: rows.map(function (r) {
        return r.rank_p05 + "–" + r.rank_p95 + " · " + (r.score === null ? "" : r.score.toFixed(1));
      }),
      hovertemplate: "%{y}: %{x} (%{text})<extra></extra>",
    }], { margin: { t: 10, l: 80 }, height: Math.max(400, rows.length * 18),
          xaxis: { title: labels.interval, dtick: 5, rangemode: "tozero" },
          yaxis: { autorange: "reversed", type: "category" } }, config);
  }

  if (document.getElementById("gap-chart")) {
    var names = column("name");
    window.Plotly.newPlot("gap-chart", ["gap_best", "gap_peer_best", "gap_top_quartile"].map(
      function (key) { return { x: names, y: column(key), type: "bar", name: labels[key] }; }),
      { barmode: "group", margin: { t: 20 }, legend: { orientation: "h" } }, config);
  }
})();
