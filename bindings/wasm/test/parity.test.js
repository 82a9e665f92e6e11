// The same request lists through `pipelining fetch --json` (Rust) and
// bin/pipelining-fetch.mjs (Node) against the same kind of server: the same
// lines (keys, statuses, bodies, error_kind; attempts where the run is
// deterministic) and the same exit codes. Only the `error` text may differ.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nodeFetch, rustCommand, rustFetch, testPki } from './command.js';
import { httpsServer, refusedPort, resetMidWindowServer, response, scriptedServer } from './servers.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 60_000 };

const KEYS = ['url', 'method', 'status', 'body_bytes', 'body_sha256', 'attempts', 'error', 'error_kind'];

/** Answers by path alone, so both commands meet the same behaviour. */
function behaviour(req, { seen }) {
  const path = req.target;
  const body = `${req.method} ${path} `.repeat(5);
  if (path.startsWith('/ok/')) return response(200, 'x'.repeat(Number(path.slice(4))));
  if (path === '/chunked') return Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  if (path === '/missing') return response(404, 'not here');
  if (path === '/head') return response(200, '', { 'Content-Length': '10' });
  if (path === '/close') return { write: response(200, body, { Connection: 'close' }), close: true };
  if (path === '/http10') return { write: response(200, body, {}, '1.0'), close: true };
  if (path === '/interim') return Buffer.concat([Buffer.from('HTTP/1.1 103 Early Hints\r\n\r\n'), response(200, body)]);
  if (path === '/bad') return Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx');
  if (path === '/huge') {
    const headers = {};
    for (let i = 0; i < 120; i++) headers[`X-${i}`] = 'v';
    return response(200, body, headers);
  }
  if (path.startsWith('/cut-once') && seen === 0) {
    const full = response(200, body);
    return { write: full.subarray(0, full.length - 3), destroy: true };
  }
  if (path === '/cut-post' || path === '/always-cut') {
    const full = response(200, body);
    return { write: full.subarray(0, full.length - 3), destroy: true };
  }
  if (path === '/stall') return { hold: true };
  if (path === '/fields') {
    // Repeated fields, names in mixed case, a byte above 0x7f, an empty value.
    const head = 'HTTP/1.1 200 OK\r\nX-First: 1\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\n' +
      'SET-COOKIE: b="2"; Path=/\r\nX-Latin1: caf\xe9\r\nX-Empty:\r\n\r\nok';
    return Buffer.from(head, 'latin1');
  }
  return response(200, body);
}

/**
 * Runs both commands, each against a fresh server (`server()` makes one;
 * the scripted one by default) and in a fresh directory (`$DIR` in an
 * argument; `setup(dir)` prepares it); returns both results, each with the
 * server it ran against.
 */
async function both(args, { lines = [], stdin, server: start = () => scriptedServer(behaviour), setup } = {}) {
  rustCommand();
  const results = [];
  for (const fetch of [rustFetch, nodeFetch]) {
    const server = await start();
    const dir = mkdtempSync(join(tmpdir(), 'pipelining-parity-'));
    setup?.(dir);
    const input = join(dir, 'requests.txt');
    const expand = (s) => s.replaceAll('$URL', server.url).replaceAll('$DIR', dir);
    writeFileSync(input, expand(lines.join('\n')));
    const argv = args.map((a) => (a === '$INPUT' ? input : expand(a)));
    const result = await fetch(argv, { stdin: stdin === undefined ? undefined : expand(stdin) });
    result.requests = server.log.length;
    result.server = server;
    // Each run has its own server: compare URLs without the port.
    result.stdout = result.stdout.replaceAll(server.url, 'http://server');
    results.push(result);
    await server.close();
  }
  return results;
}

function parse(stdout, keys = KEYS) {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const object = JSON.parse(line);
      assert.deepEqual(Object.keys(object), keys, `keys of ${line}`);
      return object;
    });
}

/**
 * The two outputs agree on everything but `error` (and `attempts` unless
 * asked); every line has `keys`.
 */
function assertSame(rust, node, { attempts, keys = KEYS }) {
  assert.equal(node.code, rust.code, `exit codes (rust stderr: ${rust.stderr}; node stderr: ${node.stderr})`);
  const r = parse(rust.stdout, keys);
  const n = parse(node.stdout, keys);
  assert.equal(n.length, r.length, 'one line per request');
  for (const [i, line] of r.entries()) {
    const strip = (o) => {
      const { error, attempts: a, ...rest } = o;
      return { ...rest, error: error === null ? null : 'text', ...(attempts ? { attempts: a } : {}) };
    };
    assert.deepEqual(strip(n[i]), strip(line), `line ${i + 1}: node ${JSON.stringify(n[i])} vs rust ${JSON.stringify(line)}`);
  }
  return r;
}

