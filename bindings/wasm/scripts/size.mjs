#!/usr/bin/env node
// `node scripts/size.mjs` (after `npm run build`): what the module's bytes
// are spent on, the table in README.md ("Size").
//
// The shipped module has no names, so this makes a copy that keeps them:
// wasm-bindgen on the same cargo output, then wasm-opt with the same passes
// plus `-g`. It prints the shipped module's size (raw and `gzip -9`, Node's
// zlib as in the size test), then the named copy's code and data bytes by
// group. The groups are raw bytes after wasm-opt: inlining moves code across
// them (a wasm-bindgen export shim holds whatever it inlined from the core),
// and gzip compresses each group differently, so they rank costs, they do
// not add up to the gzipped figure. Needs `twiggy` (`cargo install twiggy`).
//
// Then what each export costs on its own: the shipped module without that
// one export (binaryen's wasm-metadce removes it and all that only it
// reaches, then the same wasm-opt passes), gzipped, against the module
// through the same steps with every export. The Connection class's exports
// are measured as one group.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FEATURES, OPTIMIZE, ensureTools } from './build.mjs';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(here, '..', '..');

/** Groups by the item's name, first match wins. */
const GROUPS = [
  ['names section (not shipped)', /^"function names"|^"data names"/],
  ['data: strings, tables, panic locations', /^data segment/],
  ['core: pipeline (one connection)', /pipelining::pipeline::/],
  ['core: pool', /pipelining::pool::/],
  ['core: dispatcher', /pipelining::dispatch::/],
  ['core: HTTP/1.1 codec', /pipelining::h1::/],
  ['core: sorted map, slab, origin, outcome', /pipelining::/],
  ['binding: wasm-bindgen exports (with what they inlined)', /^(pool|connection)_|shim$|^__wbg|^__wbindgen|^__externref/],
  ['binding: pipelining_wasm', /pipelining_wasm::/],
  ['httparse', /httparse/],
  ['bytes', /bytes::/],
  ['allocator (talc)', /talc|__rust_(alloc|dealloc|realloc)|__rdl_|__rg_/],
  ['formatting and panics (core::fmt, std panic)', /fmt|panic|unwrap_failed|expect_failed/],
  ['VecDeque', /vec_deque|VecDeque/],
  ['drop glue', /drop_in_place/],
  ['wasm-bindgen, js-sys runtime', /wasm_bindgen|js_sys/],
  ['Vec, String, Box, iterators, slices', /./],
];

function main() {
  const bindgen = ensureTools();
  const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: root, encoding: 'utf8' }));
  const wasm = join(metadata.target_directory, 'wasm32-unknown-unknown', 'wasm-release', 'pipelining_wasm.wasm');
  const shipped = readFileSync(join(here, 'pkg', 'node', 'pipelining_wasm_bg.wasm'));
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  console.log(`commit ${commit}: pkg/node/pipelining_wasm_bg.wasm ${shipped.length} bytes, ${gzipSync(shipped, { level: 9 }).length} gzip -9`);
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-size-'));
  try {
    execFileSync(bindgen, ['--target', 'nodejs', '--out-dir', dir, wasm], { stdio: 'inherit' });
    const named = join(dir, 'named.wasm');
    const wasmOpt = join(here, 'node_modules', '.bin', 'wasm-opt');
    execFileSync(wasmOpt, [...OPTIMIZE, '-g', ...FEATURES, '-o', named, join(dir, 'pipelining_wasm_bg.wasm')], { stdio: 'inherit' });
    const items = JSON.parse(execFileSync('twiggy', ['top', '-n', '1000000', '-f', 'json', named], { encoding: 'utf8', maxBuffer: 1 << 28 }));
    const sums = new Map(GROUPS.map(([name]) => [name, 0]));
    for (const { name, shallow_size: size } of items) {
      const group = GROUPS.find(([, pattern]) => pattern.test(name));
      sums.set(group[0], sums.get(group[0]) + size);
    }
    console.log('\n| group | raw bytes after wasm-opt |\n|---|---:|');
    for (const [name, size] of [...sums].sort((a, b) => b[1] - a[1])) console.log(`| ${name} | ${size.toLocaleString('en')} |`);
    exportCosts(dir, join(here, 'pkg', 'node', 'pipelining_wasm_bg.wasm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The gzipped bytes only `drop` (some exports) keeps alive, for each group. */
function exportCosts(dir, module) {
  const tools = join(here, 'node_modules', '.bin');
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(module))).map((e) => e.name);
  const without = (dropped) => {
    const graph = join(dir, 'graph.json');
    const kept = exports.filter((name) => !dropped.includes(name));
    writeFileSync(graph, JSON.stringify(kept.map((name) => ({ name: `export ${name}`, root: true, export: name }))));
    const out = join(dir, 'kept.wasm');
    execFileSync(join(tools, 'wasm-metadce'), [module, '--graph-file', graph, ...FEATURES, '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync(join(tools, 'wasm-opt'), [...OPTIMIZE, ...FEATURES, '-o', out, out], { stdio: 'inherit' });
    return gzipSync(readFileSync(out), { level: 9 }).length;
  };
  const all = without([]);
  const groups = [['the Connection class (every `connection_*` export)', exports.filter((name) => name.startsWith('connection_'))]];
  for (const name of exports.filter((name) => name.startsWith('pool_'))) groups.push([name, [name]]);
  const costs = groups.map(([label, names]) => [label, all - without(names)]).sort((a, b) => b[1] - a[1]);
  console.log(`\n| export | gzip -9 bytes only it keeps (of ${all}) |\n|---|---:|`);
  for (const [label, cost] of costs) if (cost > 0) console.log(`| ${label} | ${cost.toLocaleString('en')} |`);
}

main();
