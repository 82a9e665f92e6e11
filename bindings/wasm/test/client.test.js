// The Node driver against Node's own `http` server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, PipeliningError, fetchAll } from '../lib/index.js';
import { httpServer, refusedPort } from './servers.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 30_000 };

const here = dirname(fileURLToPath(import.meta.url));
const dec = (b) => new TextDecoder().decode(b);

/** The body of /n/<k>: k bytes derived from k. */
function bodyOf(k) {
  return createHash('sha256').update(String(k)).digest('hex').repeat(Math.ceil(k / 64) + 1).slice(0, k);
}

let server;
const posts = new Map();
before(async () => {
  server = await httpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://x');
      if (url.pathname.startsWith('/n/')) {
        res.end(bodyOf(Number(url.pathname.slice(3))));
      } else if (url.pathname === '/echo') {
        posts.set(req.headers['x-id'], (posts.get(req.headers['x-id']) ?? 0) + 1);
        res.setHeader('X-Method', req.method);
        res.setHeader('X-Seen', req.headers['x-custom'] ?? '');
        res.end(body);
      } else if (url.pathname === '/chunked') {
        res.write('one,');
        setTimeout(() => res.end('two'), 5);
      } else if (url.pathname === '/slow') {
        setTimeout(() => res.end('late'), 1000);
      } else {
        res.statusCode = 404;
        res.end('missing');
      }
    });
  });
}, LIMIT);
after(() => server.close(), LIMIT);

test('a hundred GETs come back matched, pipelined over two connections', LIMIT, async () => {
  const client = new Client({ depth: 8, connections: 2 });
  const ks = Array.from({ length: 100 }, (_, i) => (i * 37) % 3000);
  const responses = await Promise.all(ks.map((k) => client.request({ whole: true, url: `${server.url}/n/${k}` })));
  for (const [i, r] of responses.entries()) {
    assert.equal(r.status, 200);
    assert.equal(dec(r.body), bodyOf(ks[i]), `body of request ${i}`);
    assert.equal(r.attempts, 1);
  }
  const status = client.originStatus(server.url);
  assert.equal(status.capability, 'pipelining');
  assert.ok(status.open <= 2);
  client.close();
});

test('POST bodies and headers go out, statuses and headers come back', LIMIT, async () => {
  const client = new Client();
  const r = await client.request({
    whole: true,
    method: 'POST',
    url: `${server.url}/echo?q=1`,
    headers: { 'X-Custom': 'yes', 'X-Id': 'p1' },
    body: 'hello, server',
  });
  assert.equal(r.status, 200);
  assert.equal(r.version, '1.1');
  assert.equal(dec(r.body), 'hello, server');
  const headers = Object.fromEntries(r.headers.map(([n, v]) => [n.toLowerCase(), v]));
  assert.equal(headers['x-method'], 'POST');
  assert.equal(headers['x-seen'], 'yes');
  assert.equal(posts.get('p1'), 1);
  const bytes = await client.request({ whole: true, method: 'PUT', url: `${server.url}/echo`, body: new Uint8Array([0, 255, 1]) });
  assert.deepEqual([...bytes.body], [0, 255, 1]);
  const missing = await client.request({ whole: true, url: `${server.url}/nothing` });
  assert.equal(missing.status, 404);
  assert.equal(dec(missing.body), 'missing');
  const chunked = await client.request({ whole: true, url: `${server.url}/chunked` });
  assert.equal(dec(chunked.body), 'one,two');
  client.close();
});

test('a large body arrives whole', LIMIT, async () => {
  const client = new Client();
  const r = await client.request({ whole: true, url: `${server.url}/n/1000000` });
  assert.equal(r.body.length, 1_000_000);
  assert.equal(dec(r.body), bodyOf(1_000_000));
  client.close();
});

test('invalid requests reject with invalid_request before anything is sent', LIMIT, async () => {
  const client = new Client();
  for (const request of [
    { url: 'ftp://h/x' },
    { url: 'not a url' },
    { url: `${server.url}/`, method: 'G ET' },
    { url: `${server.url}/`, headers: { 'X-Bad': 'a\r\nb' } },
  ]) {
    await assert.rejects(client.request(request), (e) => e instanceof PipeliningError && e.kind === 'invalid_request');
  }
  client.close();
});

test('an aborted request fails with cancelled, the others complete', LIMIT, async () => {
  const client = new Client({ connections: 1 });
  const controller = new AbortController();
  const slow = client.request({ whole: true, url: `${server.url}/slow`, signal: controller.signal });
  const fast = client.request({ whole: true, url: `${server.url}/n/5` });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(slow, (e) => e.kind === 'cancelled');
  assert.equal(dec((await fast).body), bodyOf(5));
  client.close();
});

test('a per-request deadline fails with timeout', LIMIT, async () => {
  const client = new Client({ requestTimeoutMs: 100 });
  await assert.rejects(client.request({ whole: true, url: `${server.url}/slow` }), (e) => e.kind === 'timeout');
  client.close();
});

test('fetchAll gives one outcome per request, in order, failures included', LIMIT, async () => {
  const port = await refusedPort();
  const results = await fetchAll(
    [`${server.url}/n/3`, { method: 'POST', url: `${server.url}/echo`, body: 'b' }, `http://127.0.0.1:${port}/`, 'nope://x'],
    { depth: 4, connections: 1, maxTries: 2, timeoutMs: 5000 },
  );
  assert.deepEqual(
    results.map((r) => [r.method, r.status, r.error?.kind ?? null]),
    [
      ['GET', 200, null],
      ['POST', 200, null],
      ['GET', null, 'connect'],
      ['GET', null, 'invalid_request'],
    ],
  );
  assert.equal(dec(results[0].body), bodyOf(3));
  assert.match(results[2].error.message, /ECONNREFUSED/);
  assert.equal(results[2].attempts, 0);
});

test('more requests than the origin queue holds wait for room, in order', LIMIT, async () => {
  const client = new Client({ queueLimit: 4, depth: 2, connections: 1 });
  const responses = await Promise.all(Array.from({ length: 40 }, (_, k) => client.request({ whole: true, url: `${server.url}/n/${k}` })));
  assert.deepEqual(
    responses.map((r) => dec(r.body)),
    Array.from({ length: 40 }, (_, k) => bodyOf(k)),
  );
  client.close();
});

test('idle connections do not keep the process alive', LIMIT, async () => {
  const script = `
    import { Client } from ${JSON.stringify(join(here, '..', 'lib', 'index.js'))};
    const client = new Client();
    const r = await client.request({ whole: true, url: ${JSON.stringify(server.url + '/n/2')} });
    console.log(r.status);
  `;
  // Not spawnSync: the server runs in this process.
  const child = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
  assert.equal(child.stdout.trim(), '200', 'the process printed and exited by itself');
});
