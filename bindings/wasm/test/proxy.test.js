// Proxies and TLS options in the Node driver: the pool routes by the
// core's rules (pipelining::proxy, through wasm), the driver opens what it
// is told (a proxy connection, a CONNECT tunnel, TLS with the caller's
// options); and the Node command's --proxy/--noproxy and proxy variables
// behave as the Rust command's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../lib/index.js';
import { nodeFetch, rustCommand, rustFetch, testPki } from './command.js';
import { httpsServer, proxyServer, recordingServer } from './servers.js';

const LIMIT = { timeout: 60_000 };
const dec = (b) => new TextDecoder().decode(b);

/** The variables of a proxy-free environment, whatever the test runner's. */
const NO_PROXY_ENV = Object.fromEntries(
  ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'].map((n) => [n, undefined]),
);

test('http:// through a proxy: absolute form, its credentials, one at a time; noProxy goes direct', LIMIT, async () => {
  const origin = await recordingServer();
  const proxy = await proxyServer();
  const client = new Client({ proxy: `http://user:p%40ss@127.0.0.1:${proxy.port}` });
  try {
    assert.equal(client.proxyFor(`${origin.url}/x`), `127.0.0.1:${proxy.port}`);
    const answers = await Promise.all(
      ['/a', '/b', '/c'].map((path) => client.request({ url: `${origin.url}${path}`, whole: true })),
    );
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.deepEqual(
      proxy.log.map((r) => [r.method, r.url, r.auth]),
      ['/a', '/b', '/c'].map((path) => ['GET', `${origin.url}${path}`, `Basic ${Buffer.from('user:p@ss').toString('base64')}`]),
    );
    assert.deepEqual(origin.log.map((r) => r.url), ['/a', '/b', '/c']);
    assert.equal(origin.maxOutstanding(), 1, 'not pipelined through a proxy unless it is trusted to');
  } finally {
    await client.close();
  }
  const direct = new Client({ proxy: `http://127.0.0.1:${proxy.port}`, noProxy: '127.0.0.1' });
  try {
    assert.equal(direct.proxyFor(origin.url), undefined);
    assert.equal((await direct.request({ url: `${origin.url}/d`, whole: true })).status, 200);
    assert.equal(proxy.log.length, 3, 'the exception went direct');
  } finally {
    await direct.close();
    await proxy.close();
    await origin.close();
  }
});