const MIXED = [
  '# every path behaves the same for both commands',
  '$URL/ok/10',
  '',
  'GET $URL/chunked',
  'HEAD $URL/head',
  '$URL/missing',
  '$URL/interim',
  'POST $URL/ok/5',
  '$URL/close',
  '$URL/after-close',
  '$URL/http10',
  '$URL/cut-once/a',
  'POST $URL/cut-post',
  '$URL/bad',
  '$URL/huge',
  'DELETE $URL/ok/0',
  '$URL/ok/100000',
  'PUT $URL/last',
];

test('a mixed list gives the same lines and exit code, pipelined', LIMIT, async () => {
  const [rust, node] = await both(['$URL/ok/1', '--input', '$INPUT', '--json', '--max-tries', '5'], { lines: MIXED });
  const lines = assertSame(rust, node, { attempts: false });
  assert.equal(rust.code, 1);
  assert.deepEqual(
    lines.map((l) => l.error_kind).filter(Boolean),
    ['may_have_been_processed', 'protocol', 'limit'],
  );
});

test('a mixed list one request at a time: attempts agree too', LIMIT, async () => {
  const [rust, node] = await both(['--input', '$INPUT', '--json', '--depth', '1', '--connections', '1'], { lines: MIXED });
  const lines = assertSame(rust, node, { attempts: true });
  assert.equal(lines.find((l) => l.url.endsWith('/cut-once/a')).attempts, 2);
});

test('all answered from stdin: exit 0 for both', LIMIT, async () => {
  const [rust, node] = await both(['--input', '-', '--json', '--depth', '3'], {
    stdin: '$URL/ok/1\nPOST $URL/ok/2\n$URL/missing\n$URL/close\n$URL/ok/3\n',
  });
  assertSame(rust, node, { attempts: false });
  assert.equal(rust.code, 0);
});

test('connect failures and lost tries: connect and max_tries', LIMIT, async () => {
  const port = await refusedPort();
  const [rust, node] = await both([`http://127.0.0.1:${port}/x`, '$URL/always-cut', '--json', '--max-tries', '2'], {});
  const lines = assertSame(rust, node, { attempts: true });
  assert.deepEqual(lines.map((l) => [l.error_kind, l.attempts]), [['connect', 0], ['max_tries', 2]]);
  const [rust1, node1] = await both(['$URL/always-cut', '--json', '--max-tries', '1'], {});
  assert.equal(assertSame(rust1, node1, { attempts: true })[0].error_kind, 'connection_lost');
});

test('a stalled server: timeout for both', LIMIT, async () => {
  const [rust, node] = await both(['$URL/stall', '--json', '--timeout', '0.3', '--max-tries', '1'], {});
  assert.equal(assertSame(rust, node, { attempts: true })[0].error_kind, 'timeout');
});

test('usage errors: exit 2 for both, nothing sent', LIMIT, async () => {
  for (const [args, lines] of [
    [['--input', '$INPUT', '--json'], ['$URL/a', 'GET $URL/b extra']],
    [['--input', '$INPUT'], ['G@T $URL/a']],
    [['$URL/a', 'not-a-url', '--json'], []],
    [['$URL/a', '--depth', '0'], []],
    [['--json'], []],
    [['-H', 'Bad Name: v', '$URL/a'], []],
    [['-H', 'NoColon', '$URL/a'], []],
    [['-H', 'X: a\u0001b', '$URL/a'], []],
    [['-H', 'Transfer-Encoding: chunked', '$URL/a'], []],
    [['-H', 'Host: a', '-H', 'Host: b', '$URL/a'], []],
    [['-d', 'abc', '-H', 'Content-Length: 4', '$URL/a'], []],
    [['-X', 'G T', '$URL/a'], []],
    [['-u', 'no-colon', '$URL/a'], []],
    [['-d', '@$DIR/missing.body', '$URL/a'], []],
    [['-d', '@', '$URL/a'], []],
    [['-d', 'a', '-d', 'b', '$URL/a'], []],
    [['-d', '@-', '--input', '-'], []],
    [['--cacert', '$DIR/missing.pem', '$URL/a'], []],
  ]) {
    const [rust, node] = await both(args, { lines });
    assert.deepEqual([rust.code, node.code], [2, 2], `${args.join(' ')}: ${rust.stderr} / ${node.stderr}`);
    assert.deepEqual([rust.stdout, node.stdout], ['', '']);
    assert.deepEqual([rust.requests, node.requests], [0, 0]);
  }
});

