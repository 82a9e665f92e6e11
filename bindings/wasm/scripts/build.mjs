#!/usr/bin/env node
// `npm run build`: the WebAssembly module and its JavaScript glue in pkg/.
//
// 1. the wasm32-unknown-unknown target and a wasm-bindgen CLI whose version
//    is exactly the `wasm-bindgen` crate's in Cargo.lock (installed with
//    `cargo install wasm-bindgen-cli --version X` when it differs);
// 2. `cargo build -p pipelining-wasm --target wasm32-unknown-unknown
//    --profile wasm-release`;
// 3. `wasm-bindgen --target nodejs` into pkg/node and `--target web` into
//    pkg/web;
// 4. `wasm-opt -Oz` (npm's binaryen; OPTIMIZE below) on both modules, then
//    the sizes.
//
// `node scripts/build.mjs --tools-only` does step 1 alone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(here, '..', '..');
const pkg = join(here, 'pkg');

function run(command, args, options = {}) {
  console.error(`> ${command} ${args.join(' ')}`);
  return execFileSync(command, args, { stdio: 'inherit', cwd: root, ...options });
}

function output(command, args) {
  try {
    return execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The `wasm-bindgen` crate's version in Cargo.lock. */
export function lockedWasmBindgenVersion() {
  const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
  const match = lock.match(/\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!match) throw new Error('Cargo.lock has no wasm-bindgen package');
  return match[1];
}

/** The wasm-bindgen CLI to use: on PATH, or in cargo's bin folder. */
function wasmBindgen() {
  for (const candidate of ['wasm-bindgen', join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', 'wasm-bindgen')]) {
    const version = output(candidate, ['--version']);
    if (version) return { path: candidate, version: version.trim().split(/\s+/)[1] };
  }
  return null;
}

export function ensureTools() {
  const targets = output('rustup', ['target', 'list', '--installed']) ?? '';
  if (!targets.split('\n').includes('wasm32-unknown-unknown')) {
    run('rustup', ['target', 'add', 'wasm32-unknown-unknown']);
  }
  const wanted = lockedWasmBindgenVersion();
  let cli = wasmBindgen();
  if (cli?.version !== wanted) {
    console.error(`wasm-bindgen CLI ${cli?.version ?? 'missing'}, Cargo.lock has ${wanted}: installing`);
    run('cargo', ['install', 'wasm-bindgen-cli', '--version', wanted]);
    cli = wasmBindgen();
    if (cli?.version !== wanted) throw new Error(`wasm-bindgen CLI ${wanted} is still not on PATH`);
  }
  return cli.path;
}

function targetDir() {
  const metadata = JSON.parse(output('cargo', ['metadata', '--format-version', '1', '--no-deps']));
  return metadata.target_directory;
}

/** Rust's default wasm32 features, for wasm-opt to keep (and not exceed). */
export const FEATURES = [
  '--enable-bulk-memory',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-reference-types',
  '--enable-multivalue',
];

/**
 * wasm-opt's passes: `-Oz` twice after `--merge-similar-functions` (generic
 * code instantiated for several types, and functions that differ only in
 * constants, become one function with a parameter), and two assumptions
 * that hold for this module. `--low-memory-unused`: the first KiB of memory
 * is never addressed (rustc's wasm32 layout puts the data above 1 MiB and
 * the stack below it growing down, which reaches the first KiB only a whole
 * MiB deep), so a constant offset folds into a load's or store's immediate.
 * The `producers` and `target_features` sections are read by nothing after
 * wasm-bindgen. Each is measured in README.md, Size.
 */
export const OPTIMIZE = [
  '--merge-similar-functions',
  '-Oz',
  '-Oz',
  '--low-memory-unused',
  '--strip-producers',
  '--strip-target-features',
];

function main() {
  const bindgen = ensureTools();
  run('cargo', ['build', '-p', 'pipelining-wasm', '--target', 'wasm32-unknown-unknown', '--profile', 'wasm-release', '--features', 'trap-on-panic']);
  const wasm = join(targetDir(), 'wasm32-unknown-unknown', 'wasm-release', 'pipelining_wasm.wasm');
  rmSync(pkg, { recursive: true, force: true });
  const wasmOpt = join(here, 'node_modules', '.bin', 'wasm-opt');
  if (!existsSync(wasmOpt)) throw new Error('wasm-opt is missing: run `npm ci` in bindings/wasm first');
  for (const [target, type] of [['nodejs', 'commonjs'], ['web', 'module']]) {
    const out = join(pkg, target === 'nodejs' ? 'node' : 'web');
    mkdirSync(out, { recursive: true });
    run(bindgen, ['--target', target, '--out-dir', out, wasm]);
    const module = join(out, 'pipelining_wasm_bg.wasm');
    run(wasmOpt, [...OPTIMIZE, ...FEATURES, '-o', module, module]);
    // The package is `type: module`; the Node glue is CommonJS.
    writeFileSync(join(out, 'package.json'), JSON.stringify({ type }, null, 2) + '\n');
  }
  const module = join(pkg, 'node', 'pipelining_wasm_bg.wasm');
  const bytes = readFileSync(module);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  console.error(`pkg/node/pipelining_wasm_bg.wasm: ${statSync(module).size} bytes, ${gzipped} gzipped (${(gzipped / 1024).toFixed(1)} KiB)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `--tools-only`: the target and the wasm-bindgen CLI, no build (ci.sh).
  if (process.argv.includes('--tools-only')) ensureTools();
  else main();
}
