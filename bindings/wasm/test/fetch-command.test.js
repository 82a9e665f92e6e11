// bin/pipelining-fetch.mjs on its own: flags, input lines, JSON lines, exit codes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError, basicCredentials, collect, parseArgs, parseHeader, readCacert, requestTemplate } from '../lib/fetch-command.js';
import { nodeFetch, testPki } from './command.js';
import { response, scriptedServer } from './servers.js';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 30_000 };

const sha256 = (s) => createHash('sha256').update(s).digest('hex');

test('flags parse like clap: values, = forms, ranges, repeats', LIMIT, () => {
  const o = parseArgs(['http://h/a', '--depth', '4', '--connections=3', '--max-tries', '1', '--timeout', '0.5', '--json', '-o', 'out', 'http://h/b']);
  assert.deepEqual(
    [o.urls, o.depth, o.connections, o.maxTries, o.timeout, o.json, o.output, o.fail],
    [['http://h/a', 'http://h/b'], 4, 3, 1, 0.5, true, 'out', false],
  );
  assert.equal(parseArgs(['-oDIR']).output, 'DIR');
  for (const bad of [
    ['--depth', '0'],
    ['--depth', '4097'],
    ['--depth', 'x'],
    ['--connections', '1025'],
    ['--max-tries', '101'],
    ['--timeout', '0'],
    ['--timeout', '-1'],
    ['--timeout', 'abc'],
    ['--depth'],
    ['--json', '--json'],
    ['--bogus'],
    ['--json=yes'],
  ]) {
    assert.throws(() => parseArgs(bad), UsageError, bad.join(' '));
  }
});

test('request flags parse like clap: -H repeats, short values attach, the rest once', LIMIT, () => {
  const o = parseArgs([
    '-H', 'X-A: 1', '--header', 'x-a:  2 ', '-HX-B:3', '--header=X-C: 4',
    '-X', 'PUT', '-d', 'a=1', '-u', 'me:pw', '--headers', '--cacert', 'ca.pem', 'http://h/a',
  ]);
  assert.deepEqual(
    [o.headers, o.method, o.data, o.user, o.responseHeaders, o.cacert, o.urls],
    [[['x-a', '1'], ['x-a', '2'], ['x-b', '3'], ['x-c', '4']], 'PUT', { text: 'a=1' }, 'me:pw', true, 'ca.pem', ['http://h/a']],
  );
  assert.deepEqual([parseArgs(['-XDELETE']).method, parseArgs(['-d@f.bin']).data, parseArgs(['-d', '@-']).data], ['DELETE', { file: 'f.bin' }, { stdin: true }]);
  assert.deepEqual(parseArgs(['--data=']).data, { text: '' });
  for (const bad of [
    ['-d', 'a', '-d', 'b'],
    ['-X', 'GET', '-X', 'PUT'],
    ['-u', 'a:b', '--user', 'c:d'],
    ['--cacert', 'a', '--cacert', 'b'],
    ['--headers', '--headers'],
    ['-X', 'G T'],
    ['-u', 'nocolon'],
    ['-d', '@'],
    ['-H'],
    ['-H', 'NoColon'],
  ]) {
    assert.throws(() => parseArgs(bad), UsageError, bad.join(' '));
  }
});

test('-H: a token, a colon, a trimmed value; UTF-8 sent as bytes', LIMIT, () => {
  assert.deepEqual(parseHeader('X-Trace:  a b\t'), ['x-trace', 'a b']);
  assert.deepEqual(parseHeader('Empty:'), ['empty', '']);
  assert.deepEqual(parseHeader('Colons: a:b'), ['colons', 'a:b']);
  assert.deepEqual(parseHeader('X: café'), ['x', 'caf\xc3\xa9'], 'one character per byte of the UTF-8');
  for (const [bad, says] of [
    ['NoColon', /Name: value/],
    [': value', /not a header name/],
    ['Two Words: v', /not a header name/],
    ['Bad@Name: v', /not a header name/],
    ['X: a\r\nInjected: b', /control character/],
    ['X: nul\0', /control character/],
    ['X: del\x7f', /control character/],
  ]) {
    assert.throws(() => parseHeader(bad), (e) => e instanceof UsageError && says.test(e.message), bad);
  }
});

