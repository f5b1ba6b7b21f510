// Horizontal bar chart of household coverage per hamlet. The table on the page carries the same
// figures (and is what prints), so nothing is lost when this script or Chart.js does not run.
(function () {
  "use strict";
  var source = document.getElementById("coverage-data");
  var canvas = document.getElementById("coverage-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  // The box's height grows with the number of hamlets; set here, not in a style attribute,
  // which the Content-Security-Policy refuses.
  var box = canvas.parentElement;
  if (box.dataset.height) {
    box.style.height = box.dataset.height + "px";
  }
  var styles = getComputedStyle(document.documentElement);
  var ok = styles.getPropertyValue("--bs-primary").trim() || "#0d6efd";
  var low = styles.getPropertyValue("--bs-warning").trim() || "#ffc107";
  var locale = document.documentElement.lang || undefined;
  var percent = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: data.label,
          data: data.values,
          backgroundColor: data.below.map(function (below) { return below ? low : ok; }),
        },
      ],
    },
    options: {
      indexAxis: "y",
      locale: locale,
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: {
          min: 0,
          max: 100,
          ticks: { callback: function (value) { return value + "%"; } },
        },
      },
      plugins: {
        legend: { display: false },
        title: { display: true, text: data.label },
        tooltip: {
          callbacks: {
            label: function (context) {
              var i = context.dataIndex;
              var shown = data.values[i] === null ? "—" : percent.format(data.values[i]) + "%";
              return shown + " (" + data.covered[i] + " / " + data.households[i] + ")";
            },
          },
        },
      },
    },
  });
})();
