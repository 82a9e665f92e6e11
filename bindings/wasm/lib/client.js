// The Node driver: the wasm Pool over `net` / `tls` sockets.
//
// The pool (the core's dispatcher) decides everything: what to write where,
// when to open, close, pause and resume connections, what to resend, who
// may submit when an origin's queue is full (first come, first served), how
// a failure is named and worded and how often a request was written. This
// file keeps only sockets, timers and promises. After every input (socket
// data, EOF, error, a write accepted, a timer, a new request) `drive`
// drains the pool in the documented order: every transmit, every
// instruction, the next deadline, every notice.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { PipeliningError } from './errors.js';
import { ITEM, unpack } from './packed.js';
import { Pool } from './wasm.js';

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The pool's options from the client's. */
function poolOptions(options) {
  const {
    depth,
    connections,
    maxTries,
    queueLimit,
    timeoutMs,
    connectTimeoutMs,
    stallTimeoutMs,
    idleTimeoutMs,
    requestTimeoutMs,
    originMemoryMs,
    maxOrigins,
    limits,
  } = options;
  const pool = {
    depth,
    connections,
    maxTries,
    queueLimit,
    connectTimeoutMs: connectTimeoutMs ?? timeoutMs,
    stallTimeoutMs: stallTimeoutMs ?? timeoutMs,
    idleTimeoutMs,
    requestTimeoutMs,
    originMemoryMs,
    maxOrigins,
    limits,
  };
  if (options.assumePipelining) pool.capability = 'pipelining';
  if (options.pipelineNonIdempotent) pool.nonIdempotent = 'pipelined';
  for (const key of Object.keys(pool)) if (pool[key] === undefined) delete pool[key];
  return pool;
}

/** What the pool threw (an `Error` with a C5 `kind`) as a {@link PipeliningError}. */
function asError(error) {
  if (error instanceof PipeliningError) return error;
  return new PipeliningError(error?.kind ?? 'invalid_request', error?.message ?? String(error));
}

/** `[name, value, name, value, …]` from an object, a `Headers`, a `Map` or pairs. */
function headerList(headers) {
  if (headers == null) return [];
  const entries = typeof headers[Symbol.iterator] === 'function' ? [...headers] : Object.entries(headers);
  const flat = [];
  for (const [name, value] of entries) {
    if (Array.isArray(value)) for (const v of value) flat.push(String(name), String(v));
    else flat.push(String(name), String(value));
  }
  return flat;
}

/** Whether a flat header list has an `Idempotency-Key`. */
function hasIdempotencyKey(flat) {
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === 'idempotency-key') return true;
  return false;
}

const IDEMPOTENCY = { by_method: 0, idempotent: 1, never_retry: 2 };

