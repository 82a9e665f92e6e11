#!/usr/bin/env node
// The Node driver (lib/) against undici, one connection, requests pipelined
// 16 deep, the same server for both. Servers: a Node `http` server in a
// child process and nginx (started here with a temporary config; skipped
// with a note when `nginx` is not on PATH), each serving a 1 KiB body.
//
// Every side streams its bodies the same way: each chunk handed over as it
// arrives and counted, never collected whole. The sides, in pairs:
//
// - `ours-request` (Client.request, a streamed ResponseBody read with
//   `for await`) against `undici-request` (undici Client.request, its body
//   read with `for await`) and `undici-dispatch` (undici Client.dispatch
//   with a handler that counts `onData` bytes);
// - `ours-dispatch` (PipeliningDispatcher.dispatch, the same handler)
//   against `undici-dispatch`;
// - `ours-fetch` (undici's `fetch` with `dispatcher: PipeliningDispatcher`)
//   against `undici-fetch` (undici's `fetch` with `dispatcher: new
//   Client(origin, { pipelining: 16 })`), each body read with `for await`.
//
//   npm run bench:undici                     # 20,000 requests, 5 runs each
//   node bench/undici.mjs --requests 5000 --runs 3 --server node --sides ours-fetch,undici-fetch
//   node bench/undici.mjs --out bench/RESULTS.md   # also writes the results file, naming the commit
//
// Runs alternate (in the listed order, then reversed, …) after one warm-up
// of each side; prints req/s per run, the medians and the ratios.
import { fork, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const BODY = Buffer.alloc(1024, 'x');
const SIDES = ['ours-request', 'ours-dispatch', 'ours-fetch', 'undici-request', 'undici-dispatch', 'undici-fetch'];

if (process.argv[2] === '--serve') {
  // The child: a plain Node server, keep-alive forever.
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '20000' },
      runs: { type: 'string', default: '5' },
      depth: { type: 'string', default: '16' },
      server: { type: 'string', default: 'node,nginx' },
      sides: { type: 'string', default: SIDES.join(',') },
      out: { type: 'string' },
    },
  });
  const N = Number(values.requests);
  const RUNS = Number(values.runs);
  const DEPTH = Number(values.depth);
  const { Client, PipeliningDispatcher } = await import('../lib/index.js');
  const undici = await import('undici');

  /** The `dispatch` handler both sides get: counts bytes, resolves on the end. */
  const counting = (resolve, reject) => {
    let status = 0;
    let length = 0;
    return {
      onConnect() {},
      onHeaders(statusCode) {
        status = statusCode;
        return true;
      },
      onData(chunk) {
        length += chunk.length;
        return true;
      },
      onComplete() {
        if (status !== 200 || length !== 1024) reject(new Error(`bad response ${status} ${length}`));
        else resolve();
      },
      onError: reject,
    };
  };
  const check = (status, length) => {
    if (status !== 200 || length !== 1024) throw new Error(`bad response ${status} ${length}`);
  };
  /** Counts a body's bytes as they come. */
  const drain = async (body) => {
    let length = 0;
    for await (const chunk of body) length += chunk.length;
    return length;
  };

  /** Each side: (port, n) → req/s; what it makes is closed after its run. */
  const drivers = {
    'ours-request': (port, n) => {
      const client = new Client({ depth: DEPTH, connections: 1, assumePipelining: true });
      const url = `http://127.0.0.1:${port}/1k`;
      return timed(client, n, async () => {
        const r = await client.request({ url });
        check(r.status, await drain(r.body));
      });
    },
    'ours-dispatch': (port, n) => {
      const dispatcher = new PipeliningDispatcher({ depth: DEPTH, connections: 1, assumePipelining: true });
      const options = { origin: `http://127.0.0.1:${port}`, path: '/1k', method: 'GET' };
      return timed(dispatcher, n, () => new Promise((resolve, reject) => dispatcher.dispatch(options, counting(resolve, reject))));
    },
    'ours-fetch': (port, n) => {
      const dispatcher = new PipeliningDispatcher({ depth: DEPTH, connections: 1, assumePipelining: true });
      const url = `http://127.0.0.1:${port}/1k`;
      return timed(dispatcher, n, async () => {
        const r = await undici.fetch(url, { dispatcher });
        check(r.status, await drain(r.body));
      });
    },
    'undici-request': (port, n) => {
      const client = new undici.Client(`http://127.0.0.1:${port}`, { pipelining: DEPTH });
      return timed(client, n, async () => {
        const r = await client.request({ path: '/1k', method: 'GET', blocking: false });
        check(r.statusCode, await drain(r.body));
      });
    },
    'undici-dispatch': (port, n) => {
      const client = new undici.Client(`http://127.0.0.1:${port}`, { pipelining: DEPTH });
      const options = { path: '/1k', method: 'GET', blocking: false };
      return timed(client, n, () => new Promise((resolve, reject) => client.dispatch(options, counting(resolve, reject))));
    },
    'undici-fetch': (port, n) => {
      const dispatcher = new undici.Client(`http://127.0.0.1:${port}`, { pipelining: DEPTH });
      const url = `http://127.0.0.1:${port}/1k`;
      return timed(dispatcher, n, async () => {
        const r = await undici.fetch(url, { dispatcher });
        check(r.status, await drain(r.body));
      });
    },
  };

  /** n requests, 2 × depth callers each awaiting its own in turn; returns req/s. */
  async function timed(closable, n, one) {
    let next = 0;
    try {
      const start = performance.now();
      const caller = async () => {
        while (next < n) {
          next++;
          await one();
        }
      };
      await Promise.all(Array.from({ length: 2 * DEPTH }, caller));
      return n / ((performance.now() - start) / 1000);
    } finally {
      await closable.close();
    }
  }

  const sides = values.sides.split(',');
  for (const side of sides) if (!(side in drivers)) throw new Error(`unknown side ${side}: ${SIDES.join(', ')}`);
  const servers = { node: startNode, nginx: startNginx };
  const lines = [];
  const say = (line) => {
    console.log(line);
    lines.push(line);
  };
  const version = (await import('undici/package.json', { with: { type: 'json' } })).default.version;
  say(`node ${process.version}, undici ${version}, ${cpus().length} × ${cpus()[0]?.model}; ` +
    `${N} requests per run, depth ${DEPTH}, ${RUNS} runs per side, one connection, 1 KiB bodies streamed; ` +
    `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} at the start`);
  const results = [];
  for (const name of values.server.split(',')) {
    const server = await servers[name]();
    if (!server) continue;
    try {
      for (const side of sides) await drivers[side](server.port, Math.min(N, 2000));
      const got = Object.fromEntries(sides.map((side) => [side, []]));
      for (let run = 0; run < RUNS; run++) {
        for (const side of run % 2 === 0 ? sides : [...sides].reverse()) {
          const rate = await drivers[side](server.port, N);
          got[side].push(rate);
          console.log(`${name} run ${run + 1} ${side}: ${Math.round(rate)} req/s`);
        }
      }
      results.push({ server: name, got, median: Object.fromEntries(sides.map((side) => [side, median(got[side])])) });
    } finally {
      server.stop();
    }
  }
  say('');
  say(`| server | ${sides.join(' | ')} |`);
  say(`|---|${sides.map(() => '---:').join('|')}|`);
  for (const r of results) say(`| ${r.server} | ${sides.map((side) => fmt(r.median[side])).join(' | ')} |`);
  say('');
  say('| server | ours-fetch / undici-fetch | ours-request / undici-request | ours-request / undici-dispatch | ours-dispatch / undici-dispatch |');
  say('|---|---:|---:|---:|---:|');
  const ratio = (r, a, b) => (r.median[a] && r.median[b] ? `${(r.median[a] / r.median[b]).toFixed(2)}×` : '–');
  for (const r of results) {
    say(`| ${r.server} | ${ratio(r, 'ours-fetch', 'undici-fetch')} | ${ratio(r, 'ours-request', 'undici-request')} | ` +
      `${ratio(r, 'ours-request', 'undici-dispatch')} | ${ratio(r, 'ours-dispatch', 'undici-dispatch')} |`);
  }
  say('');
  for (const r of results) {
    say(`- ${r.server}: ${sides.map((side) => `${side} ${r.got[side].map(fmt).join(', ')}`).join('; ')}`);
  }
  say(`\nload average ${loadavg().map((l) => l.toFixed(2)).join(', ')} at the end`);
  if (values.out) writeResults(values.out, lines, process.argv.slice(2));
}


