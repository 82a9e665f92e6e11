// The Client's connection events: `connect` when a connection opens,
// `disconnect` with the core's close summary when an open one closes,
// `connectionError` when one cannot be opened, `learned` for what the pool
// learned about an origin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, PipeliningError } from '../lib/index.js';
import { refusedPort, response, scriptedServer } from './servers.js';

const LIMIT = { timeout: 30_000 };

test('connect, learned and disconnect, in order, for a connection the server closes after two responses', LIMIT, async () => {
  // Two requests on one connection; the second answer says Connection: close.
  const server = await scriptedServer((req, { index }) =>
    index === 1 ? { write: response(200, 'last', { Connection: 'close' }), close: true } : response(200, 'first'),
  );
  const client = new Client({ connections: 1 });
  const seen = [];
  client.on('connect', (origin, clients, info) => seen.push(['connect', origin.href, clients[0] === client, typeof info.conn]));
  client.on('learned', (notice) => seen.push(['learned', notice.fact, notice.origin?.host]));
  client.on('disconnect', (origin, clients, error, info) =>
    seen.push(['disconnect', origin.href, error instanceof PipeliningError, info.reason, info.responses]),
  );
  try {
    await client.request({ url: `${server.url}/1`, whole: true });
    await client.request({ url: `${server.url}/2`, whole: true });
    await client.close();
    const origin = `${server.url}/`;
    // The close teaches the pool the server's request budget (P11), after
    // the connection is gone.
    assert.deepEqual(seen, [
      ['connect', origin, true, 'number'],
      ['learned', 'capability', '127.0.0.1'],
      ['disconnect', origin, true, 'server_close', 2],
      ['learned', 'budget', '127.0.0.1'],
    ]);
  } finally {
    await server.close();
  }
});

test('connectionError names the origin and the system error; no connect or disconnect', LIMIT, async () => {
  const port = await refusedPort();
  const client = new Client({ maxTries: 1 });
  const seen = [];
  for (const name of ['connect', 'disconnect']) client.on(name, () => seen.push(name));
  client.on('connectionError', (origin, clients, error) => seen.push(['connectionError', origin.href, error.kind, /ECONNREFUSED/.test(error.message)]));
  await assert.rejects(client.request({ url: `http://127.0.0.1:${port}/` }), (e) => e.kind === 'connect');
  await client.close();
  assert.deepEqual(seen, [['connectionError', `http://127.0.0.1:${port}/`, 'connect', true]]);
});
