// PipeliningDispatcher under undici: undici 7's `fetch` and `request`
// (the callback handlers), Node's own `fetch` (the undici 6 inside Node 20)
// after `setGlobalDispatcher`, and the controller-style handlers of
// undici 7, against Node `http` servers that record what they received.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetch, getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { PipeliningDispatcher, PipeliningError } from '../lib/index.js';
import { recordingServer, response, scriptedServer } from './servers.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 30_000 };

/** What the recording server answers: `METHOD URL BODY-LENGTH`. */
const answer = (method, path, length = 0) => `${method} ${path} ${length}`;

test('undici fetch through the dispatcher: every body right, requests pipelined on a connection', LIMIT, async () => {
  const server = await recordingServer({ delayMs: 20 });
  const dispatcher = new PipeliningDispatcher({ depth: 8, connections: 2 });
  try {
    const paths = Array.from({ length: 40 }, (_, k) => `/f${k}?q=${k}`);
    const texts = await Promise.all(paths.map((path) => fetch(`${server.url}${path}`, { dispatcher }).then((r) => r.text())));
    assert.deepEqual(texts, paths.map((path) => answer('GET', path)));
    // Bodies both ways: a string (with Content-Length), and a stream (chunked).
    const posted = await fetch(`${server.url}/post`, { dispatcher, method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(await posted.text(), answer('POST', '/post', 1000));
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(`part ${i};`));
        controller.close();
      },
    });
    const streamed = await fetch(`${server.url}/stream`, { dispatcher, method: 'PUT', body: stream, duplex: 'half' });
    assert.equal(await streamed.text(), answer('PUT', '/stream', 35));
    assert.equal(server.log.find((r) => r.url === '/stream').body.toString(), 'part 0;part 1;part 2;part 3;part 4;');
    assert.equal(server.log.find((r) => r.url === '/stream').headers['transfer-encoding'], 'chunked');
    assert.ok(server.maxOutstanding() > 1, `the server held ${server.maxOutstanding()} unanswered at most: no pipelining`);
    assert.ok(server.connections() <= 2);
    for (const path of paths) assert.equal(server.log.filter((r) => r.url === path).length, 1, `${path} was sent once`);
  } finally {
    await dispatcher.close();
    await server.close();
  }
});

