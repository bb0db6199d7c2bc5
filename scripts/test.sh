#!/usr/bin/env bash
# Runs every test: native (cargo test), browser (wasm-bindgen-test in headless Chromium, with and
# without WebGPU), and end to end (the built page in headless Chromium). Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh

step() { printf '\n\033[1;32m=== %s\033[0m (%s)\n' "$*" "$(date +%T)"; }
SECONDS=0

step "native tests (CPU device, release build)"
cargo test --release

# Chromium flags measured in DESIGN.md; the WebGPU ones make SwiftShader an adapter.
BASE_FLAGS='"--headless","--no-sandbox","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync","--disable-dev-shm-usage"'
WEBGPU_FLAGS='"--enable-unsafe-webgpu","--enable-features=Vulkan","--use-vulkan=swiftshader","--use-webgpu-adapter=swiftshader","--disable-vulkan-surface"'
webdriver_json() { # $1 = file, $2 = extra flags
  local profile; profile=$(mktemp -d)
  printf '{"goog:chromeOptions":{"binary":"/usr/bin/chromium","args":[%s%s,"--user-data-dir=%s"]}}\n' \
    "$BASE_FLAGS" "${2:+,$2}" "$profile" > "$1"
}
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=900

step "browser tests on WebGPU (SwiftShader)"
webdriver_json "$CARGO_TARGET_DIR/webdriver-webgpu.json" "$WEBGPU_FLAGS"
WASM_BINDGEN_TEST_WEBDRIVER_JSON="$CARGO_TARGET_DIR/webdriver-webgpu.json" \
  cargo test --release --target wasm32-unknown-unknown --test web_webgpu

step "browser tests without WebGPU (CPU fallback)"
webdriver_json "$CARGO_TARGET_DIR/webdriver-cpu.json" ""
WASM_BINDGEN_TEST_WEBDRIVER_JSON="$CARGO_TARGET_DIR/webdriver-cpu.json" \
  cargo test --release --target wasm32-unknown-unknown --test web_cpu

step "end-to-end: trunk build, then the page in headless Chromium"
trunk build --release --public-url /transfer-lab/
(cd tests/e2e && node --test --test-concurrency=1 ./*.test.mjs)

step "all tests passed in ${SECONDS}s"