test('a reset while a 64-deep window is being written: the same attempts and error_kind per line', LIMIT, async () => {
  // The probe, then a window of 64 GETs (4 KB targets: it fits the socket
  // buffers, so what each command wrote before the reset does not depend on
  // timing). The server takes two of the window whole, stops reading, and
  // resets; everything is resent on a new connection.
  const pad = 'x'.repeat(4000);
  const lines = ['$URL/probe', ...Array.from({ length: 64 }, (_, k) => `$URL/w${k}/${pad}`)];
  const [rust, node] = await both(['--input', '$INPUT', '--json', '--depth', '64', '--connections', '1'], {
    lines,
    server: () => resetMidWindowServer({ whole: 2 }),
  });
  const out = assertSame(rust, node, { attempts: true });
  assert.equal(rust.code, 0);
  assert.deepEqual(out.map((l) => l.error_kind), lines.map(() => null));
  for (const { server, stdout } of [rust, node]) {
    assert.ok(server.received.length >= 2, 'the server received part of the window on the reset connection');
    const attempts = new Map(parse(stdout).map((l) => [new URL(l.url).pathname, l.attempts]));
    for (const target of server.received) assert.equal(attempts.get(target), 2, `${target} was received, then resent`);
  }
  assert.deepEqual(out.map((l) => l.attempts), [1, ...lines.slice(1).map(() => 2)]);
});

/** What the server read of each request, by target: method, body, and the fields named. */
function received(server, names) {
  return [...server.log]
    .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0))
    .map((r) => ({
      method: r.method,
      target: r.target,
      body: r.bodyBytes.toString('hex'),
      fields: r.fields.filter(([name]) => names.includes(name)),
    }));
}

test('-H, -X, -d and -u reach the server the same way from both commands', LIMIT, async () => {
  const names = ['x-trace', 'x-multi', 'x-utf8', 'authorization', 'content-type', 'content-length', 'transfer-encoding'];
  const [rust, node] = await both(
    [
      '$URL/ok/3',
      '--input',
      '$INPUT',
      '--json',
      '-H',
      'X-Trace:  abc ',
      '--header',
      'X-Multi: 1',
      '-Hx-multi: 2',
      '-H',
      'X-Utf8: café',
      '-X',
      'PUT',
      '-d',
      'a=1&b=two words\n',
      '-u',
      'Aladdin:open sesame',
    ],
    { lines: ['$URL/ok/1', 'DELETE $URL/ok/2'] },
  );
  const lines = assertSame(rust, node, { attempts: false });
  assert.equal(rust.code, 0);
  assert.deepEqual(lines.map((l) => l.method), ['PUT', 'PUT', 'DELETE'], 'a line\'s own method wins over -X');
  const want = {
    body: Buffer.from('a=1&b=two words\n').toString('hex'),
    fields: [
      ['x-trace', 'abc'],
      ['x-multi', '1'],
      ['x-multi', '2'],
      ['x-utf8', Buffer.from('café').toString('latin1')],
      ['authorization', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='],
      ['content-type', 'application/x-www-form-urlencoded'],
      ['content-length', '16'],
    ],
  };
  for (const result of [rust, node]) {
    assert.deepEqual(received(result.server, names), [
      { method: 'PUT', target: '/ok/1', ...want },
      { method: 'DELETE', target: '/ok/2', ...want },
      { method: 'PUT', target: '/ok/3', ...want },
    ]);
  }
});

test('-d @FILE and @-: the same bytes on the wire, POST by default, -H Content-Type wins', LIMIT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-parity-data-'));
  const bytes = Buffer.from([...Array(256).keys(), 13, 10, 0]);
  writeFileSync(join(dir, 'body.bin'), bytes);
  const names = ['content-type', 'content-length'];
  const [rust, node] = await both(['$URL/ok/1', '--json', '-d', `@${join(dir, 'body.bin')}`, '-H', 'Content-Type: application/octet-stream']);
  assert.deepEqual(assertSame(rust, node, { attempts: true }).map((l) => l.method), ['POST']);
  const [rustStdin, nodeStdin] = await both(['$URL/ok/2', '--json', '--data', '@-'], { stdin: 'from stdin\r\n' });
  assertSame(rustStdin, nodeStdin, { attempts: true });
  for (const [file, stdin] of [[rust, rustStdin], [node, nodeStdin]]) {
    assert.deepEqual(received(file.server, names), [
      {
        method: 'POST',
        target: '/ok/1',
        body: bytes.toString('hex'),
        fields: [['content-type', 'application/octet-stream'], ['content-length', '259']],
      },
    ]);
    assert.deepEqual(received(stdin.server, names), [
      {
        method: 'POST',
        target: '/ok/2',
        body: Buffer.from('from stdin\r\n').toString('hex'),
        fields: [['content-type', 'application/x-www-form-urlencoded'], ['content-length', '12']],
      },
    ]);
  }
});

