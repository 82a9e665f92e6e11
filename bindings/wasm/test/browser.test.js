// The `--target web` build in a real browser: headless Chromium (the
// system's, never a downloaded one) driven by playwright-core loads
// browser/index.html from a static server on 127.0.0.1, which feeds canned
// pipelined responses through the wasm `Connection` and draws the pipeline.
//
// Runs only with PIPELINING_BROWSER=1 (`npm run test:browser`, which ci.sh
// calls); then a missing browser is a failure, not a skip.
// PIPELINING_CHROMIUM overrides /usr/bin/chromium; PIPELINING_SCREENSHOT
// where the screenshot goes (default: a temporary directory, kept).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Every test has a time limit, so a lost request fails its test instead
// of hanging the suite.
const LIMIT = { timeout: 120_000 };

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const enabled = process.env.PIPELINING_BROWSER === '1';
const executablePath = process.env.PIPELINING_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/** Serves browser/ and pkg/web/ from the package folder, nothing else. */
function serve() {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^[/\\]+/, '');
    const file = join(root, path);
    const allowed = [join(root, 'browser') + sep, join(root, 'pkg', 'web') + sep].some((dir) => file.startsWith(dir));
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('the web build matches pipelined responses in headless Chromium and draws them', { ...LIMIT, skip: !enabled && 'set PIPELINING_BROWSER=1 (npm run test:browser)' }, async (t) => {
  assert.ok(existsSync(join(root, 'pkg', 'web', 'pipelining_wasm_bg.wasm')), 'pkg/web is not built: run `npm run build` first');
  assert.ok(existsSync(executablePath), `no browser at ${executablePath} (install Debian's chromium, or set PIPELINING_CHROMIUM)`);
  const { chromium } = await import('playwright-core');

  const server = await serve();
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1000, height: 620 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  const { port } = server.address();
  await page.goto(`http://127.0.0.1:${port}/browser/index.html`);
  await page.waitForFunction(() => window.results !== undefined, null, { timeout: 20_000 });
  const outcome = await page.evaluate(() => window.results);
  assert.equal(outcome.error, undefined, outcome.error);
  assert.deepEqual(errors, []);

  // One write carries all four requests; the responses match in order.
  assert.equal(outcome.writes, 1);
  assert.deepEqual(outcome.written, [0, 1, 2, 3]);
  assert.match(outcome.wire, /^GET \/a HTTP\/1\.1\r\nHost: example\.test\r\nAccept: \*\/\*\r\n\r\nHEAD \/b HTTP\/1\.1\r\n/);
  const summary = outcome.results.map((r) => [r.method, r.target, r.status, r.body, r.ok]);
  assert.deepEqual(summary, [
    ['GET', '/a', 200, 'hello', true],
    ['HEAD', '/b', 200, '', true],
    ['GET', '/c', 200, 'world', true],
    ['GET', '/d', 404, 'not found', true],
  ]);
  assert.equal(outcome.results[1].contentLength, '1234');
  assert.deepEqual(outcome.results[2].trailers, [['X-Trailer', 't']]);
  // The response ranges tile the received bytes: nothing skipped, nothing left over.
  const ranges = outcome.results.map((r) => r.responseBytes);
  assert.equal(ranges[0][0], 0);
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i][0], ranges[i - 1][1]);
  assert.equal(ranges.at(-1)[1], outcome.receivedBytes);
  assert.match(await page.textContent('#status'), /all 4 responses matched/);

  // The screenshot: written to disk, big enough, and the drawing is not blank.
  const png = await page.screenshot({ fullPage: true });
  const out = process.env.PIPELINING_SCREENSHOT ?? join(mkdtempSync(join(tmpdir(), 'pipelining-browser-')), 'pipeline.png');
  writeFileSync(out, png);
  t.diagnostic(`screenshot: ${out} (${png.length} bytes)`);
  assert.ok(png.length > 8 * 1024, `the screenshot is only ${png.length} bytes`);
  const box = await page.locator('#timeline').boundingBox();
  const probe = await page.evaluate(
    async ({ b64, box }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = new OffscreenCanvas(Math.round(box.width), Math.round(box.height));
      const g = canvas.getContext('2d');
      g.drawImage(img, -Math.round(box.x), -Math.round(box.y));
      const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      const colors = new Set();
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] < 230 || data[i + 1] < 230 || data[i + 2] < 230) inked++;
        colors.add((data[i] >> 4) * 256 + (data[i + 1] >> 4) * 16 + (data[i + 2] >> 4));
      }
      return { inked: inked / (data.length / 4), colors: colors.size };
    },
    { b64: png.toString('base64'), box },
  );
  t.diagnostic(`timeline: ${(probe.inked * 100).toFixed(1)}% inked, ${probe.colors} colours`);
  assert.ok(probe.inked > 0.05, `the timeline is ${(probe.inked * 100).toFixed(2)}% inked: blank?`);
  assert.ok(probe.colors >= 6, `the timeline has only ${probe.colors} colours`);
});
