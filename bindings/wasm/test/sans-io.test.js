// The core's classes from JavaScript: bytes in and out, plain event
// objects, time in milliseconds, errors with a kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection, Pool } from '../lib/wasm.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 10_000 };

const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);

function drain(machine) {
  const events = [];
  for (let e = machine.pollEvent(); e !== undefined; e = machine.pollEvent()) events.push(e);
  return events;
}

test('a connection pipelines three requests and matches three responses, split at every offset', LIMIT, () => {
  const responses =
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nB\r\n0\r\nX-T: 1\r\n\r\n' +
    'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
  const bytes = enc(responses);
  for (let split = 0; split <= bytes.length; split++) {
    const c = new Connection(0, 'example.com', { capability: 'pipelining' });
    for (const target of ['/a', '/b', '/c']) c.submit(0, { target });
    const transmit = c.pollTransmit(0);
    assert.equal(
      dec(transmit),
      'GET /a HTTP/1.1\r\nHost: example.com\r\n\r\nGET /b HTTP/1.1\r\nHost: example.com\r\n\r\nGET /c HTTP/1.1\r\nHost: example.com\r\n\r\n',
    );
    c.handleWritten(0, transmit.length);
    c.handleReceived(1, bytes.subarray(0, split));
    c.handleReceived(1, bytes.subarray(split));
    const events = drain(c).filter((e) => e.type === 'response');
    const heads = events.filter((e) => e.part.type === 'head').map((e) => [e.id, e.part.status]);
    assert.deepEqual(heads, [[0, 200], [1, 200], [2, 404]]);
    const data = events.filter((e) => e.part.type === 'data').map((e) => [e.id, dec(e.part.data)]);
    assert.deepEqual(data, [[0, 'A'], [1, 'B']]);
    const trailers = events.filter((e) => e.part.type === 'trailers').map((e) => [e.id, e.part.headers]);
    assert.deepEqual(trailers, [[1, [['X-T', '1']]]]);
    assert.deepEqual(events.filter((e) => e.end).map((e) => e.id), [0, 1, 2]);
    c.free();
  }
});

test('events are plain objects with the documented fields', LIMIT, () => {
  const c = new Connection(0, 'h', { capability: 'pipelining', stallTimeoutMs: 100 });
  const id = c.submit(0, { method: 'POST', target: '/p', headers: [['X-A', 'b']], body: 'hi' });
  const transmit = c.pollTransmit(0);
  assert.match(dec(transmit), /^POST \/p HTTP\/1\.1\r\nHost: h\r\nX-A: b\r\nContent-Length: 2\r\n\r\nhi$/);
  c.handleWritten(0.5, transmit.length);
  assert.deepEqual(drain(c), [{ type: 'written', id }]);
  assert.equal(c.pollTimeout(), 100.5);
  c.handleReceived(1, enc('HTTP/1.0 200 OK\r\n'));
  c.handleEof(2);
  const events = drain(c);
  assert.deepEqual(events[0], {
    type: 'failed',
    id,
    kind: 'may_have_been_processed',
    progress: 'response_partly_received',
    retry: 'never',
    replayable: false,
    message: events[0].message,
  });
  assert.equal(typeof events[0].message, 'string');
  assert.deepEqual(events[1], {
    type: 'closed',
    reason: 'truncated',
    responses: 0,
    pipelineBreak: true,
    serverClose: false,
    stale: false,
  });
  assert.equal(c.isClosed, true);
});

test('misuse throws an Error whose kind is a C5 name', LIMIT, () => {
  const c = new Connection(0, 'h', { queueLimit: 1 });
  const throwsKind = (fn, kind, code) =>
    assert.throws(fn, (e) => e instanceof Error && e.kind === kind && (code === undefined || e.code === code));
  throwsKind(() => c.submit(0, { method: 'G ET', target: '/' }), 'invalid_request', 'invalid');
  throwsKind(() => c.submit(0, { target: '/a\r\nHost: evil' }), 'invalid_request', 'invalid');
  throwsKind(() => c.submit(0, { target: '/', headers: [['X', 'bad\nvalue']] }), 'invalid_request', 'invalid');
  throwsKind(() => c.submit(0, { target: '/', headers: [['X', '\u0100']] }), 'invalid_request');
  throwsKind(() => c.submit(0, { target: '/', headers: {} }), 'invalid_request');
  throwsKind(() => c.submit(0, {}), 'invalid_request');
  throwsKind(() => c.submit(0, { target: '/', body: 42 }), 'invalid_request');
  throwsKind(() => new Connection(0, 'h', { depth: -1 }), 'invalid_request');
  throwsKind(() => new Pool({ stallTimeoutMs: 'soon' }), 'invalid_request');
  c.submit(0, { target: '/1' });
  throwsKind(() => c.submit(0, { target: '/2' }), 'limit', 'queue_full');
  c.close(0);
  throwsKind(() => c.submit(0, { target: '/3' }), 'connection_lost', 'closed');
  const p = new Pool();
  throwsKind(() => p.submit(0, { scheme: 'http', host: 'h' }, { target: '/' }), 'invalid_request');
});

