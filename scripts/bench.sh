#!/usr/bin/env bash
# Benchmark: ms per training step (batch 128) per device, natively and in headless Chromium.
# Prints the figures and writes bench-results/native.json and bench-results/browser.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh
cargo run --release --example bench -- --out bench-results/native.json
trunk build --release --public-url /transfer-lab/
node tests/e2e/bench.mjs bench-results/browser.json