test('--headers: the same fields, in order, as the last key', LIMIT, async () => {
  const port = await refusedPort();
  const [rust, node] = await both(['$URL/fields', `http://127.0.0.1:${port}/x`, '--json', '--headers', '--max-tries', '1']);
  const lines = assertSame(rust, node, { attempts: true, keys: [...KEYS, 'headers'] });
  assert.equal(rust.code, 1);
  assert.deepEqual(lines[0].headers, [
    ['x-first', '1'],
    ['set-cookie', 'a=1'],
    ['content-length', '2'],
    ['set-cookie', 'b="2"; Path=/'],
    ['x-latin1', 'café'],
    ['x-empty', ''],
  ]);
  assert.deepEqual([lines[1].error_kind, lines[1].headers], ['connect', null]);
  // The human form: the same fields under the line.
  const [rustHuman, nodeHuman] = await both(['$URL/fields', '--headers']);
  assert.equal(nodeHuman.stdout, rustHuman.stdout);
  assert.match(rustHuman.stdout, /^200 GET http:\/\/server\/fields \(2 bytes, 1 attempt\)\n {2}x-first: 1\n/);
});

test('-o: a body that cannot be written fails its request with output, exit 1', LIMIT, async () => {
  // The second body's file name is taken by a directory.
  const [rust, node] = await both(['$URL/ok/1', '$URL/ok/2', '$URL/ok/3', '--json', '-o', '$DIR/out'], {
    setup: (dir) => mkdirSync(join(dir, 'out', '000002.body'), { recursive: true }),
  });
  const lines = assertSame(rust, node, { attempts: true });
  assert.equal(rust.code, 1);
  assert.deepEqual(lines.map((l) => l.error_kind), [null, 'output', null]);
  assert.equal(rust.stderr + node.stderr, '', 'reported on its line, not on stderr');
  // A directory that cannot be made: every request fails with output.
  const [rustFile, nodeFile] = await both(['$URL/ok/1', '$URL/ok/2', '--json', '-o', '$DIR/file/out'], {
    setup: (dir) => writeFileSync(join(dir, 'file'), 'not a directory'),
  });
  assert.deepEqual(assertSame(rustFile, nodeFile, { attempts: true }).map((l) => l.error_kind), ['output', 'output']);
  assert.deepEqual([rustFile.requests, nodeFile.requests], [2, 2], 'the requests were sent');
});

test('--cacert: both trust the file instead of the built-in roots', LIMIT, async () => {
  const pki = testPki();
  const server = () => httpsServer(pki);
  const [rust, node] = await both(['--json', '--cacert', pki.caPath, '$URL/a', '$URL/b?x=1'], { server });
  const lines = assertSame(rust, node, { attempts: true });
  assert.equal(rust.code, 0);
  assert.deepEqual(lines.map((l) => l.status), [200, 200]);
  assert.deepEqual([rust.requests, node.requests], [2, 2]);
  // Without it, the test CA is trusted by neither.
  const [rustBare, nodeBare] = await both(['--json', '--max-tries', '1', '$URL/a'], { server });
  assert.deepEqual(assertSame(rustBare, nodeBare, { attempts: true }).map((l) => l.error_kind), ['connect']);
  // A file without a certificate is a usage error for both, nothing sent.
  for (const text of ['just some text\n', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n']) {
    const [rustBad, nodeBad] = await both(['--json', '--cacert', '$DIR/bad.pem', '$URL/a'], {
      server,
      setup: (dir) => writeFileSync(join(dir, 'bad.pem'), text),
    });
    assert.deepEqual([rustBad.code, nodeBad.code], [2, 2], `${rustBad.stderr} / ${nodeBad.stderr}`);
    assert.deepEqual([rustBad.requests, nodeBad.requests], [0, 0]);
  }
});
