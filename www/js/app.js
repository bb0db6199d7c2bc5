// The lab page: pretrain → fine-tune → compare, with live charts. Training runs in a Web Worker
// (./worker.js) through LabClient; this file only builds configs, draws and keeps results.
import { LabClient } from "./lab-client.js";
import { LiveChart, summaryChart, driftChart, sweepChart, embeddingChart, probabilityChart } from "./charts.js";
import { OBJECTIVES, STRATEGIES } from "./explain.js";
import * as store from "./store.js";

const $ = (id) => document.getElementById(id);
const client = new LabClient(new URL("./worker.js", import.meta.url));
// For automation and embedding, beside Trunk's window.wasmBindings: the worker's Lab.
window.labClient = client;

/** The strategy rows of the fine-tuning panel. */
const ENTRIES = [
  { key: "scratch", strategy: "scratch" },
  { key: "frozen", strategy: "frozen" },
  { key: "full", strategy: "full" },
  { key: "joint", strategy: "joint" },
  { key: "l2sp", strategy: "l2sp" },
  { key: "ball-l2", strategy: "ball", norm: "l2" },
  { key: "ball-linf", strategy: "ball", norm: "linf" },
  { key: "ball-l1", strategy: "ball", norm: "l1" },
];
const NORM_NAMES = { l2: "L2", linf: "L∞", l1: "L1" };
const BASE_DIGITS = "0,1,2,3,5,6,7,8";
const ALL_DIGITS = "0,1,2,3,4,5,6,7,8,9";

const state = { ready: false, busy: false, stop: false, backend: null, base: null, runs: [], sweep: new Map(), lastRun: null };

// ---------- strategies, explanations ----------
for (const entry of ENTRIES) {
  const explain = STRATEGIES[entry.strategy];
  const row = document.createElement("div");
  row.className = "strategy";
  const title = entry.norm ? `${explain.title} — ${NORM_NAMES[entry.norm]}` : explain.title;
  row.innerHTML = `<input type="checkbox" id="use-${entry.key}" value="${entry.key}" checked />
    <label for="use-${entry.key}"><code>${entry.key}</code> ${title}</label>
    <details><summary>What it does</summary><p>${explain.html}</p></details>`;
  $("strategies").append(row);
}
const strategyBoxes = () => [...document.querySelectorAll("#strategies input[type=checkbox]")];
const chosenEntries = () => ENTRIES.filter((e) => $(`use-${e.key}`).checked);

function showObjective() {
  const objective = $("objective").value;
  const text = OBJECTIVES[objective];
  $("objective-explain").innerHTML = `<h3>${text.title}</h3><p>${text.html}</p>`;
  const ssl = objective !== "supervised";
  for (const el of document.querySelectorAll(".ssl")) el.hidden = !ssl;
  for (const el of document.querySelectorAll(".contrastive-only")) el.hidden = !(objective === "contrastive" || objective === "supcon");
  for (const el of document.querySelectorAll(".shiftable")) el.hidden = objective === "masked";
  if (ssl) showMaskSamples();
  else $("mask-samples").replaceChildren();
}

// Switching objective moves defaults that depend on it, unless the person changed them (or the
// URL set them: `pinned` holds those settings' names).
function objectiveDefaults(pinned = new Set()) {
  const objective = $("objective").value;
  const free = (el, values) => values.includes(el.value) && !pinned.has(el.dataset.setting);
  const classes = $("classes");
  if (free(classes, [BASE_DIGITS, ALL_DIGITS])) {
    classes.value = objective === "masked" || objective === "contrastive" ? ALL_DIGITS : BASE_DIGITS;
  }
  const ratio = $("mask-ratio");
  if (free(ratio, ["0.5", "0.75"])) ratio.value = objective === "masked" ? "0.75" : "0.5";
  const shift = $("shift");
  if (free(shift, ["0", "2"])) shift.value = objective === "supervised" ? "2" : "0";
  const masks = $("masks");
  if (objective === "masked" && masks.value === "disjoint" && !pinned.has("masks")) masks.value = "patches";
}

// ---------- settings in the URL ----------
const settingInputs = [...document.querySelectorAll("[data-setting]")];
const defaults = new Map(settingInputs.map((el) => [el, el.value]));

