// Test servers: Node's own `http` server, and a scripted raw `net` server
// whose every response (and fault) the test decides.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Starts a Node `http` server on loopback; resolves to {url, server, close}. */
export async function httpServer(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Parses the requests at the front of `buffer`; returns [requests, rest]. */
function parseRequests(buffer) {
  const requests = [];
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = buffer.subarray(0, end).toString('latin1').split('\r\n');
    const [method, target, version] = head[0].split(' ');
    const headers = {};
    const fields = [];
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = line.slice(colon + 1).trim();
      fields.push([name, headers[name]]);
    }
    const length = Number(headers['content-length'] ?? 0);
    if (buffer.length < end + 4 + length) break;
    const body = buffer.subarray(end + 4, end + 4 + length);
    buffer = buffer.subarray(end + 4 + length);
    requests.push({ method, target, version, headers, fields, body });
  }
  return [requests, buffer];
}

/** `HTTP/1.1 <status>` with headers and a Content-Length body. */
export function response(status, body = '', headers = {}, version = '1.1') {
  const content = Buffer.from(body);
  const lines = [`HTTP/${version} ${status} ${http.STATUS_CODES[status] ?? 'Status'}`];
  const names = Object.keys(headers).map((n) => n.toLowerCase());
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (!names.includes('content-length') && !names.includes('transfer-encoding')) {
    lines.push(`Content-Length: ${content.length}`);
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), content]);
}

/**
 * A raw HTTP/1.1 server on loopback driven by `respond(request, ctx)`, called
 * once per request in arrival order. `ctx` has `conn` (connection index),
 * `index` (request index on this connection), `seen` (how many times this
 * method + target arrived before, on any connection). `respond` returns
 * bytes to write, or an action object:
 * `{write?: bytes, close?: true, destroy?: true, hold?: true}`
 * (`close` ends the connection after writing; `destroy` resets it; `hold`
 * writes nothing and stops answering this connection).
 */
export async function scriptedServer(respond) {
  const log = [];
  const counts = new Map();
  const sockets = new Set();
  let connections = 0;
  const server = net.createServer((socket) => {
    const conn = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let index = 0;
    let done = false;
    socket.on('data', (chunk) => {
      if (done) return;
      buffer = Buffer.concat([buffer, chunk]);
      const [requests, rest] = parseRequests(buffer);
      buffer = rest;
      for (const request of requests) {
        if (done) return;
        const key = `${request.method} ${request.target}`;
        const seen = counts.get(key) ?? 0;
        counts.set(key, seen + 1);
        log.push({
          conn,
          index,
          method: request.method,
          target: request.target,
          body: request.body.toString(),
          bodyBytes: request.body,
          fields: request.fields,
        });
        let action = respond(request, { conn, index, seen });
        index++;
        if (Buffer.isBuffer(action) || typeof action === 'string') action = { write: action };
        if (action.write !== undefined) socket.write(action.write);
        if (action.destroy) {
          done = true;
          // Let the bytes go out first, then reset.
          setImmediate(() => socket.resetAndDestroy?.() ?? socket.destroy());
        } else if (action.close) {
          done = true;
          socket.end();
        } else if (action.hold) {
          done = true;
        }
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    /** How many times `method target` arrived. */
    count: (method, target) => counts.get(`${method} ${target}`) ?? 0,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * An HTTPS server (Node's `https`) on loopback presenting `cert` (PEM chain)
 * with `key`; answers every request 200 with `METHOD TARGET` as the body,
 * and logs `{method, target}`. Its URL names `localhost`, the name the test
 * certificate is for.
 */
export async function httpsServer({ cert, key }) {
  const log = [];
  const server = https.createServer({ cert, key }, (req, res) => {
    log.push({ method: req.method, target: req.url });
    req.resume();
    req.on('end', () => res.end(`${req.method} ${req.url}`));
  });
  // A refused handshake (an untrusted certificate) is the client's doing.
  server.on('tlsClientError', () => {});
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `https://localhost:${port}`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A port on loopback that refuses connections. */
export async function refusedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A raw HTTP/1.1 server on loopback that answers every request `delayMs`
 * after it arrived, in order, with its target as the body, and records the
 * order requests arrived in (`log`) and the most requests it ever held
 * unanswered on one connection (`maxOutstanding()`, reset with
 * `resetMax()`): how deep the client really pipelines.
 */
export async function pacedServer(delayMs) {
  const log = [];
  const sockets = new Set();
  let max = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let outstanding = 0;
    socket.on('data', (chunk) => {
      const [requests, rest] = parseRequests(Buffer.concat([buffer, chunk]));
      buffer = rest;
      for (const request of requests) {
        log.push(request.target);
        outstanding++;
        max = Math.max(max, outstanding);
        setTimeout(() => {
          outstanding--;
          if (!socket.destroyed) socket.write(response(200, request.target));
        }, delayMs);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    maxOutstanding: () => max,
    resetMax: () => (max = 0),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A raw HTTP/1.1 server on loopback that resets its first connection in the
 * middle of a pipelined window: it answers that connection's first request
 * (the client's probe), then reads what follows until it has `whole`
 * requests of it, stops reading, and `waitMs` later resets the connection
 * without answering.
 * Every later connection is answered in full, with the target as the body.
 * `received` lists the requests the reset connection delivered whole
 * before the reset (the server saw them: they were written there).
 */
export async function resetMidWindowServer({ whole = 2, waitMs = 300 } = {}) {
  const received = [];
  const log = [];
  const sockets = new Set();
  let connections = 0;
  const server = net.createServer((socket) => {
    const conn = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let answered = 0;
    socket.on('data', (chunk) => {
      const [requests, rest] = parseRequests(Buffer.concat([buffer, chunk]));
      buffer = rest;
      for (const request of requests) log.push({ conn, method: request.method, target: request.target });
      if (conn === 0 && answered > 0) {
        received.push(...requests.map((r) => r.target));
        if (received.length < whole) return;
        socket.pause();
        socket.removeAllListeners('data');
        setTimeout(() => socket.resetAndDestroy(), waitMs);
        return;
      }
      for (const request of requests) {
        answered++;
        socket.write(response(200, request.target.slice(0, 40)));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    log,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
