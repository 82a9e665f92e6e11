// The built module: what it imports, how big it is, what it exports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 10_000 };

const pkg = join(dirname(dirname(fileURLToPath(import.meta.url))), 'pkg');

function module(target) {
  try {
    return readFileSync(join(pkg, target, 'pipelining_wasm_bg.wasm'));
  } catch {
    assert.fail(`pkg/${target} is not built: run \`npm run build\` in bindings/wasm first`);
  }
}

for (const target of ['node', 'web']) {
  test(`the ${target} module imports nothing from env, only its own glue`, LIMIT, () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(module(target)));
    assert.deepEqual(
      imports.filter((i) => i.module === 'env'),
      [],
      'an `env` import is an unresolved native symbol (C code, a missing intrinsic)',
    );
    const modules = new Set(imports.map((i) => i.module));
    assert.ok([...modules].every((m) => m.startsWith('./pipelining_wasm') || m === 'wbg' || m === '__wbindgen_placeholder__'), [...modules].join(', '));
  });
}

// The target is 61,440 bytes gzipped (issue 21), not met: the build is at
// 85,717 since the undici dispatcher, streaming both ways, upgrades and the
// proxy rules came in (README.md, Size, names what each change cost and
// saved, and what is left to take). This budget sits just above it, so a
// regression fails here; it comes down to the target as the module does.
const BUDGET = 84 * 1024;

test('the module stays within its size budget', LIMIT, (t) => {
  const bytes = module('node');
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  t.diagnostic(`pipelining_wasm_bg.wasm: ${bytes.length} bytes, ${gzipped} gzipped (target 61440, budget ${BUDGET})`);
  assert.ok(gzipped <= BUDGET, `${gzipped} bytes gzipped, over the ${BUDGET} budget`);
});

test('both builds export the classes and the C5 error kinds', LIMIT, async () => {
  const node = await import('../lib/wasm.js');
  assert.equal(typeof node.Pool, 'function');
  assert.equal(typeof node.Connection, 'function');
  assert.deepEqual(node.errorKinds(), [
    'connect',
    'timeout',
    'protocol',
    'limit',
    'connection_lost',
    'may_have_been_processed',
    'max_tries',
    'http_status',
    'invalid_request',
    'cancelled',
  ]);
  const web = readFileSync(join(pkg, 'web', 'pipelining_wasm.js'), 'utf8');
  assert.match(web, /export class Pool/);
  assert.match(web, /export \{ initSync, __wbg_init as default \}|export default/);
});