function readUrl() {
  const query = new URLSearchParams(location.search);
  for (const el of settingInputs) {
    const value = query.get(el.dataset.setting);
    if (value !== null) el.value = value;
  }
  const chosen = query.get("strategies");
  if (chosen !== null) {
    const keys = chosen.split(",");
    for (const box of strategyBoxes()) box.checked = keys.includes(box.value);
  }
  objectiveDefaults(new Set(query.keys()));
}

function writeUrl() {
  const query = new URLSearchParams();
  for (const el of settingInputs) if (el.value !== defaults.get(el)) query.set(el.dataset.setting, el.value);
  const chosen = strategyBoxes().filter((b) => b.checked).map((b) => b.value);
  if (chosen.length !== ENTRIES.length) query.set("strategies", chosen.join(","));
  const search = query.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
}

// ---------- small helpers ----------
const num = (id) => (($(id).value ?? "").trim() === "" ? NaN : Number($(id).value));
const digits = (id) => $(id).value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
const percent = (x) => (x === null || x === undefined || Number.isNaN(x) ? "–" : `${(x * 100).toFixed(2)} %`);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
function showError(error) { $("error").textContent = error ? String(error.message ?? error) : ""; }

function setBusy(busy) {
  state.busy = busy;
  const idle = state.ready && !busy;
  for (const id of ["pretrain", "finetune", "sweep", "notebook", "embed"]) $(id).disabled = !idle;
  $("export-weights").disabled = !idle || !state.base;
  $("export-json").disabled = $("export-csv").disabled = state.runs.length === 0;
  $("import-weights").disabled = !idle;
  $("backend").disabled = busy;
  $("cancel").disabled = !busy;
}

// ---------- the device ----------
async function makeLab() {
  state.ready = false;
  setBusy(false);
  const backend = $("backend").value;
  $("device-status").textContent = `Starting ${backend}…`;
  try {
    const info = await client.call("create", [{ backend, seed: 0, dataUrl: new URL("data/mnist.tlm", document.baseURI).href }]);
    state.backend = info.backend;
    state.base = null;
    state.ready = true;
    $("device-status").textContent = `${info.backend === "webgpu" ? "WebGPU" : "CPU"} — ${info.backendNote}`;
    showError(null);
    await restoreSavedWeights();
  } catch (error) {
    $("device-status").textContent = "No device";
    showError(error);
  }
  setBusy(false);
  showObjective();
}

// ---------- progress ----------
const lossChart = new LiveChart($("loss-chart"), "Training loss", "loss");
const accuracyChart = new LiveChart($("accuracy-chart"), "Test accuracy", "accuracy %", { min: 0, max: 100 });

function tracker(label) {
  const lossSeries = lossChart.series(label);
  const accuracySeries = accuracyChart.series(label);
  $("run-label").textContent = label;
  $("accuracy").textContent = "–";
  $("ran-on").textContent = state.backend;
  return (p) => {
    $("progress").value = p.step / p.steps;
    $("step").textContent = `${p.step} / ${p.steps}`;
    $("loss").textContent = p.loss.toFixed(4);
    $("ms").textContent = p.msPerStep.toFixed(1);
    $("eta").textContent = `${Math.ceil(((p.steps - p.step) * p.msPerStep) / 1000)} s`;
    lossChart.push(lossSeries, p.step, p.loss);
    if (p.testAccuracy !== undefined) {
      $("accuracy").textContent = percent(p.testAccuracy);
      accuracyChart.push(accuracySeries, p.step, p.testAccuracy * 100);
    }
  };
}

function finished(report) {
  $("ran-on").textContent = `${report.backend}${report.cancelled ? " (cancelled)" : ""}`;
  $("ms").textContent = report.msPerStep.toFixed(1);
  $("eta").textContent = report.cancelled ? "cancelled" : "done";
  if (report.testAccuracy !== null && report.testAccuracy !== undefined) $("accuracy").textContent = percent(report.testAccuracy);
}

/** Runs `work` with the buttons locked; errors land in the alert line, never as a stuck page. */
async function exclusive(work) {
  if (!state.ready || state.busy) return;
  state.stop = false;
  setBusy(true);
  showError(null);
  try {
    await work();
  } catch (error) {
    showError(error);
  } finally {
    setBusy(false);
  }
}

// ---------- 1 · pretrain ----------
const PROBES = {
  quick: { probeShots: 30, probeTestImages: 500, probeSteps: 300 },
  full: { probeShots: 100, probeTestImages: 2000, probeSteps: 1000 },
  off: { probe: false },
};

