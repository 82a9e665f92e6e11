// nginx started for a test or a benchmark: a temporary prefix holding the
// files to serve, a loopback port, writes not coalesced (`sendfile off;
// tcp_nopush off; tcp_nodelay on;`), and an access log recording, per
// request, its connection, its number on that connection and whether it
// arrived pipelined (nginx's `$pipe`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * Starts nginx serving `files` (`{name: bytes}`) on a free loopback port.
 * Resolves to `{url, port, log(), stop()}` — `log()` parses the access log
 * into `{connection, number, pipelined, uri, status, bytes}` entries — or to
 * `{missing: why}` when nginx cannot be run (not installed).
 */
export async function startNginx(files) {
  const dir = mkdtempSync(join(tmpdir(), 'pipelining-nginx-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const port = await freePort();
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  const conf = `daemon off; master_process off; ${user} worker_processes 1;
pid ${dir}/nginx.pid; error_log stderr warn;
events {}
http {
  log_format pipes '$connection $connection_requests $pipe $status $body_bytes_sent $request_uri';
  access_log ${dir}/access.log pipes;
  sendfile off; tcp_nopush off; tcp_nodelay on; keepalive_requests 1000000; log_not_found off;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location / { root ${dir}; } }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const failed = await new Promise((resolve) => {
    child.once('error', (error) => resolve(error));
    child.once('exit', (code) => resolve(new Error(`nginx exited (${code})`)));
    waitForPort(port).then(() => resolve(null), resolve);
  });
  if (failed) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    return { missing: failed.code === 'ENOENT' ? 'nginx is not installed (not on PATH)' : failed.message };
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log: () =>
      readFileSync(join(dir, 'access.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [connection, number, pipe, status, bytes, uri] = line.split(' ');
          return { connection, number: Number(number), pipelined: pipe === 'p', uri, status: Number(status), bytes: Number(bytes) };
        }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill();
      }),
  };
}