test('proxy variables are read from proxyFromEnv with the Rust driver\'s rules', LIMIT, () => {
  const env = { HTTP_PROXY: 'http://p:1', https_proxy: 'p:2', NO_PROXY: '.internal, 10.0.0.0/8' };
  const client = new Client({ proxyFromEnv: env });
  assert.equal(client.proxyFor('http://example.com/'), 'p:1');
  assert.equal(client.proxyFor('https://example.com/'), 'p:2');
  assert.equal(client.proxyFor('http://a.internal/'), undefined);
  assert.equal(client.proxyFor('http://10.1.2.3/'), undefined);
  // HTTP_PROXY is ignored under CGI (REQUEST_METHOD set); lower case is not.
  const cgi = new Client({ proxyFromEnv: { HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' } });
  assert.equal(cgi.proxyFor('http://example.com/'), undefined);
  // Without proxyFromEnv nothing is read; `noProxy: '*'` turns everything off.
  assert.equal(new Client().proxyFor('http://example.com/'), undefined);
  assert.equal(new Client({ proxyFromEnv: env, noProxy: '*' }).proxyFor('http://example.com/'), undefined);
  assert.throws(() => new Client({ proxy: 'socks5://p:1' }), (e) => e.kind === 'invalid_request' && /socks5/.test(e.message));
  assert.throws(() => new Client({ proxyFromEnv: { http_proxy: 'http://p:x' } }), (e) => e.kind === 'invalid_request');
});

test('https:// through a CONNECT tunnel, with the TLS options passed through (a CA, a client certificate)', LIMIT, async () => {
  const pki = testPki();
  const origin = await httpsServer({ cert: pki.cert, key: pki.key, clientCa: pki.ca });
  const proxy = await proxyServer({ refuse: (req) => (req.url.startsWith('refused.') ? 403 : 0) });
  const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
  const client = new Client({ proxy: proxy.url, tls });
  const opened = [];
  client.on('connect', (url, _clients, info) => opened.push([url.href, info.proxy]));
  try {
    const answer = await client.request({ url: `${origin.url}/secret`, whole: true });
    assert.equal(dec(answer.body), 'GET /secret');
    const port = new URL(origin.url).port;
    assert.deepEqual(proxy.log.map((r) => [r.method, r.url]), [['CONNECT', `localhost:${port}`]]);
    assert.deepEqual(origin.log, [{ method: 'GET', target: '/secret', client: 'pipelining test client' }]);
    assert.deepEqual(opened, [[`${origin.url}/`, `127.0.0.1:${proxy.port}`]]);
    // The proxy's refusal fails the connect, in the proxy's name.
    const refused = new Client({ proxy: proxy.url, maxTries: 1, tls });
    await assert.rejects(refused.request({ url: `https://refused.example:${port}/` }), (e) => e.kind === 'connect' && /proxy 127\.0\.0\.1:\d+/.test(e.message) && /403/.test(e.message));
    await refused.close();
  } finally {
    await client.close();
  }
  // Without the client certificate the server refuses the handshake.
  const bare = new Client({ tls: { ca: pki.ca }, maxTries: 1 });
  try {
    const outcome = await bare.request({ url: `${origin.url}/x`, whole: true }).then(
      () => 'answered',
      (e) => e.kind,
    );
    assert.notEqual(outcome, 'answered');
  } finally {
    await bare.close();
    await proxy.close();
    await origin.close();
  }
});

/** Both commands with the same arguments and environment; their JSON lines with the port of `url` hidden. */
async function both(args, env, servers) {
  rustCommand();
  const outputs = [];
  for (const fetch of [rustFetch, nodeFetch]) {
    const before = servers.map((s) => s.log.length);
    const result = await fetch(args, { env: { ...NO_PROXY_ENV, ...env } });
    result.seen = servers.map((s, i) => s.log.length - before[i]);
    outputs.push(result);
  }
  return outputs;
}

test('pipelining-fetch --proxy, --noproxy and the proxy variables route as `pipelining fetch` does', LIMIT, async () => {
  const origin = await recordingServer();
  const proxy = await proxyServer();
  const urls = [`${origin.url}/a`, `${origin.url}/b`];
  try {
    const cases = [
      { name: '--proxy', args: ['--proxy', proxy.url], env: {}, via: [2, 2] },
      { name: 'http_proxy', args: [], env: { http_proxy: proxy.url }, via: [2, 2] },
      { name: 'no_proxy', args: [], env: { http_proxy: proxy.url, no_proxy: '127.0.0.1' }, via: [0, 2] },
      { name: '--noproxy', args: ['--proxy', proxy.url, '--noproxy', '127.0.0.1'], env: {}, via: [0, 2] },
      { name: "--noproxy '*'", args: ['--noproxy', '*'], env: { http_proxy: proxy.url }, via: [0, 2] },
      { name: '--proxy beats the variables', args: ['--proxy', proxy.url], env: { http_proxy: 'http://127.0.0.1:1' }, via: [2, 2] },
    ];
    for (const { name, args, env, via } of cases) {
      const [rust, node] = await both(['--json', ...args, ...urls], env, [proxy, origin]);
      assert.deepEqual([rust.code, node.code], [0, 0], `${name}: ${rust.stderr} / ${node.stderr}`);
      const statuses = (out) => out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).status);
      assert.deepEqual([statuses(rust), statuses(node)], [[200, 200], [200, 200]], name);
      assert.deepEqual([rust.seen, node.seen], [via, via], `${name}: requests seen by [proxy, origin]`);
    }
    // A bad proxy URL is a usage error for both, with the same words.
    const [rust, node] = await both(['--proxy', 'socks5://p:1', ...urls], {}, [proxy, origin]);
    assert.deepEqual([rust.code, node.code], [2, 2]);
    const first = (out) => out.stderr.split('\n')[0].replace(/^[^:]+: (error: )?/, '');
    assert.equal(first(node), first(rust));
    assert.deepEqual([rust.seen, node.seen], [[0, 0], [0, 0]]);
  } finally {
    await proxy.close();
    await origin.close();
  }
});