function pretrainConfig() {
  const objective = $("objective").value;
  const config = {
    objective, classes: digits("classes"), steps: num("pretrain-steps"), batchSize: num("pretrain-batch"),
    lr: num("pretrain-lr"), seed: num("seed"), logEvery: 5, evalEvery: objective === "supervised" ? 50 : 0,
    ...PROBES[$("probe").value],
  };
  if (objective !== "supervised") Object.assign(config, { masks: $("masks").value, maskRatio: num("mask-ratio") });
  if (objective === "contrastive" || objective === "supcon") Object.assign(config, { temperature: num("temperature") });
  if (objective !== "masked") config.shift = num("shift");
  return config;
}

async function pretrain() {
  const config = pretrainConfig();
  const method = config.objective === "contrastive" || config.objective === "supcon" ? "contrastive" : "pretrain";
  const report = await client.call(method, [config], tracker(`pretrain · ${config.objective}`));
  finished(report);
  if (report.cancelled) return false;
  state.base = report;
  const probe = report.probe ? ` Probe on all 10 digits: linear ${percent(report.probe.linearAccuracy)}, k-NN ${percent(report.probe.knnAccuracy)} (${report.probe.trainImages} labels).` : "";
  const own = config.objective === "supervised" ? ` Base-task test accuracy ${percent(report.testAccuracy)}.` : "";
  $("base-summary").textContent = `Base: ${report.objective} on digits ${report.classes.join(", ")}, ${report.steps} steps, ${report.backend}.${own}${probe}`;
  await showFilters();
  await saveWeights();
  return true;
}

// ---------- 2 · fine-tune ----------
function finetuneConfig(entry, seed, shots = null) {
  const task = { classes: digits("task-classes"), subsetSeed: seed };
  if (shots !== null) task.shotsPerClass = shots;
  else if ($("budget-kind").value === "shots") task.shotsPerClass = num("budget");
  else task.fraction = num("budget");
  const steps = num("finetune-steps");
  const config = { task, strategy: entry.strategy, steps, batchSize: num("finetune-batch"), lr: num("finetune-lr"), seed,
    shift: num("finetune-shift"), logEvery: 5, evalEvery: Math.max(5, Math.round(steps / 6)) };
  let settings = "";
  if (entry.strategy === "l2sp") { Object.assign(config, { alpha: num("alpha"), beta: num("beta") }); settings = `α=${config.alpha} β=${config.beta}`; }
  if (entry.strategy === "joint") { config.jointWeight = num("joint-weight"); settings = `λ=${config.jointWeight}`; }
  if (entry.strategy === "ball") {
    Object.assign(config, { norm: entry.norm, radius: num(`radius-${entry.norm}`), scope: $("scope").value });
    settings = `${NORM_NAMES[entry.norm]} ε=${config.radius} per ${config.scope}`;
  }
  if (config.shift > 0) settings = [settings, `shift ${config.shift}`].filter(Boolean).join(" ");
  return { config, settings };
}

async function finetuneOne(entry, seed, shots = null) {
  const { config, settings } = finetuneConfig(entry, seed, shots);
  const budget = shots !== null ? `${shots}/digit` : $("budget-kind").value === "shots" ? `${config.task.shotsPerClass}/digit` : `${config.task.fraction * 100}%`;
  const label = `${entry.key}${settings ? ` (${settings})` : ""}`;
  const report = await client.call("finetune", [config], tracker(`${label} · ${budget} · seed ${seed}`));
  finished(report);
  if (report.cancelled) return null;
  const run = {
    n: state.runs.length + 1, key: entry.key, label, settings, budget, shots, seed, config, report,
    accuracy: report.testAccuracy, driftL2: report.drift.total.l2, driftLinf: report.drift.total.linf,
    layers: report.drift.perLayer.map((l) => l.l2), baseTask: report.baseTaskAccuracy,
  };
  state.runs.push(run);
  state.lastRun = run;
  addRunRow(run);
  updateSummary();
  return run;
}

async function finetuneChosen() {
  const seeds = num("seeds");
  for (const entry of chosenEntries()) {
    for (let seed = 0; seed < seeds; seed++) {
      if (state.stop) return;
      await finetuneOne(entry, seed);
    }
  }
  await afterFinetuning();
}

