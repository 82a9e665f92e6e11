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
 * and logs `{method, target, client}` (`client`: the common name of the
 * client's certificate, or null). With `clientCa` every client must
 * present a certificate that CA signed. Its URL names `localhost`, the
 * name the test certificate is for.
 */
export async function httpsServer({ cert, key, clientCa }) {
  const log = [];
  const mutual = clientCa === undefined ? {} : { ca: clientCa, requestCert: true, rejectUnauthorized: true };
  const server = https.createServer({ cert, key, ...mutual }, (req, res) => {
    const client = req.socket.getPeerCertificate?.()?.subject?.CN ?? null;
    log.push({ method: req.method, target: req.url, client });
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

/**
 * A Node `http` server on loopback that records every request — `{conn,
 * method, url, headers, body}` in arrival order (`log`) — and, per
 * connection, how many requests it held unanswered at once
 * (`maxOutstanding()`): more than one means the client pipelined.
 * `respond(req, body, res)` answers (default: 200 with `METHOD URL` and
 * the body's length); each answer waits `delayMs` so that a pipelining
 * client's next requests arrive meanwhile.
 */
export async function recordingServer({ delayMs = 0, respond } = {}) {
  const log = [];
  let connections = 0;
  let max = 0;
  const server = http.createServer((req, res) => {
    const socket = req.socket;
    socket.conn ??= connections++;
    socket.outstanding = (socket.outstanding ?? 0) + 1;
    max = Math.max(max, socket.outstanding);
    res.on('finish', () => socket.outstanding--);
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      log.push({ conn: socket.conn, method: req.method, url: req.url, headers: req.headers, body });
      const answer = () => {
        if (respond) respond(req, body, res);
        else res.end(`${req.method} ${req.url} ${body.length}`);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    server,
    maxOutstanding: () => max,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * An HTTP forward proxy on loopback: absolute-form requests are forwarded
 * to their origin (one upstream request each) and the answer relayed;
 * `CONNECT host:port` opens a tunnel, unless `refuse(req)` names a status
 * to answer with instead. `log` records `{method, url, auth}` (`auth` the
 * `Proxy-Authorization` received) of every request it was sent.
 */
export async function proxyServer({ refuse } = {}) {
  const log = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    log.push({ method: req.method, url: req.url, auth: req.headers['proxy-authorization'] ?? null });
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.statusCode = 400;
      res.end('absolute-form only');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.statusCode = 502;
      res.end('bad gateway');
    });
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, client, head) => {
    log.push({ method: req.method, url: req.url, auth: req.headers['proxy-authorization'] ?? null });
    sockets.add(client);
    client.on('error', () => {});
    const status = refuse?.(req);
    if (status) {
      client.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const colon = req.url.lastIndexOf(':');
    const upstream = net.connect(Number(req.url.slice(colon + 1)), req.url.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
