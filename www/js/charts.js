// Chart.js (loaded as the global `Chart`) set up for the lab: live curves, summary bars with
// ± std, drift per layer, the label-efficiency sweep, embeddings and class probabilities.
const PALETTE = ["#3d63dd", "#e5484d", "#30a46c", "#f76b15", "#8e4ec6", "#12a594", "#d6409f", "#978365", "#0090ff", "#1d2330"];
export const color = (i) => PALETTE[i % PALETTE.length];

const base = (title, x, y) => ({
  animation: false,
  responsive: true,
  maintainAspectRatio: true,
  aspectRatio: 1.6,
  plugins: { title: { display: true, text: title }, legend: { position: "bottom", labels: { boxWidth: 12 } } },
  scales: { x: { title: { display: true, text: x } }, y: { title: { display: true, text: y } } },
});

/** A line chart with one series per run, redrawn at most every 300 ms while points arrive. */
export class LiveChart {
  constructor(canvas, title, yLabel, yRange = {}) {
    const options = base(title, "step", yLabel);
    options.scales.x.type = "linear";
    Object.assign(options.scales.y, yRange);
    options.elements = { point: { radius: 0 }, line: { borderWidth: 1.5 } };
    this.chart = new Chart(canvas, { type: "line", data: { datasets: [] }, options });
    this.timer = null;
  }

  series(label) {
    const datasets = this.chart.data.datasets;
    let index = datasets.findIndex((d) => d.label === label);
    if (index < 0) {
      const c = color(datasets.length);
      datasets.push({ label, data: [], borderColor: c, backgroundColor: c, parsing: false });
      index = datasets.length - 1;
    }
    return index;
  }

  push(index, x, y) {
    this.chart.data.datasets[index].data.push({ x, y });
    this.schedule();
  }

  schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.chart.update("none");
    }, 300);
  }

  clear() {
    this.chart.data.datasets = [];
    this.chart.update("none");
  }
}

/** Mean test accuracy per strategy, with a thin bar from mean − std to mean + std. */
export function summaryChart(canvas) {
  const options = base("Mean test accuracy over seeds (± 1 std)", "strategy", "accuracy %");
  options.plugins.legend.display = false;
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: [], datasets: [
      { label: "± std", data: [], backgroundColor: "#1d2330", barPercentage: 0.12, grouped: false, order: 0 },
      { label: "mean", data: [], backgroundColor: "#3d63dd99", grouped: false, order: 1 },
    ] },
    options,
  });
  return (rows) => {
    chart.data.labels = rows.map((r) => r.label);
    chart.data.datasets[0].data = rows.map((r) => [r.mean - r.std, r.mean + r.std]);
    chart.data.datasets[1].data = rows.map((r) => r.mean);
    const low = Math.min(...rows.map((r) => r.mean - r.std), 100);
    chart.options.scales.y.min = Math.max(0, Math.floor(low / 5) * 5 - 5);
    chart.options.scales.y.max = 100;
    chart.update("none");
  };
}

/** L2 drift of each base layer from w₀, grouped by strategy. */
export function driftChart(canvas) {
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: [], datasets: ["conv1", "conv2", "conv3"].map((layer, i) => ({ label: layer, data: [], backgroundColor: color(i) })) },
    options: base("How far each base layer moved from w₀ (L2, mean over seeds)", "strategy", "‖w − w₀‖₂"),
  });
  return (rows) => {
    chart.data.labels = rows.map((r) => r.label);
    chart.data.datasets.forEach((d, i) => { d.data = rows.map((r) => r.layers[i]); });
    chart.update("none");
  };
}

/** Test accuracy against labels per digit, one line per strategy. */
export function sweepChart(canvas) {
  const options = base("Label efficiency", "labelled images per digit", "accuracy %");
  options.scales.x.type = "logarithmic";
  Object.assign(options.scales.x, { min: 1, suggestedMax: 100 });
  Object.assign(options.scales.y, { min: 0, max: 100 });
  const chart = new Chart(canvas, { type: "line", data: { datasets: [] }, options });
  return (series) => {
    chart.data.datasets = series.map((s, i) => ({ label: s.label, data: s.points, borderColor: color(i), backgroundColor: color(i), parsing: false }));
    chart.update("none");
  };
}

/** A 2-D scatter coloured by digit. */
export function embeddingChart(canvas, title) {
  const options = base(title, "PC 1", "PC 2");
  options.elements = { point: { radius: 2 } };
  const chart = new Chart(canvas, { type: "scatter", data: { datasets: [] }, options });
  return ({ x, y, labels }) => {
    chart.data.datasets = Array.from({ length: 10 }, (_, digit) => ({
      label: String(digit), backgroundColor: color(digit), data: [],
    }));
    for (let i = 0; i < labels.length; i++) chart.data.datasets[labels[i]].data.push({ x: x[i], y: y[i] });
    chart.data.datasets = chart.data.datasets.filter((d) => d.data.length > 0);
    chart.update("none");
  };
}

/** Class probabilities as bars. */
export function probabilityChart(canvas) {
  const options = base("What the current model sees", "digit", "probability");
  options.plugins.legend.display = false;
  options.scales.y.min = 0;
  options.scales.y.max = 1;
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: [...Array(10).keys()].map(String), datasets: [{ data: new Array(10).fill(0), backgroundColor: "#3d63dd" }] },
    options,
  });
  return (probabilities) => {
    chart.data.datasets[0].data = Array.from(probabilities);
    chart.update("none");
  };
}
