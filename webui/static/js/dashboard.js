// The activity dashboard's charts: Chart.js (vendored, /static/vendor/chart.umd.min.js) draws
// the figures the page carries as JSON (#dashboard-data) on each canvas[data-chart]. The data
// table under each chart stays: it is the accessible view and the view without JavaScript.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  const charts = JSON.parse(source.textContent);
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const spec = charts[canvas.dataset.chart];
    if (!spec || spec.lines.length === 0) {
      continue;
    }
    canvas.parentElement.hidden = false;
    const line = spec.kind === "line";
    const chart = new window.Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.lines.map((series) => ({
          label: series.label,
          data: series.values,
          borderColor: series.colour,
          backgroundColor: series.colour,
          borderWidth: line ? 2 : 0,
          pointRadius: spec.labels.length > 40 ? 0 : 3,
          tension: 0,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: spec.stacked, title: { display: true, text: spec.axis } },
          y: {
            stacked: spec.stacked,
            beginAtZero: true,
            suggestedMax: spec.percent ? 100 : undefined,
            ticks: { precision: 0 },
          },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
    canvas.dataset.drawn = String(chart.data.datasets.length);
  }
})();
