// Benchmark (not a test): ms per supervised training step, batch 128, in headless Chromium on the
// CPU backend and on WebGPU (SwiftShader); median of 20 steps after 3 warm-up steps. Runs the
// built page (dist/) through window.wasmBindings. Writes JSON to the path given (argv[2]).
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "../../bench-results/browser.json");
const WARMUP = 3, MEASURED = 20;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

const server = await serve(join(here, "../../dist"));
const results = [];
for (const backend of ["cpu", "webgpu"]) {
  const context = await launch({ webgpu: backend === "webgpu" });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.wasmBindings?.Lab, null, { timeout: 120_000 });
    const run = await page.evaluate(async ({ backend, steps }) => {
      const lab = await window.wasmBindings.Lab.create({ backend, seed: 0 });
      const ms = [];
      await lab.pretrain({ steps, batchSize: 128, logEvery: 1, evalEvery: 0, seed: 0 }, (p) => ms.push(p.msPerStep));
      return { ms, note: lab.backendNote, backend: lab.backend };
    }, { backend, steps: WARMUP + MEASURED });
    const steps = run.ms.slice(WARMUP);
    const m = median(steps);
    console.log(`chromium ${run.backend.padEnd(7)} batch 128: ${m.toFixed(1).padStart(8)} ms/step (median of ${steps.length}; ${run.note})`);
    results.push({ where: "chromium", backend: run.backend, note: run.note, batchSize: 128, msPerStepMedian: m, msPerStep: steps, warmupSteps: WARMUP });
  } finally {
    await context.close();
  }
}
await server.close();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ results }, null, 2));
console.log(`wrote ${out}`);