test('the pool asks for connections, routes transmits and reports attempts', LIMIT, () => {
  const pool = new Pool({ connections: 1, connectTimeoutMs: 1000 });
  const origin = { scheme: 'http', host: 'h', port: 8080 };
  const ids = [pool.submit(10, origin, { target: '/1' }, { whole: true }), pool.submit(10, origin, { target: '/2' }, { whole: true })];
  assert.equal(pool.pending, 2);
  const [connect] = drain(pool);
  assert.deepEqual(connect, { type: 'connect', conn: 0, origin });
  assert.equal(pool.pollTimeout(), 1010, 'the connect timeout, in milliseconds');
  pool.handleConnected(11, connect.conn);
  const t = pool.pollTransmit(11);
  assert.equal(t.conn, 0);
  assert.equal(dec(t.data), 'GET /1 HTTP/1.1\r\nHost: h:8080\r\n\r\n', 'an unknown origin gets one request first');
  pool.handleWritten(11, 0, t.data.length);
  pool.handleReceived(12, 0, enc('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'));
  const t2 = pool.pollTransmit(12);
  assert.equal(dec(t2.data), 'GET /2 HTTP/1.1\r\nHost: h:8080\r\n\r\n');
  pool.handleWritten(12, 0, t2.data.length);
  // The server closes at a response boundary with /2 outstanding: it is
  // handed back and resent on a new connection.
  pool.handleEof(13, 0);
  const events = drain(pool);
  const complete = events.find((e) => e.type === 'complete');
  assert.equal(complete.id, ids[0]);
  assert.equal(complete.attempts, 1);
  assert.equal(dec(complete.response.body), 'x');
  assert.deepEqual(
    events.find((e) => e.type === 'learned'),
    { type: 'learned', origin, fact: 'capability', capability: 'pipelining', text: 'pipelines' },
  );
  const close = events.find((e) => e.type === 'close');
  assert.equal(close.summary.reason, 'peer_closed');
  const again = events.find((e) => e.type === 'connect');
  assert.equal(again.conn, 1);
  pool.handleConnected(14, 1);
  const t3 = pool.pollTransmit(14);
  assert.equal(t3.conn, 1);
  pool.handleWritten(14, 1, t3.data.length);
  pool.handleReceived(15, 1, enc('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny'));
  const done = drain(pool).find((e) => e.type === 'complete');
  assert.equal(done.id, ids[1]);
  assert.equal(done.attempts, 2);
  const status = pool.originStatus(15, origin);
  assert.equal(status.budget, 1, 'the server closed after one response: a budget of 1');
});

test('failed connects end in connect failures after maxTries', LIMIT, () => {
  const pool = new Pool({ maxTries: 2 });
  const origin = { scheme: 'http', host: 'down', port: 1 };
  const id = pool.submit(0, origin, { target: '/' });
  for (let round = 0; round < 2; round++) {
    const connect = drain(pool).find((e) => e.type === 'connect');
    pool.handleConnectFailed(round + 1, connect.conn);
  }
  const failed = drain(pool).find((e) => e.type === 'failed');
  assert.equal(failed.id, id);
  assert.equal(failed.kind, 'connect');
  assert.equal(failed.attempts, 0);
});

test("the driver's fast entry points match submit, pollTransmit and pollEvent", LIMIT, async () => {
  const { unpackComplete } = await import('../lib/client.js');
  const origin = { scheme: 'http', host: 'h', port: 8080 };
  const response = enc(
    'HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\nX-Cafe: \u00e9t\u00e9\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n',
  );
  // The same exchange through the object API and through the fast one.
  const slow = new Pool({ capability: 'pipelining' });
  const slowId = slow.submit(1, origin, { method: 'POST', target: '/a', headers: [['A', '1'], ['B', '2']], body: 'hi' }, { whole: true });
  const fast = new Pool({ capability: 'pipelining' });
  const index = fast.internOrigin(origin);
  assert.equal(fast.internOrigin({ ...origin }), index, 'one index per origin');
  const fastId = fast.submitRaw(1, index, 'POST', '/a', ['A', '1', 'B', '2'], 'hi', 0, true, undefined);
  assert.equal(fastId, slowId);
  assert.throws(() => fast.submitRaw(1, 99, 'GET', '/', undefined, null, 0, true, undefined), /unknown origin/);
  assert.throws(() => fast.submitRaw(1, index, 'GET', '/', ['A'], null, 0, true, undefined), /flat/);
  for (const pool of [slow, fast]) {
    const [connect] = drain(pool);
    pool.handleConnected(2, connect.conn);
  }
  const t = slow.pollTransmit(2);
  const data = fast.pollTransmitData(2);
  assert.equal(fast.transmitConn, t.conn);
  assert.equal(dec(data), dec(t.data));
  assert.equal(fast.pollTransmitData(2), undefined);
  slow.handleWritten(3, t.conn, t.data.length);
  fast.handleWritten(3, t.conn, data.length);
  slow.handleReceived(4, t.conn, response);
  fast.handleReceived(4, t.conn, response);
  const expected = drain(slow).filter((e) => e.type !== 'written');
  const got = [];
  for (let e = fast.pollEventPacked(); e !== undefined; e = fast.pollEventPacked()) {
    got.push(e instanceof Uint8Array ? { type: 'complete', ...unpackComplete(e) } : e);
  }
  assert.equal(got.length, expected.length);
  const complete = got.find((e) => e.type === 'complete');
  assert.deepEqual(complete, expected.find((e) => e.type === 'complete'));
  assert.deepEqual(complete.response.headers[1], ['X-Cafe', '\u00c3\u00a9t\u00c3\u00a9'], 'one character per byte');
  assert.deepEqual(complete.response.trailers, [['X-Sum', '1']]);
  assert.equal(dec(complete.response.body), 'abc');
});
