// The lab page as a person meets it: the built page served under a sub-path, real clicks in
// headless Chromium, CPU device (WebGPU only for the device check), small step budgets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "../../dist");
const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

const STRATEGIES = 8;
const SMALL = "backend=cpu&pretrainSteps=20&finetuneSteps=10&seeds=1";

/** Opens the page and waits until the worker's lab is up on the CPU device. */
async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Every main-thread task longer than 50 ms, from the start.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: "longtask", buffered: true });
  });
  await page.goto(url);
  await page.getByText(/^CPU — /).waitFor({ timeout: 180_000 });
  await page.waitForFunction(() => !document.querySelector("#pretrain").disabled, null, { timeout: 60_000 });
  return { page, errors };
}

const idle = (page, timeout = 600_000) =>
  page.waitForFunction(() => !document.querySelector("#notebook").disabled, null, { timeout });

async function downloaded(page, click) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(click)]);
  return download.path();
}

const predictions = (page) => page.evaluate(async () => {
  const { pixels } = await window.labClient.call("testImages", [{ n: 100 }]);
  return Array.from(await window.labClient.call("predict", [pixels]));
});

test("the notebook's experiment end to end on the CPU, exports, weights and drawing", { timeout: 1_200_000 }, async () => {
  const server = await serve(dist);
  const context = await launch({ webgpu: false });
  const fresh = await launch({ webgpu: false });
  try {
    const { page, errors } = await open(context, `${server.url}?${SMALL}`);
    assert.equal(await page.evaluate(() => typeof window.wasmBindings?.Lab), "function", "the bindings stay on window");

    const start = await page.evaluate(() => performance.now());
    await page.click("#notebook");
    await page.waitForFunction((n) => document.querySelectorAll("#runs tbody tr").length === n, STRATEGIES, { timeout: 900_000 });
    await idle(page);
    const end = await page.evaluate(() => performance.now());

    const rows = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(rows.map((r) => r[1]), ["scratch", "frozen", "full", "joint", "l2sp", "ball-l2", "ball-linf", "ball-l1"]);
    for (const row of rows) assert.match(row[5], /^\d+\.\d\d %$/, `accuracy cell of ${row[1]}`);
    assert.match(await page.textContent("#base-summary"), /supervised on digits 0, 1, 2, 3, 5, 6, 7, 8/);
    assert.equal(await page.textContent("#error"), "");
    assert.ok((await page.$$("#misclassified figure")).length > 0 || /None/.test(await page.textContent("#misclassified")));
    assert.equal(await page.$$eval("#confusion tr", (trs) => trs.length), 3);
    assert.equal(await page.$$eval("#filters canvas", (c) => c.length), 16);

    const long = await page.evaluate(([a, b]) => window.__longTasks.filter((t) => t.start >= a && t.start <= b), [start, end]);
    const worst = Math.max(0, ...long.map((t) => t.duration));
    console.log(`notebook run: ${((end - start) / 1000).toFixed(1)} s, ${long.length} main-thread tasks over 50 ms, longest ${worst.toFixed(0)} ms`);
    assert.ok(worst <= 100, `a main-thread task took ${worst} ms during training`);

    await page.screenshot({ path: join(artifacts, "lab.png"), fullPage: true });
    // The README's picture: the progress bar above the live curves and the compare table.
    await page.evaluate(() => window.scrollTo(0, document.querySelector("#charts-panel").offsetTop - 150));
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(artifacts, "overview.png") });
    for (const id of ["run-panel", "pretrain-panel", "finetune-panel", "charts-panel", "compare-panel", "inside-panel"]) {
      await page.locator(`#${id}`).screenshot({ path: join(artifacts, `${id}.png`) });
    }

    const json = JSON.parse(readFileSync(await downloaded(page, "#export-json"), "utf8"));
    assert.equal(json.runs.length, STRATEGIES, "one record per run");
    for (const record of json.runs) assert.ok(record.report.testAccuracy >= 0 && record.report.testAccuracy <= 1);
    assert.equal(json.base.objective, "supervised");
    const csv = readFileSync(await downloaded(page, "#export-csv"), "utf8").trim().split("\n");
    assert.equal(csv.length, STRATEGIES + 1);
    assert.match(csv[0], /^run,strategy,settings,budget,trainImages,seed,steps,testAccuracy/);

    // Draw a stroke: the current model answers with probabilities.
    await page.locator("#draw-canvas").scrollIntoViewIfNeeded();
    const pad = await page.locator("#draw-canvas").boundingBox();
    await page.mouse.move(pad.x + 112, pad.y + 40);
    await page.mouse.down();
    for (let y = 40; y <= 190; y += 10) await page.mouse.move(pad.x + 112, pad.y + y);
    await page.mouse.up();
    await page.waitForFunction(() => /^Looks like a \d/.test(document.querySelector("#draw-result").textContent), null, { timeout: 60_000 });

    await page.click("#embed");
    await idle(page, 300_000);
    assert.equal(await page.textContent("#error"), "");
    await page.locator("#inside-panel").screenshot({ path: join(artifacts, "inside-panel.png") });

    // Weights: exported here, imported into a fresh browser profile, same predictions.
    const before = await predictions(page);
    assert.equal(before.length, 1000);
    const weights = await downloaded(page, "#export-weights");
    const other = await open(fresh, `${server.url}?backend=cpu`);
    await other.page.setInputFiles("#import-weights", weights);
    await other.page.waitForFunction(() => /^Imported/.test(document.querySelector("#weights-status").textContent), null, { timeout: 120_000 });
    assert.deepEqual(await predictions(other.page), before, "same predictions on 100 test images after export and import");
    // A file that is not weights is refused and names the field; the lab keeps working.
    await other.page.setInputFiles("#import-weights", { name: "junk.bin", mimeType: "application/octet-stream", buffer: Buffer.from("junk") });
    await other.page.waitForFunction(() => /^weights:/.test(document.querySelector("#error").textContent), null, { timeout: 60_000 });
    assert.deepEqual(await predictions(other.page), before);
    // Kept in IndexedDB: a reload restores them.
    await other.page.reload();
    await other.page.getByText(/^Restored the weights kept in this browser/).waitFor({ timeout: 180_000 });
    assert.deepEqual(await predictions(other.page), before, "same predictions after a reload");
    assert.deepEqual([...errors, ...other.errors], []);
  } finally {
    await context.close();
    await fresh.close();
    await server.close();
  }
});

