// Draws every <canvas class="reports-chart"> with Chart.js (served by the
// portal): this period's daily figures beside the previous period's. Runs on
// load and after HTMX swaps; a file, so the CSP needs no inline script.
(function () {
  "use strict";
  function draw(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas.reports-chart").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var data = JSON.parse(canvas.dataset.chart);
      var datasets = [{ label: canvas.dataset.current, data: data.current, borderColor: "#2c6fbb",
                        backgroundColor: "rgba(44,111,187,0.15)", fill: true, tension: 0.2 }];
      if (data.previous) {
        datasets.push({ label: canvas.dataset.previous, data: data.previous, borderColor: "#999",
                        borderDash: [4, 4], fill: false, tension: 0.2 });
      }
      new window.Chart(canvas, { type: canvas.dataset.kind || "line", data: { labels: data.labels, datasets: datasets },
        options: { animation: false, plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: true } } } });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
