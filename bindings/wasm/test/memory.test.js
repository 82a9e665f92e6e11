// Backpressure from a slow reader reaches the socket: a 256 MiB response
// streamed through undici's fetch and PipeliningDispatcher, of which 32 MiB
// are read at 8 MiB/s before the body is cancelled, grows the reading
// process's RSS by less than 32 MiB (measured in a child process run with
// --expose-gc, after a forced collection), and the server could hand the
// socket only a little more than was read.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
const READ = 32 * MiB;
const RATE = 8 * MiB;

const here = dirname(fileURLToPath(import.meta.url));

/** The reader: its RSS before and after (each after a forced gc), and at its peak. */
const CHILD = `
import { Agent, fetch } from 'undici';
import { PipeliningDispatcher } from ${JSON.stringify(join(here, '..', 'lib', 'index.js'))};
import { setTimeout as sleep } from 'node:timers/promises';
const [url, read, rate, who] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const dispatcher = who === 'undici' ? new Agent() : new PipeliningDispatcher();
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await sleep(50); } };
// Warm up: everything loaded and compiled before the baseline.
await (await fetch(url + '/small', { dispatcher })).arrayBuffer();
await settle();
const before = process.memoryUsage().rss;
let peak = before;
const response = await fetch(url + '/huge', { dispatcher });
const reader = response.body.getReader();
const start = performance.now();
let got = 0;
while (got < read) {
  const { value, done } = await reader.read();
  if (done) break;
  got += value.length;
  peak = Math.max(peak, process.memoryUsage().rss);
  const due = (got / rate) * 1000 - (performance.now() - start);
  if (due > 0) await sleep(due);
}
await reader.cancel();
await settle();
const after = process.memoryUsage().rss;
await dispatcher.close();
console.log(JSON.stringify({ before, after, peak, got, seconds: (performance.now() - start) / 1000 }));
`;

test('a 256 MiB response read 32 MiB at 8 MiB/s then cancelled: RSS grows by less than 32 MiB', { timeout: 120_000 }, async (t) => {
  let handed = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/small') {
      res.end('small');
      return;
    }
    res.writeHead(200, { 'Content-Length': String(TOTAL) });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (handed < TOTAL) {
        handed += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const child = async (who) => {
    handed = 0;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', CHILD, url, String(READ), String(RATE), who],
      {
        cwd: join(here, '..'),
        timeout: 90_000,
        // Blocks of 64 KiB and more are mapped and unmapped on their own:
        // what the reader frees goes back to the system, so RSS after a
        // collection measures what is still held (the wasm module's linear
        // memory never shrinks, so buffering inside it still shows), not
        // the chunk buffers glibc's heap would otherwise keep for reuse
        // (their growth varied from 2 to 35 MiB between runs, undici's too).
        env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' },
      },
    );
    const result = JSON.parse(stdout);
    result.handed = handed;
    return result;
  };
  const report = ({ before, after, peak, got, seconds, handed: h }) =>
    `read ${got} bytes in ${seconds.toFixed(1)} s; RSS ${(before / MiB).toFixed(1)} MiB before, ` +
    `${(after / MiB).toFixed(1)} after (+${((after - before) / MiB).toFixed(1)}), peak ${(peak / MiB).toFixed(1)}; ` +
    `the server handed the socket ${(h / MiB).toFixed(1)} MiB`;
  try {
    const ours = await child('pipelining');
    t.diagnostic(`PipeliningDispatcher: ${report(ours)}`);
    // For reference only (no assertion): undici's own Agent on the same
    // test.
    t.diagnostic(`undici Agent (reference): ${report(await child('undici'))}`);
    const { before, after, got, seconds } = ours;
    const growth = after - before;
    assert.ok(got >= READ, `read ${got} bytes`);
    assert.ok(seconds >= (READ / RATE) * 0.9, 'read at the given rate');
    assert.ok(growth < 32 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(ours.handed < READ + 64 * MiB, `the server could hand ${(ours.handed / MiB).toFixed(1)} MiB to a reader of 32 MiB: no backpressure`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
