// The Node driver against scripted faulty servers: every request ends in
// exactly one outcome, bodies are right, POSTs reach the server at most once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../lib/index.js';
import { refusedPort, resetMidWindowServer, response, scriptedServer } from './servers.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 30_000 };

const dec = (b) => new TextDecoder().decode(b);

/** The body the scripted servers give `target`. */
const bodyFor = (target) => `body of ${target}|`.repeat(3);

/**
 * Sends every request and records each one's outcome as it comes:
 * [{ok, body?, kind?, attempts, events}]. `close()` resolves once the pool
 * has nothing outstanding, so by then every request must have had its
 * outcome, and only one: a request the driver lost, or one given two
 * outcomes, fails here. `events` lists, per request, the statuses of its
 * interim responses and then its final one, in the order they arrived.
 */
async function run(client, requests) {
  const results = requests.map(() => null);
  const outcomes = requests.map(() => 0);
  const events = requests.map(() => []);
  for (const [i, r] of requests.entries()) {
    const onInformational = (info) => events[i].push(info.status);
    client.request({ ...r, whole: true, onInformational }).then(
      (response) => {
        outcomes[i]++;
        events[i].push(response.status);
        results[i] = { ok: true, status: response.status, body: dec(response.body), attempts: response.attempts };
      },
      (error) => {
        outcomes[i]++;
        results[i] = { ok: false, kind: error.kind, attempts: error.attempts, message: error.message };
      },
    );
  }
  await client.close();
  // The outcomes' callbacks run as microtasks after the pool settled them.
  await new Promise((resolve) => setImmediate(resolve));
  for (const [i, n] of outcomes.entries()) assert.equal(n, 1, `request ${i} has ${n} outcomes once the client closed`);
  return results.map((r, i) => ({ ...r, events: events[i] }));
}

function gets(url, n, prefix = '/g') {
  return Array.from({ length: n }, (_, i) => ({ url: `${url}${prefix}${i}` }));
}

function assertAllBodies(results, requests) {
  for (const [i, r] of results.entries()) {
    assert.ok(r.ok, `request ${i} failed: ${r.kind} ${r.message}`);
    assert.equal(r.body, bodyFor(new URL(requests[i].url).pathname), `body of request ${i}`);
  }
}

test('a server that closes after every 3 responses: everything is resent and answered', LIMIT, async () => {
  const server = await scriptedServer((req, { index }) =>
    index === 2 ? { write: response(200, bodyFor(req.target)), close: true } : response(200, bodyFor(req.target)),
  );
  const requests = gets(server.url, 30);
  const results = await run(new Client({ depth: 8, connections: 2 }), requests);
  assertAllBodies(results, requests);
  assert.ok(server.log.every((r) => r.index <= 2), 'no connection answered more than 3');
  assert.ok(results.some((r) => r.attempts > 1), 'some were written more than once');
  await server.close();
});

test('Connection: close on the 2nd response: later requests move, POSTs are sent at most once', LIMIT, async () => {
  const server = await scriptedServer((req, { index }) => {
    const headers = index === 1 ? { Connection: 'close' } : {};
    const bytes = response(200, bodyFor(req.target), headers);
    return index === 1 ? { write: bytes, close: true } : bytes;
  });
  const requests = [];
  for (let i = 0; i < 24; i++) {
    requests.push(i % 4 === 3 ? { method: 'POST', url: `${server.url}/p${i}`, body: `post ${i}` } : { url: `${server.url}/g${i}` });
  }
  const results = await run(new Client({ depth: 6, connections: 2 }), requests);
  assertAllBodies(results, requests);
  for (const r of requests.filter((r) => r.method === 'POST')) {
    assert.equal(server.count('POST', new URL(r.url).pathname), 1, `${r.url} reached the server once`);
  }
  await server.close();
});

test('a response cut off mid-body: GETs are replayed whole, a cut POST fails as may_have_been_processed', LIMIT, async () => {
  const server = await scriptedServer((req, { seen }) => {
    const full = response(200, bodyFor(req.target));
    if ((req.target === '/g3' && seen === 0) || req.target === '/cut-post') {
      return { write: full.subarray(0, full.length - 10), destroy: true };
    }
    return full;
  });
  const requests = [
    ...gets(server.url, 8),
    { method: 'POST', url: `${server.url}/cut-post`, body: 'once' },
    ...gets(server.url, 4, '/h'),
  ];
  const results = await run(new Client({ depth: 4, connections: 1 }), requests);
  const post = results[8];
  assert.deepEqual([post.ok, post.kind, post.attempts], [false, 'may_have_been_processed', 1]);
  assert.equal(server.count('POST', '/cut-post'), 1);
  const others = results.filter((_, i) => i !== 8);
  const otherRequests = requests.filter((_, i) => i !== 8);
  assertAllBodies(others, otherRequests);
  assert.equal(results[3].attempts, 2, 'the cut GET was written twice');
  await server.close();
});

test('an HTTP/1.0 server gets one request per connection and answers all', LIMIT, async () => {
  const server = await scriptedServer((req) => ({ write: response(200, bodyFor(req.target), {}, '1.0'), close: true }));
  const requests = gets(server.url, 12);
  const client = new Client({ depth: 8, connections: 2 });
  const results = await run(client, requests);
  assertAllBodies(results, requests);
  assert.ok(server.log.every((r) => r.index === 0), 'never pipelined to');
  assert.equal(server.connections(), 12);
  await server.close();
});

