// The page's UI: it only uses the JS API that Trunk exposes at window.wasmBindings.
const $ = (id) => document.getElementById(id);

function bindings() {
  if (window.wasmBindings) return Promise.resolve(window.wasmBindings);
  return new Promise((resolve) =>
    addEventListener("TrunkApplicationStarted", () => resolve(window.wasmBindings), { once: true }));
}

let lab = null;
let running = false;

function setStatus(text) { $("device-status").textContent = text; }
function showError(error) { $("error").textContent = error ? String(error.message ?? error) : ""; }

async function makeLab() {
  const { Lab } = await bindings();
  const backend = $("backend").value;
  setStatus(`Starting ${backend}…`);
  $("pretrain").disabled = true;
  try {
    lab = await Lab.create({ backend, seed: 0 });
    setStatus(`${lab.backend === "webgpu" ? "WebGPU" : "CPU"} — ${lab.backendNote}`);
    $("pretrain").disabled = false;
    showError(null);
  } catch (error) {
    lab = null;
    setStatus("No device");
    showError(error);
  }
}

function readConfig() {
  const classes = $("classes").value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  return {
    objective: "supervised",
    classes,
    steps: Number($("steps").value),
    batchSize: Number($("batch").value),
    lr: Number($("lr").value),
    seed: Number($("seed").value),
    logEvery: 10,
    evalEvery: 50,
  };
}

function onProgress(p) {
  $("progress").value = p.step / p.steps;
  $("step").textContent = `${p.step} / ${p.steps}`;
  $("loss").textContent = p.loss.toFixed(4);
  if (p.testAccuracy !== undefined) $("accuracy").textContent = `${(p.testAccuracy * 100).toFixed(2)} %`;
  $("ms").textContent = p.msPerStep.toFixed(1);
}

async function pretrain() {
  if (!lab || running) return;
  running = true;
  showError(null);
  $("pretrain").disabled = true;
  $("cancel").disabled = false;
  $("accuracy").textContent = "–";
  $("ran-on").textContent = lab.backend;
  try {
    const report = await lab.pretrain(readConfig(), onProgress);
    if (report.testAccuracy !== null) $("accuracy").textContent = `${(report.testAccuracy * 100).toFixed(2)} %`;
    $("ms").textContent = report.msPerStep.toFixed(1);
    $("ran-on").textContent = `${report.backend}${report.cancelled ? " (cancelled)" : ""}`;
  } catch (error) {
    showError(error);
  } finally {
    running = false;
    $("pretrain").disabled = false;
    $("cancel").disabled = true;
  }
}

$("backend").addEventListener("change", () => { if (!running) makeLab(); });
$("pretrain").addEventListener("click", pretrain);
$("cancel").addEventListener("click", () => lab?.cancel());
makeLab();
