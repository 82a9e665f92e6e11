// The core's classes from JavaScript: bytes in and out, plain event
// objects, time in milliseconds, errors with a kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ITEM, LAYOUT, SUBMIT, unpack } from '../lib/packed.js';

const WHOLE = SUBMIT.whole;
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
  throwsKind(() => new Connection(0, 'h', { depth: 0 }), 'invalid_request');
  const p = new Pool();
  throwsKind(() => p.submit(0, 'http', 'h', 70000, 'GET', '/', undefined, null, WHOLE), 'invalid_request', 'invalid');
  throwsKind(() => p.submit(0, 'http', '', 80, 'GET', '/', undefined, null, WHOLE), 'invalid_request', 'invalid');
  throwsKind(() => p.submit(0, 'http', 'h', 80, 'G ET', '/', undefined, null, WHOLE), 'invalid_request', 'invalid');
  throwsKind(() => p.submit(0, 'http', 'h', 80, 'GET', '/', ['A'], null, WHOLE), 'invalid_request', 'invalid');
  throwsKind(() => p.submit(0, 'http', 'h', 80, 'GET', '/', undefined, null, 3 | WHOLE), 'invalid_request', 'invalid');
  throwsKind(() => p.setDepth(0, 0), 'invalid_request');
  for (const setting of ['depth', 'connections', 'maxTries', 'queueLimit']) {
    assert.throws(() => new Pool({ [setting]: 0 }), (e) => e.kind === 'invalid_request' && e.message === `${setting} must be at least 1`);
  }
  p.shutDown(0);
  throwsKind(() => p.submit(0, 'http', 'h', 80, 'GET', '/', undefined, null, WHOLE), 'connection_lost', 'closed');
});

const ORIGIN = ['http', 'h', 8080];
const get = (pool, now, target, whole = true) => pool.submit(now, ...ORIGIN, 'GET', target, undefined, null, whole ? WHOLE : 0);

function instructions(pool) {
  const out = [];
  for (let i = pool.pollInstruction(); i !== undefined; i = pool.pollInstruction()) out.push(i);
  return out;
}

function notices(pool) {
  const out = [];
  for (let n = pool.pollNotice(); n !== undefined; n = pool.pollNotice()) out.push(n);
  return out;
}

/** Every item of a request's outcome there is now, unpacked. */
function takeAll(pool, now, id) {
  const out = [];
  for (let p = pool.take(now, id); p !== undefined; p = pool.take(now, id)) out.push(unpack(p));
  return out;
}

test('the pool asks for connections, routes transmits, and hands outcomes over with attempts', LIMIT, () => {
  const pool = new Pool({ connections: 1, connectTimeoutMs: 1000 });
  const ids = [get(pool, 10, '/1'), get(pool, 10, '/2')];
  assert.deepEqual(ids, [0, 1]);
  assert.equal(pool.pending, 2);
  const [connect] = instructions(pool);
  assert.deepEqual(connect, { type: 'connect', conn: 0, origin: { scheme: 'http', host: 'h', port: 8080 } });
  assert.equal(pool.pollTimeout(), 1010, 'the connect timeout, in milliseconds');
  pool.handleConnected(11, connect.conn);
  const t = pool.pollTransmit(11);
  assert.equal(pool.transmitConn, 0);
  assert.equal(dec(t), 'GET /1 HTTP/1.1\r\nHost: h:8080\r\n\r\n', 'an unknown origin gets one request first');
  assert.equal(pool.pollTransmit(11), undefined);
  pool.handleWritten(11, 0, t.length);
  pool.handleReceived(12, 0, enc('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'));
  assert.equal(pool.attempts(ids[0]), 1);
  const t2 = pool.pollTransmit(12);
  assert.equal(dec(t2), 'GET /2 HTTP/1.1\r\nHost: h:8080\r\n\r\n');
  pool.handleWritten(12, 0, t2.length);
  const told = notices(pool);
  assert.ok(told.includes(ids[0]), 'request 0 has something to take');
  assert.deepEqual(told.find((n) => n.type === 'learned'), {
    type: 'learned',
    origin: { scheme: 'http', host: 'h', port: 8080 },
    fact: 'capability',
    capability: 'pipelining',
    text: 'pipelines',
  });
  const [complete] = takeAll(pool, 12, ids[0]);
  assert.equal(complete.item, ITEM.complete);
  assert.equal(complete.attempts, 1);
  assert.equal(complete.status, 200);
  assert.equal(dec(complete.body), 'x');
  assert.equal(pool.take(12, ids[0]), undefined, 'its last item was taken');
  assert.equal(pool.attempts(ids[0]), undefined, 'nothing of it is kept');
  // The server closes at a response boundary with /2 outstanding: it is
  // handed back and resent on a new connection.
  pool.handleEof(13, 0);
  const [close, again] = instructions(pool);
  assert.equal(close.type, 'close');
  assert.equal(close.summary.reason, 'peer_closed');
  assert.deepEqual([again.type, again.conn], ['connect', 1]);
  pool.handleConnected(14, 1);
  const t3 = pool.pollTransmit(14);
  assert.equal(pool.transmitConn, 1);
  pool.handleWritten(14, 1, t3.length);
  pool.handleReceived(15, 1, enc('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny'));
  const [learned, answered] = notices(pool);
  assert.deepEqual([learned.fact, learned.budget, learned.text], ['budget', 1, 'closes connections after each request']);
  assert.equal(answered, ids[1]);
  const [done] = takeAll(pool, 15, ids[1]);
  assert.deepEqual([done.item, done.attempts, dec(done.body)], [ITEM.complete, 2, 'y']);
  assert.equal(pool.pending, 0);
  assert.equal(pool.originStatus(15, ...ORIGIN).budget, 1, 'the server closed after one response: a budget of 1');
  pool.shutDown(16);
  assert.deepEqual(instructions(pool).map((i) => [i.type, i.conn]), [['close', 1]]);
  assert.equal(pool.isFinished, true);
});

