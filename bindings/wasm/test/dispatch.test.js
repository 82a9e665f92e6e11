// The Node driver over the core's dispatcher: requests beyond a full origin
// queue wait for room first come first served, settings that cannot work
// are refused, connect errors are worded by the core, the depth changes at
// run time, close() finishes gracefully, idle origins are forgotten.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, PipeliningError } from '../lib/index.js';
import { pacedServer, refusedPort } from './servers.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 30_000 };

const dec = (b) => new TextDecoder().decode(b);

test('beyond a queue limit of 2 at depth 1, requests wait for room and none overtakes', LIMIT, async () => {
  const server = await pacedServer(5);
  const client = new Client({ queueLimit: 2, depth: 1, connections: 1 });
  try {
    const first = Array.from({ length: 12 }, (_, k) => client.request({ whole: true, url: `${server.url}/r${k}` }));
    // Two fit the origin's queue; the other ten wait, holding their requests.
    assert.equal(client.waiting, 10);
    assert.equal(client.pending, 12);
    // Asked for once the first answer is in, while the others still wait:
    // it goes behind them, though room may have opened meanwhile.
    const late = first[0].then(() => {
      assert.ok(client.waiting > 0, 'others still wait');
      return client.request({ whole: true, url: `${server.url}/late` });
    });
    const responses = await Promise.all([...first, late]);
    const expected = [...Array.from({ length: 12 }, (_, k) => `/r${k}`), '/late'];
    assert.deepEqual(responses.map((r) => dec(r.body)), expected);
    assert.deepEqual(server.log, expected, 'the server received them in call order');
    assert.equal(server.maxOutstanding(), 1, 'depth 1: one request at a time');
    assert.equal(client.pending, 0);
    assert.equal(client.waiting, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

test('a request aborted while it waits for room leaves its place; the rest keep their order', LIMIT, async () => {
  const server = await pacedServer(5);
  const client = new Client({ queueLimit: 1, depth: 1, connections: 1 });
  try {
    const controller = new AbortController();
    const requests = Array.from({ length: 6 }, (_, k) =>
      client.request({ whole: true, url: `${server.url}/r${k}`, signal: k === 3 ? controller.signal : undefined }),
    );
    assert.equal(client.waiting, 5);
    controller.abort();
    await assert.rejects(requests[3], (e) => e instanceof PipeliningError && e.kind === 'cancelled' && e.attempts === 0);
    assert.equal(client.waiting, 4);
    const others = await Promise.all(requests.filter((_, k) => k !== 3));
    assert.deepEqual(others.map((r) => dec(r.body)), ['/r0', '/r1', '/r2', '/r4', '/r5']);
    assert.deepEqual(server.log, ['/r0', '/r1', '/r2', '/r4', '/r5'], 'the aborted request was never sent');
  } finally {
    await client.close();
    await server.close();
  }
});

test('settings that cannot work are refused when the client is made', LIMIT, () => {
  for (const setting of ['queueLimit', 'depth', 'connections', 'maxTries']) {
    assert.throws(
      () => new Client({ [setting]: 0 }),
      (e) => e instanceof PipeliningError && e.kind === 'invalid_request' && e.message === `${setting} must be at least 1`,
      setting,
    );
  }
  assert.throws(() => new Client({ depth: 1.5 }), (e) => e instanceof PipeliningError && e.kind === 'invalid_request');
  assert.throws(() => new Client({ queueLimit: -1 }), (e) => e instanceof PipeliningError && e.kind === 'invalid_request');
  new Client({ queueLimit: 1, depth: 1, connections: 1, maxTries: 1 }).close();
});

test("a failed connect's message names the origin and the system's error", LIMIT, async () => {
  const port = await refusedPort();
  const client = new Client({ maxTries: 2 });
  try {
    await assert.rejects(client.request({ whole: true, url: `http://127.0.0.1:${port}/x` }), (e) => {
      assert.ok(e instanceof PipeliningError);
      assert.equal(e.kind, 'connect');
      assert.equal(e.attempts, 0);
      assert.match(e.message, new RegExp(`^connecting to http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
      return true;
    });
  } finally {
    await client.close();
  }
});

test('setDepth changes how deep the connection pipelines, from now on', LIMIT, async () => {
  const server = await pacedServer(30);
  const client = new Client({ depth: 1, connections: 1, assumePipelining: true });
  try {
    const batch = (tag) => Promise.all(Array.from({ length: 6 }, (_, k) => client.request({ whole: true, url: `${server.url}/${tag}${k}` })));
    await batch('a');
    assert.equal(server.maxOutstanding(), 1);
    client.setDepth(4);
    server.resetMax();
    const deeper = await batch('b');
    assert.deepEqual(deeper.map((r) => dec(r.body)), Array.from({ length: 6 }, (_, k) => `/b${k}`));
    assert.equal(server.maxOutstanding(), 4);
    for (const bad of [0, -1, 2.5, '3']) {
      assert.throws(() => client.setDepth(bad), (e) => e instanceof PipeliningError && e.kind === 'invalid_request');
    }
  } finally {
    await client.close();
    await server.close();
  }
});

test('close() lets outstanding requests finish, refuses new ones and resolves when all is closed', LIMIT, async () => {
  const server = await pacedServer(20);
  const client = new Client({ queueLimit: 2, depth: 1, connections: 1 });
  const queued = [client.request({ whole: true, url: `${server.url}/q0` }), client.request({ whole: true, url: `${server.url}/q1` })];
  const waiting = client.request({ whole: true, url: `${server.url}/w` });
  assert.equal(client.waiting, 1);
  const closed = client.close();
  assert.equal(client.close(), closed, 'one promise');
  await assert.rejects(client.request({ whole: true, url: `${server.url}/after` }), (e) => e instanceof PipeliningError && e.kind === 'connection_lost');
  await assert.rejects(waiting, (e) => e instanceof PipeliningError && e.kind === 'connection_lost');
  assert.deepEqual((await Promise.all(queued)).map((r) => dec(r.body)), ['/q0', '/q1']);
  await closed;
  assert.equal(client.pending, 0);
  assert.deepEqual(server.log, ['/q0', '/q1']);
  await server.close();
});

test('an idle origin is forgotten after its memory expires', LIMIT, async () => {
  const server = await pacedServer(0);
  const client = new Client({ idleTimeoutMs: 20, originMemoryMs: 50 });
  try {
    await client.request({ whole: true, url: `${server.url}/x` });
    assert.equal(client.originStatus(server.url).capability, 'pipelining');
    // The connection idles out after 20 ms, the origin's memory 50 ms later.
    const deadline = Date.now() + 5_000;
    while (client.originStatus(server.url) !== undefined && Date.now() < deadline) await sleep(20);
    assert.equal(client.originStatus(server.url), undefined, 'forgotten');
    assert.equal(client.pending, 0);
  } finally {
    await client.close();
    await server.close();
  }
});