async function sweep() {
  const shotsList = digits("sweep-shots");
  const seeds = num("seeds");
  for (const entry of chosenEntries()) {
    for (const shots of shotsList) {
      const accuracies = [];
      for (let seed = 0; seed < seeds; seed++) {
        if (state.stop) return;
        const run = await finetuneOne(entry, seed, shots);
        if (run) accuracies.push(run.accuracy * 100);
      }
      const points = state.sweep.get(entry.key) ?? [];
      points.push({ x: shots, y: mean(accuracies) });
      state.sweep.set(entry.key, points.sort((a, b) => a.x - b.x));
      drawSweep([...state.sweep].map(([label, pts]) => ({ label, points: pts })));
    }
  }
  await afterFinetuning();
}

async function afterFinetuning() {
  showConfusion();
  await showMisclassified();
  await saveWeights();
}

async function notebook() {
  $("objective").value = "supervised";
  $("classes").value = BASE_DIGITS;
  $("pretrain-lr").value = "0.001";
  $("shift").value = "2";
  $("finetune-shift").value = "0";
  $("task-classes").value = "4,9";
  $("budget-kind").value = "fraction";
  $("budget").value = "0.02";
  for (const box of strategyBoxes()) box.checked = true;
  showObjective();
  writeUrl();
  if (await pretrain()) await finetuneChosen();
}

// ---------- 3 · compare ----------
function addRunRow(run) {
  const row = document.createElement("tr");
  const cells = [run.n, run.key, run.settings || "–", `${run.budget} (${run.report.task.trainImages})`, run.seed,
    percent(run.accuracy), run.driftL2.toFixed(3), run.driftLinf.toFixed(4), percent(run.baseTask), run.report.msPerStep.toFixed(1)];
  for (const value of cells) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.append(cell);
  }
  row.children[5].className = "accuracy";
  $("runs").tBodies[0].append(row);
}

const drawSummary = summaryChart($("summary-chart"));
const drawDrift = driftChart($("drift-chart"));
const drawSweep = sweepChart($("sweep-chart"));

function updateSummary() {
  const groups = new Map();
  for (const run of state.runs) {
    if (run.shots !== null) continue;
    const group = groups.get(run.label) ?? [];
    group.push(run);
    groups.set(run.label, group);
  }
  const rows = [...groups].map(([label, runs]) => ({
    label: runs[0].settings ? [runs[0].key, runs[0].settings] : runs[0].key, mean: mean(runs.map((r) => r.accuracy * 100)), std: std(runs.map((r) => r.accuracy * 100)),
    layers: [0, 1, 2].map((i) => mean(runs.map((r) => r.layers[i]))),
  }));
  drawSummary(rows);
  drawDrift(rows);
}

function download(name, type, data) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function exportJson() {
  const records = state.runs.map((r) => ({ run: r.n, strategy: r.key, settings: r.settings, budget: r.budget, seed: r.seed, config: r.config, report: r.report }));
  const base = state.base && { objective: state.base.objective, classes: state.base.classes, steps: state.base.steps, testAccuracy: state.base.testAccuracy, probe: state.base.probe };
  download("transfer-lab-runs.json", "application/json", JSON.stringify({ exportedAt: new Date().toISOString(), backend: state.backend, base, runs: records }, null, 2));
}

function exportCsv() {
  const header = ["run", "strategy", "settings", "budget", "trainImages", "seed", "steps", "testAccuracy", "driftL2", "driftLinf", "baseTaskAccuracy", "msPerStep", "backend"];
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v ?? ""));
  const lines = state.runs.map((r) => [r.n, r.key, r.settings, r.budget, r.report.task.trainImages, r.seed, r.report.steps, r.accuracy,
    r.driftL2, r.driftLinf, r.baseTask ?? "", r.report.msPerStep, r.report.backend].map(quote).join(","));
  download("transfer-lab-runs.csv", "text/csv", [header.join(","), ...lines].join("\n") + "\n");
}

// ---------- weights: files and IndexedDB ----------
async function saveWeights() {
  try {
    await store.save("weights", await client.call("exportWeights"));
  } catch (error) {
    console.warn("could not keep the weights in this browser:", error);
  }
}

async function restoreSavedWeights() {
  const bytes = await store.load("weights").catch(() => null);
  if (!bytes) return;
  try {
    await client.call("importWeights", [bytes]);
    state.base = { restored: true };
    $("base-summary").textContent = "Base: restored from the weights kept in this browser.";
    $("weights-status").textContent = "Restored the weights kept in this browser.";
    await showFilters();
  } catch (error) {
    $("weights-status").textContent = `The weights kept in this browser could not be loaded: ${error.message}`;
  }
}

