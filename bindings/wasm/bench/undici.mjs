#!/usr/bin/env node
// The Node driver (lib/) against undici's Client: one connection, requests
// pipelined 16 deep, the same server for both. Servers: a Node `http` server
// in a child process and nginx (started here with a temporary config; skipped
// with a note when `nginx` is not on PATH), each serving a 1 KiB body.
//
//   npm run bench:undici                    # 20,000 requests, 5 runs each
//   node bench/undici.mjs --requests 5000 --runs 3 --depth 16 --server node
//   node --cpu-prof bench/undici.mjs --server nginx --only ours   # profile one side
//
// Runs alternate (ours, undici, undici, ours, …) after one warm-up of each;
// prints req/s per run, the medians and ours/undici.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const BODY = Buffer.alloc(1024, 'x');

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
      only: { type: 'string' },
    },
  });
  const N = Number(values.requests);
  const RUNS = Number(values.runs);
  const DEPTH = Number(values.depth);
  const { Client } = await import('../lib/index.js');
  const { Client: UndiciClient } = await import('undici');

  const drivers = {
    ours: async (port, n) => {
      const client = new Client({ depth: DEPTH, connections: 1, assumePipelining: true });
      const url = `http://127.0.0.1:${port}/1k`;
      try {
        return await loop(n, async () => {
          const r = await client.request({ url });
          if (r.status !== 200 || r.body.length !== 1024) throw new Error(`bad response ${r.status} ${r.body.length}`);
        });
      } finally {
        client.close();
      }
    },
    undici: async (port, n) => {
      const client = new UndiciClient(`http://127.0.0.1:${port}`, { pipelining: DEPTH });
      try {
        return await loop(n, async () => {
          const r = await client.request({ path: '/1k', method: 'GET', blocking: false });
          const body = await r.body.arrayBuffer();
          if (r.statusCode !== 200 || body.byteLength !== 1024) throw new Error(`bad response ${r.statusCode} ${body.byteLength}`);
        });
      } finally {
        await client.close();
      }
    },
  };

  /** n requests, 2 × depth callers each awaiting its own in turn; returns req/s. */
  async function loop(n, one) {
    let next = 0;
    const start = performance.now();
    const caller = async () => {
      while (next < n) {
        next++;
        await one();
      }
    };
    await Promise.all(Array.from({ length: 2 * DEPTH }, caller));
    return n / ((performance.now() - start) / 1000);
  }

  const servers = { node: startNode, nginx: startNginx };
  console.log(`node ${process.version}, undici ${(await import('undici/package.json', { with: { type: 'json' } })).default.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model}; ${N} requests per run, depth ${DEPTH}, ${RUNS} runs each, one connection`);
  const rows = [];
  for (const name of values.server.split(',')) {
    const server = await servers[name]();
    if (!server) continue;
    try {
      await drivers.ours(server.port, Math.min(N, 2000));
      await drivers.undici(server.port, Math.min(N, 2000));
      const got = { ours: [], undici: [] };
      for (let run = 0; run < RUNS; run++) {
        const order = (run % 2 === 0 ? ['ours', 'undici'] : ['undici', 'ours']).filter((w) => !values.only || w === values.only);
        for (const who of order) {
          const rate = await drivers[who](server.port, N);
          got[who].push(rate);
          console.log(`${name} run ${run + 1} ${who}: ${Math.round(rate)} req/s`);
        }
      }
      if (values.only) continue;
      const ours = median(got.ours);
      const undici = median(got.undici);
      rows.push({ server: name, ours, undici, ratio: ours / undici, got });
    } finally {
      server.stop();
    }
  }
  console.log('\n| server | pipelining (lib/) req/s | undici req/s | ours / undici |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.server} | ${fmt(r.ours)} | ${fmt(r.undici)} | ${r.ratio.toFixed(2)}× |`);
  }
  for (const r of rows) {
    console.log(`\n${r.server} runs: ours ${r.got.ours.map(fmt).join(', ')}; undici ${r.got.undici.map(fmt).join(', ')}`);
  }
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
