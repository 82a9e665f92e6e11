#!/usr/bin/env node
// `node scripts/size-results.mjs` (in bindings/wasm): builds the package
// (`npm run build`) and writes bench/results-size.json, the module's size
// raw and under `gzip -9` (Node's zlib at level 9, as the size test), naming
// the commit measured (docs/BENCHMARKS.md, "Results files"). It refuses a
// checkout with uncommitted changes to tracked files: the figure would
// belong to no commit.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const git = (...args) => execFileSync('git', args, { cwd: here, encoding: 'utf8' }).trim();

const modified = git('status', '--porcelain', '--untracked-files=no');
if (modified) {
  console.error(`uncommitted changes:\n${modified}\ncommit them first`);
  process.exit(1);
}
const commit = git('rev-parse', 'HEAD');

execFileSync('npm', ['run', 'build'], { cwd: here, stdio: 'inherit' });
const sizes = {};
for (const target of ['node', 'web']) {
  const bytes = readFileSync(join(here, 'pkg', target, 'pipelining_wasm_bg.wasm'));
  sizes[target] = { raw: bytes.length, gzip9: gzipSync(bytes, { level: 9 }).length };
}
const results = {
  commit,
  date: new Date().toISOString(),
  command: 'node scripts/size-results.mjs (npm run build: cargo, wasm-bindgen, wasm-opt as in scripts/build.mjs)',
  target_gzip9: 61440,
  module: 'pipelining_wasm_bg.wasm',
  sizes,
};
const out = join(here, 'bench', 'results-size.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`${out}: node ${sizes.node.raw} bytes, ${sizes.node.gzip9} gzipped (target 61440), commit ${commit.slice(0, 7)}`);