async function exportWeights() {
  await exclusive(async () => {
    const bytes = await client.call("exportWeights");
    download("transfer-lab-weights.bin", "application/octet-stream", bytes);
    $("weights-status").textContent = `Exported ${bytes.length.toLocaleString()} bytes.`;
  });
}

async function importWeights(file) {
  await exclusive(async () => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await client.call("importWeights", [bytes]);
    state.base = { imported: true };
    $("base-summary").textContent = `Base: imported from ${file.name}.`;
    $("weights-status").textContent = `Imported ${file.name}.`;
    await store.save("weights", bytes);
    await showFilters();
  });
}

// ---------- look inside ----------
function showConfusion() {
  const run = state.lastRun;
  const table = $("confusion");
  table.replaceChildren();
  if (!run?.report.confusion) return;
  const classes = run.config.task.classes;
  const head = table.insertRow();
  head.insertCell().textContent = "true \\ predicted";
  for (const c of classes) head.insertCell().textContent = c;
  run.report.confusion.forEach((counts, i) => {
    const row = table.insertRow();
    row.insertCell().textContent = classes[i];
    for (const [j, count] of counts.entries()) {
      const cell = row.insertCell();
      cell.textContent = count;
      cell.className = i === j ? "hit" : count > 0 ? "miss" : "";
    }
  });
}

function drawDigit(pixels, offset, scale = 2) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 28;
  canvas.style.width = canvas.style.height = `${28 * scale}px`;
  const context = canvas.getContext("2d");
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * pixels[offset + i]);
    image.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

async function showMisclassified() {
  const run = state.lastRun;
  const gallery = $("misclassified");
  gallery.replaceChildren();
  if (!run) return;
  const { pixels, labels } = await client.call("testImages", [{ n: 1000 }]);
  const probabilities = await client.call("predict", [pixels]);
  const classes = run.config.task.classes;
  let shown = 0;
  for (let i = 0; i < labels.length && shown < 24; i++) {
    if (!classes.includes(labels[i])) continue;
    const row = probabilities.subarray(i * 10, i * 10 + 10);
    const predicted = classes.reduce((best, c) => (row[c] > row[best] ? c : best), classes[0]);
    if (predicted === labels[i]) continue;
    const figure = document.createElement("figure");
    figure.append(drawDigit(pixels, i * 784));
    figure.append(Object.assign(document.createElement("figcaption"), { textContent: `${labels[i]} → ${predicted}` }));
    gallery.append(figure);
    shown++;
  }
  if (shown === 0) gallery.textContent = "None among the first 1,000 test images.";
}

async function showFilters() {
  const gallery = $("filters");
  gallery.replaceChildren();
  const weights = await client.call("filters", [{ model: "base" }]).catch(() => null);
  if (!weights) return;
  const scale = Math.max(...weights.map(Math.abs)) || 1;
  for (let f = 0; f < 16; f++) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 3;
    canvas.className = "filter";
    const context = canvas.getContext("2d");
    const image = context.createImageData(3, 3);
    for (let i = 0; i < 9; i++) {
      const v = weights[f * 9 + i] / scale;
      const rgb = v >= 0 ? [255, Math.round(255 * (1 - v)), Math.round(255 * (1 - v))] : [Math.round(255 * (1 + v)), Math.round(255 * (1 + v)), 255];
      image.data.set([...rgb, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
    gallery.append(canvas);
  }
}

async function showMaskSamples() {
  const gallery = $("mask-samples");
  if (!state.ready || state.busy) return;
  const masks = $("masks").value;
  const samples = await client.call("maskSamples", [{ masks, maskRatio: num("mask-ratio"), n: 6, seed: num("seed") || 0 }]).catch((e) => e);
  gallery.replaceChildren();
  if (samples instanceof Error) {
    gallery.textContent = samples.message;
    return;
  }
  for (let i = 0; i < 6; i++) {
    const figure = document.createElement("figure");
    figure.append(drawDigit(samples.images, i * 784), drawDigit(samples.first, i * 784), drawDigit(samples.second, i * 784));
    figure.append(Object.assign(document.createElement("figcaption"), { textContent: "image · view 1 · view 2" }));
    gallery.append(figure);
  }
}

const drawEmbedBefore = embeddingChart($("embed-before"), "Pretrained base");
const drawEmbedAfter = embeddingChart($("embed-after"), "After the last fine-tuning run");
async function showEmbeddings() {
  await exclusive(async () => {
    drawEmbedBefore(await client.call("embed", [{ split: "test", n: 500, model: "base" }]));
    if (state.lastRun) drawEmbedAfter(await client.call("embed", [{ split: "test", n: 500, model: "finetuned" }]));
  });
}

// ---------- draw a digit ----------
const drawProbabilities = probabilityChart($("draw-chart"));
const pad = $("draw-canvas");
const pen = pad.getContext("2d");
function clearPad() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, pad.width, pad.height);
  drawProbabilities(new Float32Array(10));
}
let drawing = false;
pad.addEventListener("pointerdown", (e) => { drawing = true; pad.setPointerCapture(e.pointerId); pen.beginPath(); pen.moveTo(e.offsetX, e.offsetY); });
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  Object.assign(pen, { strokeStyle: "#fff", lineWidth: 16, lineCap: "round", lineJoin: "round" });
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
});
pad.addEventListener("pointerup", () => { drawing = false; predictDrawing(); });

