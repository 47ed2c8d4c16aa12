// The analyst's dashboard: charts drawn from the JSON each section carries (the same
// rows as its table), redrawn after htmx swaps the sections, and the quick date
// ranges filling the form so the URL (pushed by htmx) always states the view.
// htmx itself comes from the workspace bundle that the base layout loads, and Chart.js
// from the chunk both share.
import { Chart } from "./charts.js";

// Colour-blind-safe (Okabe-Ito), each at least 3:1 against white.
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8F6A00"];

function options(spec) {
  const one = (value) => `${(value * 100).toFixed(value < 0.01 ? 2 : 1)} %`;
  // A floating bar's value is its [low, high] interval.
  const percent = (value) => (Array.isArray(value) ? value.map(one).join(" – ") : one(value));
  const scale = spec.percent ? { beginAtZero: true, ticks: { callback: percent } } : { beginAtZero: true };
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    spanGaps: false,
    indexAxis: spec.type === "bar" && spec.labels.length > 4 ? "y" : "x",
    scales: spec.type === "bar" && spec.labels.length > 4 ? { x: scale } : { y: scale },
    plugins: {
      legend: { display: spec.datasets.length > 1, labels: { usePointStyle: Boolean(spec.point_styles) } },
      tooltip: spec.percent ? { callbacks: { label: (c) => `${c.dataset.label}: ${percent(c.raw)}` } } : {},
    },
  };
}

function draw(canvas) {
  if (Chart.getChart(canvas)) return;
  const source = document.getElementById(canvas.dataset.chart);
  if (!source) return;
  const spec = JSON.parse(source.textContent);
  const datasets = spec.datasets.map((set, i) => ({
    ...set,
    backgroundColor: COLOURS[i % COLOURS.length],
    borderColor: COLOURS[i % COLOURS.length],
    borderWidth: 2,
    pointRadius: set.pointRadius ?? (spec.labels.length > 40 ? 0 : 2),
  }));
  new Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets }, options: options(spec) });
}

function drawAll(root = document) {
  root.querySelectorAll("canvas[data-chart]").forEach(draw);
}

// Charts on canvases about to be replaced are released, not leaked.
document.addEventListener("htmx:beforeSwap", (event) => {
  event.detail.target.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const chart = Chart.getChart(canvas);
    if (chart) chart.destroy();
  });
});
document.addEventListener("htmx:afterSettle", () => drawAll());

// A quick range sets the two dates and asks once, as if the person had typed them.
document.addEventListener("click", (event) => {
  const preset = event.target.closest("a.preset");
  const form = document.getElementById("dashboard-query");
  if (!preset || !form || !window.htmx) return;
  event.preventDefault();
  form.elements.from.value = preset.dataset.from;
  form.elements.to.value = preset.dataset.to;
  document.querySelectorAll("a.preset").forEach((a) => a.removeAttribute("aria-current"));
  preset.setAttribute("aria-current", "true");
  window.htmx.trigger(form, "submit");
});

// A quick range is marked only while the dates are exactly its dates: typing a custom
// range takes the mark off (and typing a preset's dates puts it back).
function markPreset() {
  const form = document.getElementById("dashboard-query");
  if (!form) return;
  document.querySelectorAll("a.preset").forEach((a) => {
    const current = a.dataset.from === form.elements.from.value && a.dataset.to === form.elements.to.value;
    if (current) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  });
}
document.addEventListener("input", (event) => {
  if (["from", "to"].includes(event.target.id)) markPreset();
});
document.addEventListener("change", (event) => {
  if (["from", "to"].includes(event.target.id)) markPreset();
});

// While the sections load, say so to assistive technology.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.target.id === "sections") event.detail.target.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target.id === "sections") event.detail.target.setAttribute("aria-busy", "false");
});

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => drawAll());
else drawAll();