test('failed connects end in a connect failure that names the origin and the error', LIMIT, () => {
  const pool = new Pool({ maxTries: 2 });
  const id = pool.submit(0, 'http', 'down', 1, 'GET', '/', undefined, null, WHOLE);
  for (let round = 0; round < 2; round++) {
    const connect = instructions(pool).find((i) => i.type === 'connect');
    pool.handleConnectFailed(round + 1, connect.conn, 'connect ECONNREFUSED 10.0.0.1:1');
  }
  assert.deepEqual(notices(pool), [id]);
  const [failed] = takeAll(pool, 3, id);
  assert.deepEqual(failed, {
    item: ITEM.failed,
    attempts: 0,
    kind: 'connect',
    message: 'connecting to http://down:1: connect ECONNREFUSED 10.0.0.1:1',
  });
  assert.equal(pool.pending, 0);
});

test('callers beyond a full queue wait first come first served; a waiter past its timeout fails', LIMIT, () => {
  const pool = new Pool({ queueLimit: 1, connections: 1, requestTimeoutMs: 100 });
  const first = get(pool, 0, '/1');
  assert.equal(get(pool, 0, '/2'), -1, 'no room');
  const w2 = pool.waitForRoom(0, ...ORIGIN);
  assert.equal(get(pool, 1, '/3'), -1, 'someone waits: no overtaking');
  const w3 = pool.waitForRoom(1, ...ORIGIN);
  assert.equal(pool.waiting, 2);
  const [connect] = instructions(pool);
  pool.handleConnected(2, connect.conn);
  const t = pool.pollTransmit(2);
  assert.equal(dec(t), 'GET /1 HTTP/1.1\r\nHost: h:8080\r\n\r\n');
  // /1 left the queue for the connection: the first in line is told.
  assert.deepEqual(notices(pool), [{ type: 'room', waiter: w2 }]);
  const args = [...ORIGIN, 'GET'];
  assert.equal(pool.submitWaiting(3, w3, ...args, '/3', undefined, null, WHOLE), -1, 'not its turn');
  const second = pool.submitWaiting(3, w2, ...args, '/2', undefined, null, WHOLE);
  assert.equal(second, first + 1);
  assert.equal(pool.waiting, 1);
  assert.equal(get(pool, 4, '/4'), -1);
  const w4 = pool.waitForRoom(4, ...ORIGIN);
  assert.equal(pool.waiting, 2);
  pool.cancelWaiting(w4);
  assert.equal(pool.waiting, 1, 'a caller that gives up leaves the line');
  // /3 is still in line at 101 ms: its timeout (from its first try, at 1)
  // has passed; it is told, and gets a request that has failed.
  pool.handleTimeout(101.5);
  assert.deepEqual(notices(pool).filter((n) => typeof n !== 'number'), [{ type: 'room', waiter: w3 }]);
  const third = pool.submitWaiting(102, w3, ...args, '/3', undefined, null, WHOLE);
  const [timedOut] = takeAll(pool, 102, third);
  assert.deepEqual([timedOut.item, timedOut.kind, timedOut.attempts], [ITEM.failed, 'timeout', 0]);
  assert.equal(pool.waiting, 0);
});

