// The dashboards' charts (Chart.js from npm). Their figures come from the page's
// <script type="application/json" id="dashboard-charts"> (json_script); the table under each
// chart carries the same figures and is what prints, so nothing is lost without this script.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);
  function color(name, fallback) {
    return styles.getPropertyValue(name).trim() || fallback;
  }
  var palette = [
    color("--bs-primary", "#0d6efd"), color("--bs-danger", "#dc3545"),
    color("--bs-success", "#198754"), color("--bs-warning", "#ffc107"),
    color("--bs-info", "#0dcaf0"), color("--bs-secondary", "#6c757d"),
    "#6f42c1", "#fd7e14", "#20c997", "#d63384",
  ];
  var locale = document.documentElement.lang || undefined;
  var phone = window.matchMedia("(max-width: 575.98px)").matches;

  function coverage(spec) {
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.label,
          data: spec.values,
          backgroundColor: spec.below.map(function (below) {
            return below ? color("--bs-warning", "#ffc107") : color("--bs-primary", "#0d6efd");
          }),
        }],
      },
      options: {
        indexAxis: "y",
        scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } },
        plugins: { legend: { display: false } },
      },
    };
  }

  function stacked(spec) {
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: palette[i % palette.length] };
        }),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: phone ? "bottom" : "right", labels: { boxWidth: 12 } } },
      },
    };
  }

  function line(spec) {
    return {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, i) {
          return {
            label: set.label, data: set.data, borderColor: palette[i % palette.length],
            backgroundColor: palette[i % palette.length], borderDash: i === 1 ? [6, 4] : [],
            tension: 0.2,
          };
        }),
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      },
    };
  }

  var builders = { coverage: coverage, stacked: stacked, line: line };
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var spec = charts[box.dataset.chart];
    var canvas = box.querySelector("canvas");
    if (!spec || !canvas || !builders[spec.type]) {
      return;
    }
    // Heights set here, not in a style attribute (the Content-Security-Policy refuses those).
    var rows = parseInt(box.dataset.rows || "0", 10);
    box.style.height = (rows ? Math.max(140, 70 + 32 * rows) : (phone ? 380 : 320)) + "px";
    var config = builders[spec.type](spec);
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.animation = false;
    config.options.locale = locale;
    config.options.plugins.title = { display: true, text: spec.label };
    new Chart(canvas, config);
  });
})();