test("Cancel stops a CPU run within a second and the lab stays usable", { timeout: 600_000 }, async () => {
  const server = await serve(dist);
  const context = await launch({ webgpu: false });
  try {
    // The masked views a contrastive run would see, shown before it starts.
    const { page, errors } = await open(context, `${server.url}?backend=cpu&objective=contrastive&masks=disjoint`);
    await page.waitForFunction(() => document.querySelectorAll("#mask-samples figure").length === 6, null, { timeout: 60_000 });
    await page.locator("#pretrain-panel").screenshot({ path: join(artifacts, "pretrain-contrastive.png") });
    // A long supervised run (batch 128, ~0.35 s a step in Chromium on these machines), cancelled.
    await page.selectOption("#objective", "supervised");
    await page.fill("#pretrain-steps", "5000");
    await page.click("#pretrain");
    await page.waitForFunction(() => /^\d+ \/ 5000$/.test(document.querySelector("#step").textContent), null, { timeout: 120_000 });
    const started = Date.now();
    await page.click("#cancel");
    await page.waitForFunction(() => /cancelled/.test(document.querySelector("#ran-on").textContent), null, { timeout: 10_000 });
    const took = Date.now() - started;
    console.log(`cancel took ${took} ms`);
    assert.ok(took < 1000, `cancel took ${took} ms`);
    assert.equal(await page.textContent("#base-summary"), "No base yet.", "a cancelled run keeps the old base");
    // Usable: a short run now works.
    await page.fill("#pretrain-steps", "5");
    await page.click("#pretrain");
    await page.waitForFunction(() => /^Base: supervised/.test(document.querySelector("#base-summary").textContent), null, { timeout: 300_000 });
    // A label-efficiency sweep: frozen only, 1 and 3 images per digit, one seed, the task's
    // images shifted by up to 1 pixel.
    await page.fill("#finetune-steps", "5");
    await page.fill("#finetune-shift", "1");
    await page.fill("#seeds", "1");
    await page.fill("#sweep-shots", "1,3");
    for (const box of await page.$$("#strategies input:checked")) await box.uncheck();
    await page.check("#use-frozen");
    await page.click("#sweep");
    await page.waitForFunction(() => document.querySelectorAll("#runs tbody tr").length === 2 && !document.querySelector("#sweep").disabled, null, { timeout: 300_000 });
    const budgets = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => tr.children[3].textContent));
    assert.deepEqual(budgets, ["1/digit (2)", "3/digit (6)"]);
    const settings = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => tr.children[2].textContent));
    assert.deepEqual(settings, ["shift 1", "shift 1"]);
    assert.equal(await page.textContent("#error"), "");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("settings in the URL restore the controls, and changing a control updates the URL", { timeout: 300_000 }, async () => {
  const server = await serve(dist);
  const context = await launch({ webgpu: false });
  try {
    const query = "backend=cpu&objective=masked&pretrainSteps=123&maskRatio=0.7&strategies=frozen,full&seeds=4&budgetKind=shots&budget=5";
    const { page } = await open(context, `${server.url}?${query}`);
    const values = await page.evaluate(() => Object.fromEntries(["objective", "pretrain-steps", "mask-ratio", "seeds", "budget-kind", "budget"].map((id) => [id, document.getElementById(id).value])));
    assert.deepEqual(values, { objective: "masked", "pretrain-steps": "123", "mask-ratio": "0.7", seeds: "4", "budget-kind": "shots", budget: "5" });
    const checked = await page.$$eval("#strategies input:checked", (boxes) => boxes.map((b) => b.value));
    assert.deepEqual(checked, ["frozen", "full"]);
    assert.equal(await page.isVisible("#mask-ratio"), true, "self-supervised controls are shown for masked");
    assert.equal(await page.inputValue("#classes"), "0,1,2,3,4,5,6,7,8,9", "masked learns from every digit by default");
    await page.fill("#finetune-lr", "0.0005");
    await page.dispatchEvent("#finetune-lr", "change");
    assert.match(page.url(), /finetuneLr=0\.0005/);
    assert.match(page.url(), /pretrainSteps=123/);
    // Every form control has a label (a <label for> or an aria-label).
    const unlabelled = await page.$$eval("input, select", (els) => els.filter((el) =>
      !document.querySelector(`label[for="${el.id}"]`) && !el.getAttribute("aria-label") && el.type !== "checkbox").map((el) => el.id));
    assert.deepEqual(unlabelled, []);
    // Keyboard: Tab reaches the device select and the Pretrain button.
    await page.focus("#backend");
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.id === "pretrain");
    }
    assert.ok(reached, "Tab reaches the Pretrain button");
    // A phone-sized screen: nothing wider than the viewport.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(1000); // charts follow the new size on their next resize callback
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
    await page.screenshot({ path: join(artifacts, "phone.png"), fullPage: false });
  } finally {
    await context.close();
    await server.close();
  }
});

test("the worker finds WebGPU when the browser has an adapter", { timeout: 300_000 }, async () => {
  const server = await serve(dist);
  const context = await launch({ webgpu: true });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByText(/^(WebGPU|CPU) — /).waitFor({ timeout: 180_000 });
    const status = await page.textContent("#device-status");
    console.log(`auto on a WebGPU browser: ${status}`);
    assert.match(status, /^WebGPU — /);
  } finally {
    await context.close();
    await server.close();
  }
});
