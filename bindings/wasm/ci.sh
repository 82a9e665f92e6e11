#!/usr/bin/env bash
# CI for the JavaScript package (bindings/wasm), called by .ci/run: the wasm32
# target and the wasm-bindgen CLI of Cargo.lock, `npm ci`, `npm run build`,
# the wasm-bindgen tests under Node, the TypeScript check, `npm test` and
# `npm run test:browser` (the web build in headless Chromium; fails without it).
#
# Cargo uses the target directory it would anyway (CARGO_TARGET_DIR or the
# workspace's target/), so the Rust `pipelining` binary that the parity test
# runs is the one `cargo test --workspace` already built.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
start=$(date +%s)
step() { printf '\n=== bindings/wasm: %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

step "wasm32-unknown-unknown and wasm-bindgen-cli $(sed -n '/^name = "wasm-bindgen"$/{n;s/version = "\(.*\)"/\1/p}' ../../Cargo.lock)"
node scripts/build.mjs --tools-only

step "npm ci"
npm ci --no-audit --no-fund

step "npm run build"
npm run build

step "clippy for wasm32 (tests/api.rs exists only there)"
cargo clippy -p pipelining-wasm --all-targets --target wasm32-unknown-unknown -- -D warnings

step "wasm-bindgen tests under Node"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p pipelining-wasm --target wasm32-unknown-unknown

step "tsc --noEmit"
npm run typecheck

step "npm test"
npm test

step "npm run test:browser (headless Chromium: /usr/bin/chromium or PIPELINING_CHROMIUM)"
npm run test:browser

step "done"
