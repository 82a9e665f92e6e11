// The Client's own API streams both ways: request bodies from strings,
// bytes, Readables and (async) iterables, sent as the core's ContentPlan
// says; response bodies as a Readable (or a web ReadableStream) that
// cancels its request when dropped; 1xx responses before the final one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { Client, ResponseBody } from '../lib/index.js';
import { recordingServer, response, scriptedServer } from './servers.js';

const LIMIT = { timeout: 30_000 };
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('request bodies of every shape arrive whole; large and unsized ones are streamed with Expect: 100-continue', LIMIT, async () => {
  const server = await recordingServer({ respond: (req, body, res) => res.end(sha(body)) });
  const client = new Client({ depth: 4, connections: 1 });
  const big = Buffer.alloc(3 << 20, 7);
  const medium = new Uint8Array(100_000).fill(1);
  async function* pieces() {
    yield 'text, ';
    yield new Uint8Array([98, 121, 116, 101, 115]);
  }
  const cases = [
    { name: 'string', body: 'hello', expect: 'hello' },
    { name: 'small bytes', body: new Uint8Array([1, 2, 3]), expect: Buffer.from([1, 2, 3]) },
    { name: 'bytes over 64 KiB', body: medium, expect: Buffer.from(medium) },
    { name: 'bytes over 1 MiB', body: big, expect: big },
    { name: 'Readable', body: Readable.from([Buffer.from('a'), Buffer.from('bc')]), expect: 'abc' },
    { name: 'async generator', body: pieces(), expect: 'text, bytes' },
    { name: 'Blob', body: new Blob(['bl', 'ob']), expect: 'blob' },
  ];
  try {
    for (const { name, body, expect } of cases) {
      const answer = await client.request({ method: 'PUT', url: `${server.url}/${name}`, body, whole: true });
      assert.equal(new TextDecoder().decode(answer.body), sha(Buffer.from(expect)), name);
    }
    const seen = Object.fromEntries(server.log.map((r) => [decodeURIComponent(r.url.slice(1)), r.headers]));
    assert.equal(seen.string['content-length'], '5');
    assert.equal(seen.string.expect, undefined, 'small bodies go with the head');
    assert.equal(seen['bytes over 64 KiB']['content-length'], '100000');
    assert.equal(seen['bytes over 64 KiB'].expect, undefined);
    assert.equal(seen['bytes over 1 MiB'].expect, '100-continue');
    assert.equal(seen.Readable['transfer-encoding'], 'chunked');
    assert.equal(seen.Readable.expect, '100-continue', 'a stream of unknown size waits for 100 Continue');
    assert.equal(seen.Blob['content-length'], '4', 'a Blob knows its size');
  } finally {
    await client.close();
    await server.close();
  }
});

test('a failing request body fails its request only', LIMIT, async () => {
  const server = await recordingServer();
  const client = new Client({ depth: 4, connections: 1 });
  async function* broken() {
    yield 'part';
    throw new Error('the source broke');
  }
  try {
    await assert.rejects(client.request({ method: 'POST', url: `${server.url}/broken`, body: broken() }), (e) => {
      assert.equal(e.kind, 'invalid_request');
      assert.match(String(e.cause?.message ?? e.message), /the source broke/);
      return true;
    });
    const after = await client.request({ url: `${server.url}/after`, whole: true });
    assert.equal(new TextDecoder().decode(after.body), 'GET /after 0');
  } finally {
    await client.close();
    await server.close();
  }
});

test('a streamed response is a Readable and a web stream; interim responses come first; dropping it cancels', LIMIT, async () => {
  const big = 'r'.repeat(1_000_000);
  const server = await scriptedServer((req) => {
    if (req.target === '/hinted') {
      return Buffer.concat([Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n'), response(200, 'after hints')]);
    }
    return response(200, big);
  });
  const client = new Client({ depth: 4, connections: 1 });
  try {
    const order = [];
    const hinted = await client.request({
      url: `${server.url}/hinted`,
      onInformational: (info) => order.push(`${info.status} ${info.headers.map(([n, v]) => `${n}: ${v}`).join()}`),
    });
    order.push(String(hinted.status));
    assert.deepEqual(order, ['103 Link: </s.css>', '200']);
    assert.ok(hinted.body instanceof ResponseBody && hinted.body instanceof Readable);
    assert.equal(await hinted.body.text(), 'after hints');
    const streamed = await client.request({ url: `${server.url}/big` });
    let length = 0;
    for await (const chunk of streamed.body.stream()) length += chunk.length;
    assert.equal(length, big.length);
    // Dropped after one chunk: the request is cancelled and the client
    // carries on (the rest of the response is drained or the connection
    // replaced, P9).
    const dropped = await client.request({ url: `${server.url}/big2` });
    for await (const _ of dropped.body) break;
    assert.equal(dropped.body.destroyed, true);
    const next = await client.request({ url: `${server.url}/hinted`, whole: true });
    assert.equal(new TextDecoder().decode(next.body), 'after hints');
    assert.equal(client.pending, 0);
  } finally {
    await client.close();
    await server.close();
  }
});
