#!/usr/bin/env node
// Run before `node --test`: the suites need pkg/ built from the current
// sources. Fails clearly instead of testing a missing or stale module.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(here, '..', '..');
const built = join(here, 'pkg', 'node', 'pipelining_wasm_bg.wasm');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

if (!existsSync(built)) {
  console.error('pipelining: pkg/ is not built. Run `npm run build` in bindings/wasm first (it needs cargo and the wasm32 target).');
  process.exit(1);
}
const sources = Math.max(newest(join(here, 'src')), newest(join(root, 'core', 'src')), statSync(join(root, 'Cargo.lock')).mtimeMs);
if (sources > statSync(built).mtimeMs) {
  console.error('pipelining: pkg/ is older than the Rust sources. Run `npm run build` in bindings/wasm first.');
  process.exit(1);
}