test('1xx interim responses come before the final one and answer nothing', LIMIT, async () => {
  const server = await scriptedServer((req) =>
    Buffer.concat([
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n'),
      response(200, bodyFor(req.target)),
    ]),
  );
  const requests = [...gets(server.url, 6), { method: 'POST', url: `${server.url}/p`, body: 'x' }];
  const results = await run(new Client({ depth: 4, connections: 1 }), requests);
  assertAllBodies(results, requests);
  for (const [i, r] of results.entries()) assert.deepEqual(r.events, [100, 103, 200], `request ${i}: interim, interim, final`);
  await server.close();
});

test('HEAD, 204 and 304 responses are bodiless whatever their headers say', LIMIT, async () => {
  const server = await scriptedServer((req) => {
    if (req.method === 'HEAD') return response(200, '', { 'Content-Length': '1000' });
    if (req.target === '/none') return response(204, '', { 'Content-Length': '0' });
    if (req.target === '/same') return Buffer.from('HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\nETag: "x"\r\n\r\n');
    return response(200, bodyFor(req.target));
  });
  const requests = [
    { url: `${server.url}/a` },
    { method: 'HEAD', url: `${server.url}/big` },
    { url: `${server.url}/none` },
    { url: `${server.url}/same` },
    { url: `${server.url}/b` },
    { method: 'HEAD', url: `${server.url}/big2` },
    { url: `${server.url}/c` },
  ];
  const results = await run(new Client({ depth: 8, connections: 1 }), requests);
  assert.deepEqual(
    results.map((r) => [r.status, r.body]),
    [
      [200, bodyFor('/a')],
      [200, ''],
      [204, ''],
      [304, ''],
      [200, bodyFor('/b')],
      [200, ''],
      [200, bodyFor('/c')],
    ],
  );
  assert.ok(server.log.some((r) => r.index > 0), 'pipelined on one connection');
  await server.close();
});

test('a reset after a POST is read: it fails once, never resent; GETs behind it succeed', LIMIT, async () => {
  const server = await scriptedServer((req) => (req.method === 'POST' ? { destroy: true } : response(200, bodyFor(req.target))));
  const requests = [
    { url: `${server.url}/g0` },
    { method: 'POST', url: `${server.url}/pay`, body: 'money' },
    { url: `${server.url}/g1` },
    { url: `${server.url}/g2` },
  ];
  const results = await run(new Client({ depth: 4, connections: 1 }), requests);
  assert.deepEqual(results.map((r) => r.ok), [true, false, true, true]);
  assert.equal(results[1].kind, 'may_have_been_processed');
  assert.equal(server.count('POST', '/pay'), 1);
  await server.close();
});

test('framing errors and limits fail their own request only', LIMIT, async () => {
  const server = await scriptedServer((req) => {
    if (req.target === '/bad') return Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n');
    if (req.target === '/huge') {
      const headers = {};
      for (let i = 0; i < 150; i++) headers[`X-H${i}`] = 'v';
      return response(200, 'x', headers);
    }
    return response(200, bodyFor(req.target));
  });
  const requests = [{ url: `${server.url}/a` }, { url: `${server.url}/bad` }, { url: `${server.url}/b` }, { url: `${server.url}/huge` }, { url: `${server.url}/c` }];
  const results = await run(new Client({ depth: 8, connections: 1 }), requests);
  assert.deepEqual(
    results.map((r) => (r.ok ? r.body : r.kind)),
    [bodyFor('/a'), 'protocol', bodyFor('/b'), 'limit', bodyFor('/c')],
  );
  assert.equal(server.count('GET', '/bad'), 1, 'not replayed');
  await server.close();
});

test('a stalled server times out; a refused port fails to connect', LIMIT, async () => {
  const server = await scriptedServer(() => ({ hold: true }));
  const port = await refusedPort();
  const client = new Client({ timeoutMs: 300, maxTries: 1 });
  const results = await run(client, [{ url: `${server.url}/stall` }, { url: `http://127.0.0.1:${port}/` }]);
  assert.deepEqual(results.map((r) => r.kind), ['timeout', 'connect']);
  assert.equal(results[0].attempts, 1);
  await server.close();
});

test('every try lost: max_tries after maxTries writes', LIMIT, async () => {
  const server = await scriptedServer(() => ({ destroy: true }));
  const results = await run(new Client({ maxTries: 3 }), [{ url: `${server.url}/doomed` }]);
  assert.deepEqual([results[0].kind, results[0].attempts], ['max_tries', 3]);
  assert.equal(server.count('GET', '/doomed'), 3);
  await server.close();
});

test('a reset while a window is being written: what reached the server counts as written', LIMIT, async () => {
  // 200 PUTs of 64 KiB, pipelined 200 deep (whole bodies: at most 64 KiB
  // goes with the head and stays replayable): far more than the socket
  // buffers hold, so the reset comes while the window's write is still
  // under way. The server takes two of them whole first.
  const server = await resetMidWindowServer({ whole: 2 });
  try {
    const body = 'b'.repeat(64 * 1024);
    const client = new Client({ depth: 200, connections: 1 });
    await client.request({ url: `${server.url}/probe`, whole: true });
    const window = Array.from({ length: 200 }, (_, k) => ({ method: 'PUT', url: `${server.url}/w${k}`, body }));
    const results = await run(client, window);
    assert.ok(results.every((r) => r.ok), 'every PUT is resent and answered');
    assert.ok(server.received.length >= 2, 'the server received part of the window before resetting');
    for (const target of server.received) {
      const k = Number(target.slice(2));
      assert.equal(results[k].attempts, 2, `${target} reached the server on the reset connection, then again`);
    }
    // Written in order: the requests the kernel took before the reset, then
    // the rest, sent once on the next connection.
    const attempts = results.map((r) => r.attempts).join('');
    assert.match(attempts, /^2+1+$/, 'the reset interrupted the window: what the kernel took was written twice, the rest once');
  } finally {
    await server.close();
  }
});
