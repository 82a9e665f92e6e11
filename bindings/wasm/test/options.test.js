// One source for the Client's options (issue 21): the table in
// lib/options.js makes the `ClientOptions` declaration (scripts/
// options-types.mjs) and the mapping to the wasm `Pool`'s options; these
// tests fail when the declaration, the mapping or the Rust side drift
// from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLIENT_OPTIONS, poolOptions } from '../lib/options.js';
import { DECLARATIONS, clientOptionsDeclaration } from '../scripts/options-types.mjs';
import { Pool } from '../lib/wasm.js';

const LIMIT = { timeout: 10_000 };
const src = join(dirname(dirname(fileURLToPath(import.meta.url))), 'src');
const rust = (file) => readFileSync(join(src, file), 'utf8');

/** The keys a TypeScript interface in src/types.rs declares. */
function declaredKeys(name) {
  const types = rust('types.rs');
  const start = types.indexOf(`export interface ${name} `);
  assert.ok(start >= 0, `src/types.rs declares ${name}`);
  const body = types.slice(start, types.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}([A-Za-z]+)\?:/gm)].map((m) => m[1]);
}

/** Pool options the Node driver does not offer (yet), each with its reason. */
const NOT_OFFERED = {
  cancelThreshold: 'kept at the core default (P9)',
  staleAfterMs: 'kept at the core default',
  breakWindowMs: 'kept at the core default',
  demotionMs: 'kept at the core default',
  budgetMemoryMs: 'kept at the core default',
};

test('lib/index.d.ts declares ClientOptions exactly as the table makes it', LIMIT, () => {
  const text = readFileSync(DECLARATIONS, 'utf8');
  assert.ok(
    text.includes(clientOptionsDeclaration()),
    'lib/index.d.ts is out of date: run `node scripts/options-types.mjs` in bindings/wasm',
  );
  const names = CLIENT_OPTIONS.map((o) => o.name);
  assert.equal(new Set(names).size, names.length, 'each option once');
});

test("every pool option of the table is one the wasm Pool declares and reads, and every one it declares is mapped or listed", LIMIT, () => {
  const declared = new Set([...declaredKeys('ConnectionOptions'), ...declaredKeys('PoolOptions')]);
  const read = ['config.rs', 'proxy.rs', 'pool.rs'].map(rust).join('\n');
  const mapped = new Set(CLIENT_OPTIONS.map((o) => o.pool).filter((k) => k !== null));
  for (const key of mapped) {
    assert.ok(declared.has(key), `src/types.rs declares ${key}`);
    assert.ok(read.includes(`"${key}"`), `src/ reads "${key}"`);
  }
  for (const key of declared) {
    assert.ok(mapped.has(key) || key in NOT_OFFERED, `the pool option ${key} is neither mapped nor listed as not offered`);
  }
});

test('poolOptions sets each option\'s pool key and nothing for what is not given; the Pool accepts the result', LIMIT, () => {
  const samples = {
    number: 7,
    'number | null': null,
    boolean: true,
    string: 'x',
    LimitsOptions: { maxHeaders: 10 },
    'boolean | Record<string, string | undefined>': { no_proxy: '*' },
    'Record<string, unknown>': {},
  };
  assert.deepEqual(poolOptions({}), {});
  for (const { name, type, pool } of CLIENT_OPTIONS) {
    assert.ok(type in samples, `a sample value for ${type}`);
    const made = poolOptions({ [name]: name === 'proxy' ? 'http://127.0.0.1:3128' : samples[type] });
    if (name === 'timeoutMs') assert.deepEqual(made, { connectTimeoutMs: 7, stallTimeoutMs: 7 });
    else if (pool === null) assert.deepEqual(made, {}, `${name} is the driver's own`);
    else assert.deepEqual(Object.keys(made), [pool], `${name} sets ${pool}`);
    new Pool(made).free();
  }
  assert.equal(poolOptions({ assumePipelining: true }).capability, 'pipelining');
  assert.equal(poolOptions({ pipelineNonIdempotent: true }).nonIdempotent, 'pipelined');
  assert.equal(poolOptions({ proxyFromEnv: true }).proxyEnv, process.env);
});
