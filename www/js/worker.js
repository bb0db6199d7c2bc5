// The training worker: it owns the Lab (the wasm module), so training never blocks the page.
// Messages in: { id, method, args }; out: { id, progress } during a run, then { id, result } or
// { id, error }. "cancel" has no reply: the running call resolves soon with cancelled: true.
import init, { Lab } from "../transfer-lab.js";

let lab = null;
const ready = init();

const methods = {
  async create([options]) {
    lab?.free();
    lab = null;
    lab = await Lab.create(options);
    return { backend: lab.backend, backendNote: lab.backendNote, dataset: lab.dataset() };
  },
  pretrain: ([config], progress) => lab.pretrain(config, progress),
  contrastive: ([config], progress) => lab.contrastive(config, progress),
  finetune: ([config], progress) => lab.finetune(config, progress),
  embed: ([config]) => lab.embed(config),
  predict: ([pixels]) => lab.predict(pixels),
  testImages: ([config]) => lab.testImages(config),
  filters: ([config]) => lab.filters(config),
  maskSamples: ([config]) => lab.maskSamples(config),
  exportWeights: () => lab.exportWeights(),
  importWeights: ([bytes]) => lab.importWeights(bytes),
};

self.onmessage = async ({ data: { id, method, args = [] } }) => {
  if (method === "cancel") {
    lab?.cancel();
    return;
  }
  try {
    await ready;
    const run = methods[method];
    if (!run) throw new Error(`unknown method "${method}"`);
    if (method !== "create" && !lab) throw new Error("the lab is not ready yet");
    const result = await run(args, (progress) => self.postMessage({ id, progress }));
    self.postMessage({ id, result });
  } catch (error) {
    self.postMessage({ id, error: String(error?.message ?? error) });
  }
};