/** The drawing as MNIST sees digits: the ink's bounding box scaled into 20×20, centred in 28×28. */
function drawingPixels() {
  const { data } = pen.getImageData(0, 0, pad.width, pad.height);
  let [x0, y0, x1, y1] = [pad.width, pad.height, -1, -1];
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
    if (data[(y * pad.width + x) * 4] > 40) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  }
  if (x1 < 0) return null;
  const small = document.createElement("canvas");
  small.width = small.height = 28;
  const context = small.getContext("2d");
  context.fillStyle = "#000";
  context.fillRect(0, 0, 28, 28);
  const side = Math.max(x1 - x0, y1 - y0) + 1;
  const size = (20 * (x1 - x0 + 1)) / side, height = (20 * (y1 - y0 + 1)) / side;
  context.drawImage(pad, x0, y0, x1 - x0 + 1, y1 - y0 + 1, (28 - size) / 2, (28 - height) / 2, size, height);
  const pixels = new Float32Array(784);
  const small_data = context.getImageData(0, 0, 28, 28).data;
  for (let i = 0; i < 784; i++) pixels[i] = small_data[i * 4] / 255;
  return pixels;
}

async function predictDrawing() {
  const pixels = drawingPixels();
  if (!pixels || !state.ready || state.busy) return;
  if (!state.base) {
    $("draw-result").textContent = "Pretrain (supervised) or fine-tune first: there is no classifier yet.";
    return;
  }
  try {
    const probabilities = await client.call("predict", [pixels]);
    drawProbabilities(probabilities);
    const best = probabilities.indexOf(Math.max(...probabilities));
    $("draw-result").textContent = `Looks like a ${best} (${(probabilities[best] * 100).toFixed(1)} %).`;
    showError(null);
  } catch (error) {
    showError(error);
  }
}

// ---------- wiring ----------
$("objective").addEventListener("change", () => { objectiveDefaults(); showObjective(); writeUrl(); });
for (const id of ["masks", "mask-ratio"]) $(id).addEventListener("change", showMaskSamples);
for (const el of settingInputs) el.addEventListener("change", writeUrl);
$("strategies").addEventListener("change", writeUrl);
$("backend").addEventListener("change", () => { if (!state.busy) makeLab(); });
$("pretrain").addEventListener("click", () => exclusive(pretrain));
$("finetune").addEventListener("click", () => exclusive(finetuneChosen));
$("sweep").addEventListener("click", () => exclusive(sweep));
$("notebook").addEventListener("click", () => exclusive(notebook));
$("cancel").addEventListener("click", () => { state.stop = true; client.cancel(); $("run-label").textContent += " — cancelling…"; });
$("export-json").addEventListener("click", exportJson);
$("export-csv").addEventListener("click", exportCsv);
$("export-weights").addEventListener("click", exportWeights);
$("import-weights").addEventListener("change", (e) => { const file = e.target.files[0]; if (file) importWeights(file); e.target.value = ""; });
$("embed").addEventListener("click", showEmbeddings);
$("draw-clear").addEventListener("click", clearPad);

readUrl();
showObjective();
clearPad();
makeLab();
