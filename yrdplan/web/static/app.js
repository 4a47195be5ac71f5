// Page behaviour without inline script (the Content-Security-Policy allows none):
// charts are drawn from JSON data blocks that the server wrote into the page, and
// select boxes marked data-autosubmit submit their form when changed.
"use strict";

document.querySelectorAll('script[type="application/json"][data-charts]').forEach(function (block) {
  var figures = JSON.parse(block.textContent);
  Object.keys(figures).forEach(function (id) {
    var element = document.getElementById(id);
    if (element && window.Plotly) {
      var figure = figures[id];
      window.Plotly.newPlot(element, figure.data, figure.layout, {
        displaylogo: false,
        displayModeBar: false,
        responsive: true,
      });
    }
  });
});

document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () {
    select.form.submit();
  });
});