test('take packs every kind of item; the layout carries its version', LIMIT, () => {
  const response =
    'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' +
    'HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\nX-Cafe: \u00e9t\u00e9\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n';
  const bytes = Buffer.from(response, 'latin1');
  // The same exchange, streamed and whole, through the pool, and through a
  // Connection's object events for reference.
  const run = (whole) => {
    const pool = new Pool({ capability: 'pipelining' });
    const id = get(pool, 0, '/a', whole);
    pool.handleConnected(0, instructions(pool)[0].conn);
    pool.handleWritten(0, 0, pool.pollTransmit(0).length);
    pool.handleReceived(1, 0, bytes);
    return takeAll(pool, 1, id);
  };
  const c = new Connection(0, 'h', { capability: 'pipelining' });
  c.submit(0, { target: '/a' }, { whole: true });
  c.handleWritten(0, c.pollTransmit(0).length);
  c.handleReceived(1, bytes);
  const reference = drain(c).find((e) => e.type === 'complete').response;

  const streamed = run(false);
  assert.deepEqual(streamed.map((i) => i.item), [ITEM.interim, ITEM.head, ITEM.data, ITEM.trailers, ITEM.end]);
  assert.deepEqual([streamed[0].status, streamed[0].headers], [103, [['Link', '</a>']]]);
  assert.deepEqual([streamed[1].status, streamed[1].reason, streamed[1].version], [200, 'Fine', '1.1']);
  assert.deepEqual(streamed[1].headers, reference.headers);
  assert.deepEqual(streamed[1].headers[1], ['X-Cafe', '\u00e9t\u00e9'], 'one character per byte');
  assert.equal(dec(streamed[2].body), 'abc');
  assert.deepEqual(streamed[3].trailers, [['X-Sum', '1']]);
  assert.ok(streamed.every((i) => i.attempts === 1));

  const whole = run(true);
  assert.deepEqual(whole.map((i) => i.item), [ITEM.interim, ITEM.complete]);
  const { status, reason, version, headers, body, trailers } = whole[1];
  assert.deepEqual({ status, reason, version, headers, body: dec(body), trailers }, { ...reference, body: dec(reference.body) });

  const pool = new Pool();
  const id = pool.submit(0, 'http', 'h', 80, 'GET', '/', undefined, null, WHOLE);
  pool.cancel(0, id);
  assert.equal(pool.take(0, id), undefined, 'a cancelled request keeps nothing');
  const packed = new Uint8Array(40);
  new Uint32Array(packed.buffer)[0] = LAYOUT + 1;
  assert.throws(() => unpack(packed), /packed layout/);
});

test('a waiter whose request cannot be sent leaves the line to the next', LIMIT, () => {
  const pool = new Pool({ queueLimit: 1, connections: 1 });
  get(pool, 0, '/1');
  assert.equal(get(pool, 0, '/2'), -1);
  const w2 = pool.waitForRoom(0, ...ORIGIN);
  const w3 = pool.waitForRoom(0, ...ORIGIN);
  pool.handleConnected(1, instructions(pool)[0].conn);
  pool.pollTransmit(1);
  assert.deepEqual(notices(pool), [{ type: 'room', waiter: w2 }]);
  assert.throws(
    () => pool.submitWaiting(2, w2, ...ORIGIN, 'GET', '/2', ['X', 'a\r\nb'], null, WHOLE),
    (e) => e.kind === 'invalid_request',
  );
  assert.equal(pool.waiting, 1);
  assert.deepEqual(notices(pool), [{ type: 'room', waiter: w3 }], 'the next in line is told');
  assert.ok(pool.submitWaiting(3, w3, ...ORIGIN, 'GET', '/3', undefined, null, WHOLE) >= 0);
  assert.throws(() => pool.submitWaiting(3, 99, ...ORIGIN, 'GET', '/9', undefined, null, 7 | WHOLE), (e) => e.kind === 'invalid_request');
  assert.equal(pool.waiting, 0);
});

test('an upgrade: the 101 head, an upgraded notice after it, the close instruction, and the bytes read past it', LIMIT, () => {
  const pool = new Pool({ connections: 1, capability: 'pipelining' });
  const id = pool.submit(0, ...ORIGIN, 'GET', '/chat', ['Upgrade', 'echo', 'Connection', 'upgrade'], null, 0);
  const behind = get(pool, 0, '/after');
  const [connect] = instructions(pool);
  pool.handleConnected(1, connect.conn);
  const t = pool.pollTransmit(1);
  assert.equal(dec(t), 'GET /chat HTTP/1.1\r\nHost: h:8080\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n', 'written alone');
  assert.equal(pool.pollTransmit(1), undefined, 'nothing behind it');
  pool.handleWritten(1, connect.conn, t.length);
  pool.handleReceived(2, connect.conn, enc('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\nnew protocol'));
  const told = notices(pool);
  const upgraded = told.findIndex((n) => n.type === 'upgraded');
  assert.ok(told.indexOf(id) >= 0 && told.indexOf(id) < upgraded, `the response first, then the upgrade: ${JSON.stringify(told)}`);
  assert.deepEqual(told[upgraded], { type: 'upgraded', id, conn: connect.conn });
  const items = takeAll(pool, 2, id);
  assert.deepEqual(items.map((i) => i.item), [ITEM.head, ITEM.end]);
  assert.equal(items[0].status, 101);
  assert.equal(dec(pool.takeUpgrade(id)), 'new protocol');
  assert.equal(pool.takeUpgrade(id), undefined, 'taken once');
  const after = instructions(pool);
  const close = after.find((i) => i.type === 'close');
  assert.equal(close.conn, connect.conn);
  assert.equal(close.summary.reason, 'upgraded');
  assert.ok(after.some((i) => i.type === 'connect'), 'the request behind goes to a new connection');
  assert.ok(behind >= 0);
  pool.free();
});