/** Origin and request-target of an absolute http(s) URL. */
export function splitUrl(url) {
  let parsed;
  try {
    parsed = url instanceof URL ? url : new URL(url);
  } catch {
    throw new PipeliningError('invalid_request', `invalid URL ${JSON.stringify(String(url))}`);
  }
  const port = DEFAULT_PORTS[parsed.protocol];
  if (port === undefined) {
    throw new PipeliningError('invalid_request', `unsupported scheme ${JSON.stringify(parsed.protocol.slice(0, -1))}`);
  }
  if (!parsed.hostname) throw new PipeliningError('invalid_request', `the URL ${JSON.stringify(String(url))} has no host`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const origin = { scheme: parsed.protocol.slice(0, -1), host, port: parsed.port ? Number(parsed.port) : port };
  const target = (parsed.pathname || '/') + parsed.search;
  return { origin, target };
}

/**
 * A pipelining HTTP/1.1 client for Node.
 *
 * Requests to one origin are pipelined on up to `connections` connections,
 * `depth` deep on each (after a one-request probe of an unknown server);
 * every response is matched to its request; a request whose connection is
 * lost is resent when that is safe, and otherwise fails with a
 * {@link PipeliningError} saying why. When an origin's queue is full,
 * `request()` waits for room, first come first served.
 */
export class Client {
  #pool;
  #tls;
  /** Request id → the caller waiting for its outcome. */
  #routes = new Map();
  /** Waiter id → a caller waiting for room, holding its request. */
  #waiters = new Map();
  /** conn → {socket, connected, closed, writing}, deleted when it closes. */
  #sockets = new Map();
  #timer = null;
  #timerAt = undefined;
  #driving = false;
  #again = false;
  #scheduled = false;
  /** Once `close()` was called: its promise, and how to settle it. */
  #closed = null;
  #finished = null;

  /**
   * @param {object} [options] `depth` (8), `connections` (2), `maxTries`
   *   (3), `timeoutMs` (connect and stall timeout), `connectTimeoutMs`
   *   (10 s), `stallTimeoutMs` (30 s), `idleTimeoutMs` (60 s),
   *   `requestTimeoutMs` (none), `queueLimit` (1,024 per origin),
   *   `originMemoryMs` (10 minutes: how long an idle origin and what it
   *   taught are remembered), `maxOrigins` (10,000 idle origins at most),
   *   `limits`, `assumePipelining`, `pipelineNonIdempotent`, `tls` (extra
   *   `tls.connect` options such as `ca`). Throws a {@link PipeliningError}
   *   with `kind` `invalid_request` for a setting that cannot work (a
   *   depth, connection count, try count or queue limit of 0).
   */
  constructor(options = {}) {
    try {
      this.#pool = new Pool(poolOptions(options));
    } catch (error) {
      throw asError(error);
    }
    this.#tls = options.tls ?? {};
  }

  /** Requests sent and not yet ended, those waiting for room included. */
  get pending() {
    return this.#pool.pending + this.#pool.waiting;
  }

  /** Requests waiting for room in a full origin queue. */
  get waiting() {
    return this.#pool.waiting;
  }

  /**
   * Changes how many requests each connection keeps in flight, from now on
   * (requests already written stay). Throws a {@link PipeliningError} with
   * `kind` `invalid_request` for anything but a positive integer.
   */
  setDepth(depth) {
    if (!Number.isInteger(depth) || depth < 1) {
      throw new PipeliningError('invalid_request', `depth must be a positive integer, not ${depth}`);
    }
    this.#pool.setDepth(performance.now(), depth);
    this.#drive();
  }

  /** What the client knows of the origin of `url` (`undefined`: nothing, or forgotten). */
  originStatus(url) {
    const { origin } = splitUrl(url);
    return this.#pool.originStatus(performance.now(), origin.scheme, origin.host, origin.port);
  }

  /**
   * Sends a request. Resolves to `{status, reason, version, headers, body,
   * trailers, attempts}` (`headers` as `[name, value]` pairs, `body` a
   * `Uint8Array`), or rejects with a {@link PipeliningError} with `kind` and
   * `attempts`. Requests are written in the order `request` is called, per
   * origin: queued at once while the origin has room, and otherwise waiting
   * for it, first come first served.
   *
   * @param {object} request `{method = "GET", url, headers, body, idempotent,
   *   signal}`: `headers` an object, a `Headers`, a `Map` or pairs; `body` a
   *   string or a `Uint8Array`; `idempotent: true` lets a non-idempotent
   *   method be resent (also implied by an `Idempotency-Key` header);
   *   `signal` an `AbortSignal` that cancels it.
   */
  request({ method = 'GET', url, headers, body, idempotent, signal } = {}) {
    return new Promise((resolve, reject) => {
      const { origin, target } = splitUrl(url);
      const list = headerList(headers);
      let idempotency = IDEMPOTENCY.by_method;
      if (idempotent === true || hasIdempotencyKey(list)) idempotency = IDEMPOTENCY.idempotent;
      else if (idempotent === false) idempotency = IDEMPOTENCY.never_retry;
      if (signal?.aborted) throw new PipeliningError('cancelled', 'the request was aborted');
      // Every field written here, in one shape (a spread would make each
      // caller a slow dictionary object).
      const caller = {
        scheme: origin.scheme,
        host: origin.host,
        port: origin.port,
        method: String(method),
        target,
        headers: list.length > 0 ? list : undefined,
        body: body ?? null,
        idempotency,
        resolve,
        reject,
        signal,
        onAbort: null,
        id: -1,
        waiter: -1,
      };
      this.#submit(performance.now(), caller);
      if (signal) {
        caller.onAbort = () => this.#abort(caller);
        signal.addEventListener('abort', caller.onAbort, { once: true });
      }
      this.#schedule();
    });
  }

  /**
   * Finishes gracefully: no new requests (callers still waiting for room
   * are refused), the outstanding ones finish, then every connection
   * closes. Resolves when all of that is done; calling it again returns the
   * same promise.
   */
  close() {
    if (this.#closed === null) {
      this.#closed = new Promise((resolve) => (this.#finished = resolve));
      this.#pool.shutDown(performance.now());
      this.#drive();
    }
    return this.#closed;
  }

  /**
   * Drives the pool once after the current turn of the event loop, so the
   * requests made in one turn go out in one transmit (one `socket.write`).
   */
  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drive();
    });
  }

  /** Hands a request to the pool, or puts it in line for room; throws what the pool refuses. */
  #submit(now, c) {
    let id;
    try {
      id = this.#pool.submit(now, c.scheme, c.host, c.port, c.method, c.target, c.headers, c.body, c.idempotency, true);
      if (id < 0) c.waiter = this.#pool.waitForRoom(now, c.scheme, c.host, c.port);
    } catch (error) {
      throw asError(error);
    }
    if (id >= 0) {
      c.id = id;
      this.#routes.set(id, c);
    } else {
      this.#waiters.set(c.waiter, c);
    }
  }

  /** A waiter was told there is room: it submits, or waits on. */
  #admit(now, waiter) {
    const c = this.#waiters.get(waiter);
    if (c === undefined) return;
    let id;
    try {
      id = this.#pool.submitWaiting(now, waiter, c.scheme, c.host, c.port, c.method, c.target, c.headers, c.body, c.idempotency, true);
    } catch (error) {
      this.#waiters.delete(waiter);
      this.#settle(c);
      c.reject(asError(error));
      return;
    }
    if (id < 0) return;
    this.#waiters.delete(waiter);
    c.waiter = -1;
    c.id = id;
    this.#routes.set(id, c);
    this.#again = true;
  }

  /** A request's outcome has something to take. */
  #deliver(now, id) {
    const c = this.#routes.get(id);
    if (c === undefined) {
      this.#pool.cancel(now, id);
      return;
    }
    for (let packed = this.#pool.take(now, id); packed !== undefined; packed = this.#pool.take(now, id)) {
      const item = unpack(packed);
      if (item.item === ITEM.complete) {
        this.#settle(c);
        const { status, reason, version, headers, body, trailers, attempts } = item;
        c.resolve({ status, reason, version, headers, body, trailers, attempts });
        return;
      }
      if (item.item === ITEM.failed) {
        this.#settle(c);
        c.reject(new PipeliningError(item.kind, item.message, item.attempts));
        return;
      }
      // Interim (1xx) heads come before the whole response: nothing to do.
    }
  }

  #abort(c) {
    const now = performance.now();
    let attempts = 0;
    if (c.waiter >= 0) {
      this.#pool.cancelWaiting(c.waiter);
      this.#waiters.delete(c.waiter);
    } else if (c.id >= 0 && this.#routes.has(c.id)) {
      attempts = this.#pool.attempts(c.id) ?? 0;
      this.#pool.cancel(now, c.id);
    } else {
      return;
    }
    this.#settle(c);
    c.reject(new PipeliningError('cancelled', 'the request was aborted', attempts));
    this.#drive();
  }

  #settle(c) {
    if (c.id >= 0) this.#routes.delete(c.id);
    if (c.onAbort) c.signal.removeEventListener('abort', c.onAbort);
  }

  /** Drains the pool: transmits to sockets, instructions to sockets, the deadline to the timer, notices to callers. */
  #drive() {
    if (this.#driving) {
      this.#again = true;
      return;
    }
    this.#driving = true;
    const pool = this.#pool;
    try {
      do {
        this.#again = false;
        const now = performance.now();
        for (let data = pool.pollTransmit(now); data !== undefined; data = pool.pollTransmit(now)) {
          this.#write(pool.transmitConn, data);
        }
        for (let i = pool.pollInstruction(); i !== undefined; i = pool.pollInstruction()) this.#instruct(i);
        this.#arm(pool.pollTimeout());
        for (let notice = pool.pollNotice(); notice !== undefined; notice = pool.pollNotice()) {
          if (typeof notice === 'number') this.#deliver(now, notice);
          else if (notice.type === 'room') this.#admit(now, notice.waiter);
        }
      } while (this.#again);
    } finally {
      this.#driving = false;
    }
    if (this.#finished !== null && pool.isFinished && this.#sockets.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#finished();
    }
    this.#keepAlive();
  }

  #instruct(instruction) {
    const entry = this.#sockets.get(instruction.conn);
    switch (instruction.type) {
      case 'connect':
        this.#open(instruction.conn, instruction.origin);
        break;
      case 'close':
        if (entry) {
          entry.closed = true;
          this.#sockets.delete(instruction.conn);
          entry.socket.destroy();
        }
        break;
      case 'pause':
        entry?.socket.pause();
        break;
      case 'resume':
        entry?.socket.resume();
        break;
    }
  }

  /** Sockets and the timer keep the process alive only while requests are pending. */
  #keepAlive() {
    const busy = this.#pool.pending > 0 || this.#pool.waiting > 0;
    for (const entry of this.#sockets.values()) {
      if (busy) entry.socket.ref();
      else entry.socket.unref();
    }
    if (this.#timer) {
      if (busy) this.#timer.ref();
      else this.#timer.unref();
    }
  }

  #arm(at) {
    if (at === this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === undefined) return;
    // +1: a timer may fire a little before `performance.now()` reaches `at`.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - performance.now())) + 1);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = undefined;
      this.#pool.handleTimeout(performance.now());
      this.#drive();
    }, delay);
  }

  #open(conn, origin) {
    const secure = origin.scheme === 'https';
    const socket = secure
      ? tls.connect({
          host: origin.host,
          port: origin.port,
          servername: net.isIP(origin.host) ? undefined : origin.host,
          ALPNProtocols: ['http/1.1'],
          ...this.#tls,
        })
      : net.connect({ host: origin.host, port: origin.port });
    socket.setNoDelay(true);
    // `writing`: bytes handed to `socket.write` whose callback has not come;
    // `handle`: the TCP handle, kept for its `writeQueueSize` (see
    // `#unacknowledged`), which Node drops from the socket as it closes.
    const entry = { socket, handle: null, connected: false, closed: false, writing: 0 };
    this.#sockets.set(conn, entry);
    const now = () => performance.now();
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (entry.closed) return;
      entry.connected = true;
      if (!secure) entry.handle = socket._handle;
      this.#pool.handleConnected(now(), conn);
      this.#drive();
    });
    socket.on('data', (chunk) => {
      if (entry.closed) return;
      this.#pool.handleReceived(now(), conn, chunk);
      this.#drive();
    });
    socket.on('end', () => {
      if (entry.closed) return;
      this.#unacknowledged(conn, entry);
      this.#pool.handleEof(now(), conn);
      this.#drive();
    });
    socket.on('error', (error) => this.#lost(conn, entry, error.message));
    socket.on('close', () => this.#lost(conn, entry, 'the connection closed'));
  }

  /** The transport ended: a connect that failed (with the system's words), or an open connection lost. */
  #lost(conn, entry, why) {
    if (entry.closed) return;
    entry.closed = true;
    this.#sockets.delete(conn);
    entry.socket.destroy();
    if (entry.connected) {
      this.#unacknowledged(conn, entry);
      this.#pool.handleTransportError(performance.now(), conn);
    } else {
      this.#pool.handleConnectFailed(performance.now(), conn, why);
    }
    this.#drive();
  }

  /**
   * What the kernel took of a write whose callback has not come, when the
   * transport ends: counted as written, since the server may have received
   * it (Rust's driver counts what `write` returned; `attempts` must agree,
   * docs/DESIGN.md C1). Node's callback cannot say how much of a write the
   * kernel took — it only says the write as a whole failed or was dropped —
   * so for a TCP socket the part still queued comes from the handle's
   * `writeQueueSize` (libuv's count, still intact when the socket reports
   * its end). Without it (TLS, or a Node without the property) the whole
   * write counts: a request that may have reached the server is never
   * resent as if it had not been sent (P8).
   */
  #unacknowledged(conn, entry) {
    if (entry.writing === 0) return;
    const queued = entry.handle?.writeQueueSize;
    const n = Number.isInteger(queued) && queued >= 0 && queued <= entry.writing ? entry.writing - queued : entry.writing;
    entry.writing = 0;
    if (n > 0) this.#pool.handleWritten(performance.now(), conn, n);
  }

  /** One transmit, one `socket.write`; accepted when the callback says so. */
  #write(conn, data) {
    const entry = this.#sockets.get(conn);
    if (!entry || entry.closed) return;
    entry.writing += data.length;
    entry.socket.write(data, (error) => {
      if (error || entry.closed || entry.writing < data.length) return;
      entry.writing -= data.length;
      this.#pool.handleWritten(performance.now(), conn, data.length);
      this.#drive();
    });
  }
}
