// undici's fetch through PipeliningDispatcher against nginx, which this
// suite starts itself (test/nginx.js); skipped, saying so, where nginx is
// not installed. nginx's access log says which requests arrived pipelined.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { fetch, getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { PipeliningDispatcher } from '../lib/index.js';
import { startNginx } from './nginx.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 60_000 };

/** `size` bytes that differ from file to file. */
function content(name, size) {
  const block = createHash('sha256').update(name).digest();
  return Buffer.concat(Array(Math.ceil(size / block.length) + 1).fill(block)).subarray(0, size);
}

const SIZES = [0, 1, 100, 1024, 5000, 65_536, 70_000, 300_000, 1_500_000];
const FILES = Object.fromEntries(SIZES.map((size) => [`f${size}`, content(`f${size}`, size)]));
const nginx = await startNginx(FILES);
const skip = nginx.missing === undefined ? false : `needs nginx: ${nginx.missing}`;
after(() => nginx.stop?.());

test('undici fetch against nginx: every body right, and nginx saw pipelined requests', { ...LIMIT, skip }, async () => {
  const dispatcher = new PipeliningDispatcher({ depth: 8, connections: 2 });
  try {
    // Every file several times over, in an order that mixes the sizes.
    const names = [];
    for (let round = 0; round < 6; round++) for (const size of SIZES) names.push(`f${size}`);
    const bodies = await Promise.all(
      names.map((name, k) =>
        fetch(`${nginx.url}/${name}?k=${k}`, { dispatcher }).then(async (r) => {
          assert.equal(r.status, 200, name);
          return Buffer.from(await r.arrayBuffer());
        }),
      ),
    );
    for (const [k, body] of bodies.entries()) assert.ok(body.equals(FILES[names[k]]), `body of request ${k} (${names[k]})`);
    const missing = await fetch(`${nginx.url}/nothing-here`, { dispatcher });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    await dispatcher.close();
    const log = nginx.log();
    assert.equal(log.length, names.length + 1, 'each request reached nginx once');
    const pipelined = log.filter((entry) => entry.pipelined);
    assert.ok(pipelined.length > 0, 'nginx marks requests that arrived behind others on their connection');
    const connections = new Set(log.map((entry) => entry.connection));
    assert.ok(connections.size <= 2, `${connections.size} connections`);
    assert.ok(Math.max(...log.map((entry) => entry.number)) > 1, 'connections were reused');
  } finally {
    await dispatcher.destroy();
  }
});

test("undici request and Node's own fetch after setGlobalDispatcher against nginx: every body right, pipelined", { ...LIMIT, skip }, async () => {
  const dispatcher = new PipeliningDispatcher({ depth: 8, connections: 1 });
  const previous = getGlobalDispatcher();
  setGlobalDispatcher(dispatcher);
  const before = nginx.log().length;
  try {
    const names = [];
    for (let round = 0; round < 4; round++) for (const size of SIZES) names.push(`f${size}`);
    const viaRequest = names.map((name, k) =>
      request(`${nginx.url}/${name}?r=${k}`, { dispatcher }).then(async (r) => {
        assert.equal(r.statusCode, 200, name);
        return Buffer.from(await r.body.arrayBuffer());
      }),
    );
    const viaNodeFetch = names.map((name, k) =>
      globalThis.fetch(`${nginx.url}/${name}?n=${k}`).then(async (r) => {
        assert.equal(r.status, 200, name);
        return Buffer.from(await r.arrayBuffer());
      }),
    );
    const bodies = await Promise.all([...viaRequest, ...viaNodeFetch]);
    for (const [k, body] of bodies.entries()) {
      const name = names[k % names.length];
      assert.ok(body.equals(FILES[name]), `body of request ${k} (${name})`);
    }
    await dispatcher.close();
    const log = nginx.log().slice(before);
    assert.equal(log.length, 2 * names.length, 'each request reached nginx once');
    assert.ok(log.some((entry) => entry.pipelined), 'nginx saw requests arrive behind others on their connection');
  } finally {
    setGlobalDispatcher(previous);
    await dispatcher.destroy();
  }
});