/** A results file naming the commit measured (with `-dirty` when what runs had uncommitted changes). */
function writeResults(path, lines, args) {
  const git = (...a) => execFileSync('git', a, { encoding: 'utf8' }).trim();
  // Dirty only if what runs differs from the commit (the driver, the crate, the core, this script).
  const measured = ['lib', 'src', 'bench/undici.mjs', 'package.json', '../../core/src'];
  const commit = git('rev-parse', 'HEAD') + (git('status', '--porcelain', '--', ...measured) === '' ? '' : '-dirty');
  // The header docs/BENCHMARKS.md asks of a results file (.ci/check-results).
  const stamp = commit.endsWith('-dirty') ? 'status: to-be-remeasured' : `commit: ${commit}`;
  const text = `# The Node driver against undici: results

${stamp}
date: ${new Date().toISOString().slice(0, 10)}
command: \`node bench/undici.mjs ${args.join(' ')}\` in bindings/wasm, after \`npm run build\`${commit.endsWith('-dirty') ? ` (on ${commit})` : ''}

Reported, not a CI gate. Medians of the runs in req/s, every run listed at
the end.

${lines.join('\n')}
`;
  writeFileSync(path, text);
  console.log(`\nwrote ${path}`);
}

function fmt(x) {
  return Math.round(x).toLocaleString('en-US');
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function startNode() {
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], { stdio: 'inherit' });
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the Node server exited (${code})`)));
  });
  return { port, stop: () => child.kill() };
}

async function freePort() {
  const s = createNetServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function startNginx() {
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-bench-nginx-'));
  writeFileSync(join(dir, '1k'), BODY);
  const port = await freePort();
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  const conf = `daemon off; master_process off; ${user} worker_processes 1;
pid ${dir}/nginx.pid; error_log stderr warn;
events {}
http {
  access_log off; sendfile off; tcp_nopush off; tcp_nodelay on; keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location / { root ${dir}; } }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const failed = await new Promise((resolve) => {
    child.once('error', (e) => resolve(e));
    child.once('exit', (code) => resolve(new Error(`nginx exited (${code})`)));
    waitForPort(port).then(() => resolve(null), resolve);
  });
  if (failed) {
    console.log(`nginx: not run (${failed.message})`);
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    port,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port) {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}