test("undici request: the callback handler, streamed bodies both ways, 1xx through onInfo", LIMIT, async () => {
  const server = await scriptedServer((req) => {
    if (req.target === '/hints') {
      return Buffer.concat([Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n'), response(200, 'hinted')]);
    }
    return response(200, `${req.method} ${req.target} ${req.body.length}`, { 'X-Answer': 'yes' });
  });
  const dispatcher = new PipeliningDispatcher();
  try {
    const infos = [];
    const hinted = await request(`${server.url}/hints`, { dispatcher, onInfo: (info) => infos.push(info) });
    assert.equal(hinted.statusCode, 200);
    assert.equal(await hinted.body.text(), 'hinted');
    assert.deepEqual(infos, [{ statusCode: 103, headers: { link: '</a.css>; rel=preload' } }]);
    const query = await request(`${server.url}/q`, { dispatcher, query: { a: '1 2', b: ['x', 'y'] } });
    assert.equal(query.headers['x-answer'], 'yes');
    assert.equal(await query.body.text(), 'GET /q?a=1%202&b=x&b=y 0');
    // A Readable body of unknown length goes chunked.
    const recording = await recordingServer();
    try {
      const chunks = Readable.from([Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')]);
      const put = await request(`${recording.url}/put`, { dispatcher, method: 'PUT', body: chunks });
      assert.equal(put.statusCode, 200);
      assert.equal(await put.body.text(), 'PUT /put 13');
      assert.equal(recording.log[0].body.toString(), 'one,two,three');
      assert.equal(recording.log[0].headers['transfer-encoding'], 'chunked');
    } finally {
      await recording.close();
    }
  } finally {
    await dispatcher.close();
    await server.close();
  }
});

test("Node's own fetch after setGlobalDispatcher goes through the dispatcher and pipelines", LIMIT, async () => {
  const server = await recordingServer({ delayMs: 20 });
  const dispatcher = new PipeliningDispatcher({ depth: 8, connections: 1 });
  const opened = [];
  dispatcher.on('connect', (origin) => opened.push(origin.href));
  const previous = getGlobalDispatcher();
  setGlobalDispatcher(dispatcher);
  try {
    const paths = Array.from({ length: 20 }, (_, k) => `/g${k}`);
    const texts = await Promise.all(paths.map((path) => globalThis.fetch(`${server.url}${path}`).then((r) => r.text())));
    assert.deepEqual(texts, paths.map((path) => answer('GET', path)));
    assert.deepEqual(opened, [`${server.url}/`], 'one connection, opened by the dispatcher');
    assert.ok(server.maxOutstanding() > 1, 'pipelined');
  } finally {
    setGlobalDispatcher(previous);
    await dispatcher.close();
    await server.close();
  }
});

test('a controller-style handler: 1xx and the head through onResponseStart, pause and resume, trailers', LIMIT, async () => {
  const big = 'z'.repeat(300_000);
  const server = await scriptedServer((req) => {
    if (req.target === '/trailers') {
      return Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n' +
        '3\r\nabc\r\n0\r\nX-Sum: 6\r\n\r\n');
    }
    return response(200, big);
  });
  const dispatcher = new PipeliningDispatcher();
  const run = (path, { pauseMs = 0 } = {}) =>
    new Promise((resolve, reject) => {
      const seen = { starts: [], chunks: [], trailers: null };
      dispatcher.dispatch(
        { origin: server.url, path, method: 'GET' },
        {
          onRequestStart(controller) {
            seen.controller = controller;
          },
          onResponseStart(controller, status, headers, reason) {
            seen.starts.push({ status, headers, reason });
          },
          onResponseData(controller, chunk) {
            seen.chunks.push(chunk);
            if (pauseMs > 0) {
              controller.pause();
              setTimeout(() => controller.resume(), pauseMs);
            }
          },
          onResponseEnd(controller, trailers) {
            seen.trailers = trailers;
            resolve(seen);
          },
          onResponseError(controller, error) {
            reject(error);
          },
        },
      );
    });
  try {
    const trailed = await run('/trailers');
    assert.deepEqual(
      trailed.starts.map((s) => s.status),
      [100, 200],
    );
    assert.deepEqual(trailed.starts[1].headers['set-cookie'], ['a', 'b']);
    assert.equal(Buffer.concat(trailed.chunks).toString(), 'abc');
    assert.equal(trailed.trailers['x-sum'], '6');
    const paused = await run('/big', { pauseMs: 2 });
    assert.equal(Buffer.concat(paused.chunks).toString(), big);
    assert.ok(paused.chunks.length > 1);
  } finally {
    await dispatcher.close();
    await server.close();
  }
});

test('abort mid-pipeline: the aborted fetch ends AbortError, the others complete, nothing is sent twice', LIMIT, async () => {
  const server = await recordingServer({ delayMs: 50 });
  const dispatcher = new PipeliningDispatcher({ depth: 10, connections: 1, assumePipelining: true });
  try {
    const controllers = Array.from({ length: 10 }, () => new AbortController());
    const fetches = controllers.map((controller, k) =>
      fetch(`${server.url}/a${k}`, { dispatcher, signal: controller.signal }).then((r) => r.text()),
    );
    // Abort the sixth once the server has it: it was written, so its
    // response is read and dropped (P9) and the connection carries on.
    while (!server.log.some((r) => r.url === '/a5')) await sleep(2);
    controllers[5].abort();
    const settled = await Promise.allSettled(fetches);
    assert.equal(settled[5].status, 'rejected');
    assert.equal(settled[5].reason.name, 'AbortError');
    for (const [k, s] of settled.entries()) {
      if (k !== 5) assert.deepEqual([s.status, s.value], ['fulfilled', answer('GET', `/a${k}`)], `fetch ${k}`);
    }
    const sent = new Map();
    for (const r of server.log) sent.set(r.url, (sent.get(r.url) ?? 0) + 1);
    assert.deepEqual([...sent.values()], Array(10).fill(1), 'every request was sent exactly once');
    assert.equal(server.connections(), 1, 'the connection survived the abort');
    assert.ok(server.maxOutstanding() > 1, 'pipelined');
    assert.equal(dispatcher.pending, 0);
  } finally {
    await dispatcher.close();
    await server.close();
  }
});

test('aborting a request whose response is large: the connection closes, the GETs behind are replayed, the POST never', LIMIT, async () => {
  // The aborted request's response is larger than the cancel threshold:
  // rather than read and drop it, the connection is closed (P9), and what
  // was written behind it is handled as after a loss (P8): GETs are sent
  // again, the POST is not.
  const bigBody = 'b'.repeat(2_000_000);
  const server = await recordingServer({
    delayMs: 50,
    respond: (req, body, res) => res.end(req.url === '/big' ? bigBody : answer(req.method, req.url, body.length)),
  });
  const dispatcher = new PipeliningDispatcher({ depth: 8, connections: 1, assumePipelining: true, pipelineNonIdempotent: true });
  try {
    const controller = new AbortController();
    const first = fetch(`${server.url}/first`, { dispatcher }).then((r) => r.text());
    const big = fetch(`${server.url}/big`, { dispatcher, signal: controller.signal }).then((r) => r.text());
    const behind = [0, 1, 2].map((k) => fetch(`${server.url}/behind${k}`, { dispatcher }).then((r) => r.text()));
    const post = fetch(`${server.url}/post`, { dispatcher, method: 'POST', body: 'once' }).then(
      (r) => r.text(),
      (error) => error,
    );
    // Abort once the server has the request, before its answer comes.
    while (!server.log.some((r) => r.url === '/big')) await sleep(2);
    controller.abort();
    await assert.rejects(big, (e) => e.name === 'AbortError');
    assert.equal(await first, answer('GET', '/first'));
    for (const [k, text] of (await Promise.all(behind)).entries()) assert.equal(text, answer('GET', `/behind${k}`));
    const posted = await post;
    const posts = server.log.filter((r) => r.url === '/post').length;
    if (typeof posted === 'string') {
      assert.equal(posted, answer('POST', '/post', 4));
      assert.equal(posts, 1);
    } else {
      assert.equal(posted.cause?.kind, 'may_have_been_processed', String(posted.cause ?? posted));
      assert.ok(posts <= 1, `the POST reached the server ${posts} times`);
    }
    assert.equal(server.connections(), 2, 'the connection was closed rather than drained, and another opened');
    assert.equal(server.log.filter((r) => r.url === '/big').length, 1, 'the aborted request was not resent');
    for (let k = 0; k < 3; k++) {
      const times = server.log.filter((r) => r.url === `/behind${k}`).length;
      assert.ok(times >= 1 && times <= 2, `/behind${k} sent ${times} times`);
    }
  } finally {
    await dispatcher.close();
    await server.close();
  }
});

test('headersTimeout and bodyTimeout per request fail with timeout; 0 turns the pool\'s off', LIMIT, async () => {
  const server = await recordingServer({
    respond: (req, body, res) => {
      if (req.url === '/slow-body') {
        res.writeHead(200, { 'Content-Length': '10' });
        res.write('abc');
      } else if (req.url === '/late') {
        setTimeout(() => res.end('late'), 300);
      }
      // '/no-head' is never answered.
    },
  });
  // Each case on its own dispatcher: a timed-out response is drained (P9),
  // so its connection stays busy with it.
  const cases = [];
  const dispatcher = (options) => {
    const d = new PipeliningDispatcher({ connections: 1, ...options });
    cases.push(d);
    return d;
  };
  try {
    await assert.rejects(
      request(`${server.url}/no-head`, { dispatcher: dispatcher(), headersTimeout: 150 }),
      (e) => e instanceof PipeliningError && e.kind === 'timeout',
    );
    const slow = await request(`${server.url}/slow-body`, { dispatcher: dispatcher(), bodyTimeout: 150 });
    assert.equal(slow.statusCode, 200);
    await assert.rejects(slow.body.text(), (e) => e instanceof PipeliningError && e.kind === 'timeout');
    // The dispatcher's own headers timeout, and a request that turns it off.
    const strict = dispatcher({ headersTimeoutMs: 150 });
    await assert.rejects(request(`${server.url}/late`, { dispatcher: strict }), (e) => e.kind === 'timeout');
    const off = await request(`${server.url}/late`, { dispatcher: strict, headersTimeout: 0 });
    assert.equal(await off.body.text(), 'late');
  } finally {
    await Promise.all(cases.map((d) => d.destroy()));
    await server.close();
  }
});

test('errors reach the handler; after destroy, requests fail at once; close waits for the outstanding', LIMIT, async () => {
  const server = await recordingServer({ delayMs: 100 });
  const dispatcher = new PipeliningDispatcher();
  try {
    const errors = [];
    const handler = { onConnect() {}, onHeaders() {}, onData() {}, onComplete() {}, onError: (e) => errors.push(e) };
    assert.equal(dispatcher.dispatch({ origin: server.url, path: 'example.com:443', method: 'CONNECT' }, handler), false);
    assert.equal(dispatcher.dispatch({ origin: server.url, path: 'no-slash', method: 'GET' }, handler), false);
    assert.equal(dispatcher.dispatch({ path: '/x', method: 'GET' }, handler), false);
    assert.deepEqual(errors.map((e) => e.kind), ['invalid_request', 'invalid_request', 'invalid_request']);
    const pending = request(`${server.url}/slow`, { dispatcher });
    await sleep(20);
    await dispatcher.destroy();
    await assert.rejects(pending, (e) => e instanceof PipeliningError && e.kind === 'cancelled');
    await assert.rejects(request(`${server.url}/after`, { dispatcher }), (e) => e.kind === 'cancelled');
    assert.equal(dispatcher.destroyed, true);
  } finally {
    await server.close();
  }
});
