#!/usr/bin/env bash
# Installs what building and testing Transfer Lab needs, skipping whatever is already there at
# the right version. Idempotent; safe to run on every CI run.
#   scripts/setup.sh          toolchain for building and serving (wasm32 target, wasm-bindgen-cli, trunk)
#   scripts/setup.sh --test   also Chromium, ChromeDriver and the npm test dependencies
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (about 5-10 minutes)"
  # Not --locked: one of its pinned transitive crates is missing from the registry mirror here.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi
if ! grep -q "wasm_bindgen = \"$WB_VERSION\"" Trunk.toml; then
  echo "Trunk.toml [tools] wasm_bindgen must be $WB_VERSION (Cargo.lock)" >&2
  exit 1
fi

TRUNK_VERSION=0.21.14 # trunk 0.22 needs rustc 1.96
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 5 minutes)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi

# The page's npm dependencies (Chart.js), copied into dist/ by Trunk.
if [ ! -d www/node_modules/chart.js ] || [ www/package-lock.json -nt www/node_modules/.package-lock.json ]; then
  log "installing the page's npm dependencies"
  (cd www && npm ci --no-audit --no-fund)
fi

if [ "${1:-}" = "--test" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [ ! -d tests/e2e/node_modules/playwright-core ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
    log "installing the end-to-end test's npm dependencies"
    (cd tests/e2e && npm ci --no-audit --no-fund)
  fi
fi
log "ready"
