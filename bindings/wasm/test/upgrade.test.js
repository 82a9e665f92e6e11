// Upgrades (RFC 9110 §7.8): a request with `upgrade` goes alone on its
// connection, and a `101` answer hands that connection over, as a Duplex,
// to undici's `upgrade()` (onUpgrade), to a controller-style handler
// (onRequestUpgrade) or to `Client.request` (`socket`); the pipelined
// requests around it are answered on other connections or before it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { test } from 'node:test';
import { request, upgrade } from 'undici';
import { Client, PipeliningDispatcher } from '../lib/index.js';

const LIMIT = { timeout: 30_000 };

/** A server whose `echo` protocol answers upper case, greeting first; `log` holds `[socket number, method, url, upgrade]`. */
async function echoServer() {
  const log = [];
  let sockets = 0;
  const server = http.createServer((req, res) => {
    req.socket.n ??= sockets++;
    log.push([req.socket.n, req.method, req.url, null]);
    setTimeout(() => res.end(`answer ${req.url}`), 20);
  });
  server.on('upgrade', (req, socket, head) => {
    socket.n ??= sockets++;
    log.push([socket.n, req.method, req.url, req.headers.upgrade, req.headers.connection]);
    // The greeting goes with the 101: the client reads it past the head.
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello;');
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (chunk) => socket.write(chunk.toString().toUpperCase()));
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
  });
  server.on('connection', (socket) => {
    socket.n ??= sockets++;
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

/** Reads from `stream` until `text` has arrived. */
async function readUntil(stream, text) {
  let got = '';
  while (!got.includes(text)) {
    const [chunk] = await once(stream, 'data');
    got += chunk.toString();
  }
  return got;
}

test("undici's upgrade() through the dispatcher: the connection is handed over, the other requests are answered", LIMIT, async () => {
  const server = await echoServer();
  const dispatcher = new PipeliningDispatcher({ depth: 8, connections: 2, assumePipelining: true });
  try {
    const before = ['/a', '/b', '/c'].map((path) => request(`${server.url}${path}`, { dispatcher }).then((r) => r.body.text()));
    const upgraded = upgrade(`${server.url}/chat`, { dispatcher, protocol: 'echo' });
    const after = ['/d', '/e'].map((path) => request(`${server.url}${path}`, { dispatcher }).then((r) => r.body.text()));
    const { headers, socket } = await upgraded;
    assert.equal(headers.upgrade, 'echo');
    assert.match(await readUntil(socket, 'hello;'), /^hello;/, 'the bytes read past the 101 come first');
    socket.write('ping');
    assert.equal(await readUntil(socket, 'PING'), 'PING');
    socket.end();
    await once(socket, 'close');
    assert.deepEqual(await Promise.all([...before, ...after]), ['/a', '/b', '/c', '/d', '/e'].map((p) => `answer ${p}`));
    const chat = server.log.find((r) => r[2] === '/chat');
    assert.deepEqual(chat.slice(1), ['GET', '/chat', 'echo', 'upgrade']);
    assert.deepEqual(
      server.log.filter((r) => r[0] === chat[0]).map((r) => r[2]).at(-1),
      '/chat',
      'nothing was written behind the upgrade on its connection',
    );
  } finally {
    await dispatcher.close();
    await server.close();
  }
});

test('a controller-style handler gets onRequestUpgrade; Client.request resolves with the socket', LIMIT, async () => {
  const server = await echoServer();
  const dispatcher = new PipeliningDispatcher();
  const client = new Client();
  try {
    const socket = await new Promise((resolve, reject) => {
      dispatcher.dispatch(
        { origin: server.url, path: '/c', method: 'GET', upgrade: 'echo' },
        {
          onRequestStart() {},
          onRequestUpgrade(controller, status, headers, socket) {
            assert.equal(status, 101);
            assert.equal(headers.connection, 'Upgrade');
            resolve(socket);
          },
          onResponseStart: () => reject(new Error('not an upgrade')),
          onResponseError: (controller, error) => reject(error),
        },
      );
    });
    assert.match(await readUntil(socket, 'hello;'), /hello;/);
    socket.destroy();
    const response = await client.request({ url: `${server.url}/r`, upgrade: 'echo' });
    assert.equal(response.status, 101);
    assert.equal(response.body, null);
    assert.match(await readUntil(response.socket, 'hello;'), /hello;/);
    response.socket.write('x');
    assert.match(await readUntil(response.socket, 'X'), /X/);
    response.socket.destroy();
  } finally {
    await dispatcher.close();
    await client.close();
    await server.close();
  }
});