test('-u: the text as given, in base64 (RFC 7617)', LIMIT, () => {
  assert.equal(basicCredentials('Aladdin:open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  assert.equal(basicCredentials('a:b:c'), 'Basic YTpiOmM=');
  assert.equal(basicCredentials('u:%20'), 'Basic dTolMjA=');
  assert.throws(() => basicCredentials('no-colon'), /USER:PASSWORD/);
});

test('the request template: method, field precedence, and the core\'s own check', LIMIT, () => {
  assert.equal(requestTemplate({}).method, 'GET');
  assert.equal(requestTemplate({ body: Buffer.from('x') }).method, 'POST', 'POST with -d, as curl');
  assert.equal(requestTemplate({ body: Buffer.from('x'), method: 'PATCH' }).method, 'PATCH');
  assert.deepEqual(requestTemplate({ headers: [['x-a', '1']], body: Buffer.from('a=1'), user: 'u:p' }).headers, [
    ['x-a', '1'],
    ['authorization', 'Basic dTpw'],
    ['content-type', 'application/x-www-form-urlencoded'],
  ]);
  const own = [['authorization', 'Bearer t'], ['content-type', 'application/json']];
  assert.deepEqual(requestTemplate({ headers: own, body: Buffer.from('{}'), user: 'u:p' }).headers, own);
  for (const [template, says] of [
    [{ headers: [['transfer-encoding', 'chunked']] }, /Transfer-Encoding/],
    [{ headers: [['content-length', '4']], body: Buffer.from('abc') }, /Content-Length/],
    [{ headers: [['host', 'a'], ['host', 'b']] }, /Host/],
  ]) {
    assert.throws(() => requestTemplate(template), (e) => e instanceof UsageError && says.test(e.message));
  }
  requestTemplate({ headers: [['content-length', '3'], ['host', 'other']], body: Buffer.from('abc') });
});

test('--cacert: PEM certificates, or one DER; anything else is a usage error', LIMIT, () => {
  const pki = testPki();
  const [pem] = readCacert(pki.caPath);
  assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
  const twice = join(pki.dir, 'twice.pem');
  writeFileSync(twice, pki.ca + pki.ca);
  assert.equal(readCacert(twice).length, 2);
  const der = join(pki.dir, 'ca.der');
  const body = pki.ca.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, '');
  writeFileSync(der, Buffer.from(body, 'base64'));
  assert.deepEqual(readCacert(der), [pem]);
  for (const [text, says] of [
    ['just some text\n', /neither PEM/],
    ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /no CERTIFICATE/],
    ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /bad PEM/],
  ]) {
    const path = join(pki.dir, 'bad.pem');
    writeFileSync(path, text);
    assert.throws(() => readCacert(path), (e) => e instanceof UsageError && says.test(e.message), text);
  }
  assert.throws(() => readCacert(join(pki.dir, 'missing.pem')), /cannot read --cacert/);
});

test('input lines: URL or METHOD URL, blank and # lines ignored, errors name the line', LIMIT, () => {
  const specs = collect(['http://h/a'], '# comment\n\nhttp://h/b\r\nPOST http://h/c\n  DELETE   https://h:8443/d  \n');
  assert.deepEqual(specs, [
    { method: 'GET', url: 'http://h/a' },
    { method: 'GET', url: 'http://h/b' },
    { method: 'POST', url: 'http://h/c' },
    { method: 'DELETE', url: 'https://h:8443/d' },
  ]);
  for (const [input, line] of [
    ['http://h/a\nGET http://h/b extra\n', 2],
    ['G@T http://h/a\n', 1],
    ['ftp://h/a\n', 1],
    ['not-a-url\n', 1],
    ['/relative\n', 1],
  ]) {
    assert.throws(() => collect([], input), (e) => e instanceof UsageError && e.message.startsWith(`--input line ${line}:`));
  }
  assert.throws(() => collect(['nope'], undefined), UsageError);
  // A line's own method wins over the default (-X, or POST with -d).
  assert.deepEqual(
    collect(['http://h/a'], 'http://h/b\nHEAD http://h/c\n', 'PUT').map((s) => s.method),
    ['PUT', 'PUT', 'HEAD'],
  );
});

test('a malformed input line exits 2 and sends nothing', LIMIT, async () => {
  const server = await scriptedServer(() => response(200, 'x'));
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-'));
  const input = join(dir, 'requests.txt');
  writeFileSync(input, `${server.url}/a\nGET ${server.url}/b extra\n`);
  const result = await nodeFetch([`${server.url}/first`, '--input', input, '--json']);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /--input line 2/);
  const none = await nodeFetch(['--json']);
  assert.equal(none.code, 2);
  const badFlag = await nodeFetch([`${server.url}/a`, '--depth', '0']);
  assert.equal(badFlag.code, 2);
  assert.equal(server.log.length, 0, 'nothing was sent');
  await server.close();
});

test('JSON lines come in request order with the C1 keys; -o writes bodies; exit 0', LIMIT, async () => {
  const server = await scriptedServer((req) => response(req.target === '/missing' ? 404 : 200, `body ${req.method} ${req.target}`));
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-'));
  const result = await nodeFetch(
    [`${server.url}/a`, '--input', '-', '--json', '-o', join(dir, 'out'), '--depth', '2'],
    { stdin: `# list\nPOST ${server.url}/b\n\n${server.url}/missing\n` },
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.equal(
    lines[0],
    `{"url":"${server.url}/a","method":"GET","status":200,"body_bytes":11,"body_sha256":"${sha256('body GET /a')}","attempts":1,"error":null,"error_kind":null}`,
  );
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)).map((o) => [o.method, o.status]),
    [['GET', 200], ['POST', 200], ['GET', 404]],
  );
  assert.equal(readFileSync(join(dir, 'out', '000002.body'), 'utf8'), 'body POST /b');
  const failing = await nodeFetch([`${server.url}/missing`, '--fail', '--json']);
  assert.equal(failing.code, 1);
  const line = JSON.parse(failing.stdout);
  assert.deepEqual(
    Object.entries(line).map(([k, v]) => [k, k === 'error' ? typeof v : v]),
    [
      ['url', `${server.url}/missing`],
      ['method', 'GET'],
      ['status', null],
      ['body_bytes', null],
      ['body_sha256', null],
      ['attempts', 1],
      ['error', 'string'],
      ['error_kind', 'http_status'],
    ],
  );
  const human = await nodeFetch([`${server.url}/a`]);
  assert.equal(human.stdout, `200 GET ${server.url}/a (11 bytes, 1 attempt)\n`);
  await server.close();
});
