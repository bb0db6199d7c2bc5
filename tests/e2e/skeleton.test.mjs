// The walking skeleton, as a person meets it: the built page under a sub-path, Pretrain pressed
// on the CPU device, the test accuracy appears, a screenshot is saved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "../../dist");
const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

test("pretrain on the CPU device from the built page", { timeout: 600_000 }, async () => {
  const server = await serve(dist);
  const context = await launch({ webgpu: false });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(server.url);
    await page.getByText(/CPU — .*WebGPU unavailable/).waitFor({ timeout: 120_000 });
    await page.fill("#steps", "40");
    await page.fill("#batch", "64");
    await page.click("#pretrain");
    await page.waitForFunction(() => document.querySelector("#ran-on").textContent === "cpu"
      && !document.querySelector("#pretrain").disabled, null, { timeout: 300_000 });
    const accuracy = parseFloat(await page.textContent("#accuracy"));
    assert.ok(accuracy > 50, `test accuracy ${accuracy}% after 40 steps`);
    assert.equal(await page.textContent("#step"), "40 / 40");
    await page.screenshot({ path: join(artifacts, "pretrain.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
