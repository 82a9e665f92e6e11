// Runs in the browser: the `--target web` build of the sans-IO core, fed
// canned pipelined response bytes one byte at a time. No network: the page
// plays both the transport and the server. The matched results go to
// `window.results` (checked by test/browser.test.js) and are drawn as a
// timeline of the bytes sent and received.
import init, { Connection } from '../pkg/web/pipelining_wasm.js';

const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);

// What the page asks for and what the "server" answers, in the same order.
const REQUESTS = [
  { method: 'GET', target: '/a' },
  { method: 'HEAD', target: '/b' },
  { method: 'GET', target: '/c' },
  { method: 'GET', target: '/d' },
];
const RESPONSES =
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' +
  // A HEAD response: Content-Length but no body; the next response follows at once.
  'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' +
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nwor\r\n2\r\nld\r\n0\r\nX-Trailer: t\r\n\r\n' +
  'HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found';
const EXPECTED = [
  { status: 200, body: 'hello' },
  { status: 200, body: '', contentLength: '1234' },
  { status: 200, body: 'world', trailers: [['X-Trailer', 't']] },
  { status: 404, body: 'not found' },
];

function run() {
  let now = 0;
  const c = new Connection(now, 'example.test', { capability: 'pipelining', depth: 16 });
  const ids = REQUESTS.map((r) => c.submit(now, { ...r, headers: [['Accept', '*/*']] }, { whole: true }));

  // Transmit: everything the connection wants to write, handed back as written.
  const sent = [];
  let writes = 0;
  for (let t = c.pollTransmit(now); t !== undefined; t = c.pollTransmit(now)) {
    writes++;
    sent.push(...t);
    c.handleWritten(++now, t.length);
  }
  const wire = dec(Uint8Array.from(sent));
  // Request byte ranges: each request ends at its blank line (no bodies here).
  const reqRanges = [];
  for (let start = 0; start < wire.length; ) {
    const end = wire.indexOf('\r\n\r\n', start) + 4;
    reqRanges.push([start, end]);
    start = end;
  }

  // Receive: one byte at a time, so each response's end is exact.
  const bytes = enc(RESPONSES);
  const byId = new Map();
  const written = [];
  let responseStart = 0;
  const drain = (offset) => {
    for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent()) {
      if (e.type === 'written') written.push(e.id);
      if (e.type === 'complete') {
        byId.set(e.id, { response: e.response, range: [responseStart, offset] });
        responseStart = offset;
      }
      if (e.type === 'failed') byId.set(e.id, { failed: e.kind });
    }
  };
  drain(0);
  for (let i = 0; i < bytes.length; i++) {
    c.handleReceived(++now, bytes.subarray(i, i + 1));
    drain(i + 1);
  }
  c.free();

  const results = ids.map((id, i) => {
    const got = byId.get(id);
    const r = got?.response;
    const header = (name) => r?.headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const result = {
      id,
      method: REQUESTS[i].method,
      target: REQUESTS[i].target,
      requestBytes: reqRanges[i],
      responseBytes: got?.range ?? null,
      status: r?.status ?? null,
      body: r ? dec(r.body) : null,
      contentLength: header('content-length') ?? null,
      trailers: r?.trailers ?? [],
      failed: got?.failed ?? null,
    };
    const want = EXPECTED[i];
    result.ok =
      result.status === want.status &&
      result.body === want.body &&
      (want.contentLength === undefined || result.contentLength === want.contentLength) &&
      JSON.stringify(result.trailers) === JSON.stringify(want.trailers ?? []);
    return result;
  });
  return { results, written, writes, sentBytes: sent.length, receivedBytes: bytes.length, wire };
}

const COLORS = ['#0969da', '#bf8700', '#8250df', '#cf222e', '#1a7f37', '#d4a72c'];

function draw({ results, writes, sentBytes, receivedBytes }) {
  const canvas = document.getElementById('timeline');
  const g = canvas.getContext('2d');
  const W = canvas.width;
  const left = 110;
  const span = W - left - 20;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, W, canvas.height);
  g.font = '13px sans-serif';
  g.textBaseline = 'middle';

  const lanes = [
    { label: `sent (${writes} write${writes === 1 ? '' : 's'})`, y: 50, total: sentBytes, key: 'requestBytes' },
    { label: 'received', y: 210, total: receivedBytes, key: 'responseBytes' },
  ];
  for (const lane of lanes) {
    g.fillStyle = '#222';
    g.fillText(lane.label, 8, lane.y + 20);
    g.fillText(`${lane.total} bytes`, 8, lane.y + 38);
    for (const [i, r] of results.entries()) {
      const range = r[lane.key];
      if (!range) continue;
      const x0 = left + (range[0] / lane.total) * span;
      const x1 = left + (range[1] / lane.total) * span;
      g.fillStyle = COLORS[i % COLORS.length];
      g.fillRect(x0, lane.y, Math.max(2, x1 - x0 - 2), 40);
      g.fillStyle = '#fff';
      const text = lane.key === 'requestBytes' ? `${r.method} ${r.target}` : `${r.status} ${r.method === 'HEAD' ? '(HEAD: no body)' : r.body}`;
      g.fillText(text, x0 + 6, lane.y + 20, Math.max(10, x1 - x0 - 12));
    }
  }
  // Match lines: request i → response i.
  for (const [i, r] of results.entries()) {
    if (!r.responseBytes) continue;
    const a = left + ((r.requestBytes[0] + r.requestBytes[1]) / 2 / sentBytes) * span;
    const b = left + ((r.responseBytes[0] + r.responseBytes[1]) / 2 / receivedBytes) * span;
    g.strokeStyle = COLORS[i % COLORS.length];
    g.lineWidth = 3;
    g.beginPath();
    g.moveTo(a, 92);
    g.bezierCurveTo(a, 150, b, 150, b, 208);
    g.stroke();
    g.fillStyle = '#222';
    g.fillText(`#${r.id}`, (a + b) / 2 + 4, 150);
  }
}

function table({ results }) {
  const body = document.querySelector('#table tbody');
  for (const r of results) {
    const tr = document.createElement('tr');
    const cells = [
      r.id,
      `${r.method} ${r.target}`,
      r.requestBytes.join('–'),
      r.responseBytes ? r.responseBytes.join('–') : '—',
      r.status ?? r.failed,
      JSON.stringify(r.body) + (r.contentLength && !r.body ? ` (Content-Length ${r.contentLength})` : '') +
        (r.trailers.length ? ` + ${r.trailers.map(([n, v]) => `${n}: ${v}`).join(', ')}` : ''),
      r.ok ? '✔' : '✘',
    ];
    for (const cell of cells) {
      const td = document.createElement('td');
      td.textContent = String(cell);
      tr.append(td);
    }
    body.append(tr);
  }
}

try {
  await init();
  const outcome = run();
  draw(outcome);
  table(outcome);
  const ok = outcome.results.every((r) => r.ok);
  const status = document.getElementById('status');
  status.textContent = ok
    ? `all ${outcome.results.length} responses matched to their requests`
    : 'mismatch: see the table';
  status.className = ok ? 'ok' : 'fail';
  window.results = outcome;
} catch (error) {
  document.getElementById('status').textContent = `error: ${error?.message ?? error}`;
  document.getElementById('status').className = 'fail';
  window.results = { error: String(error?.stack ?? error) };
}
