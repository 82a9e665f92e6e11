// The Node driver: the wasm Pool over `net` / `tls` sockets.
//
// One sans-IO pool decides everything (what to write where, when to open and
// close connections, what to resend, when a request has failed); this file
// only moves bytes and time. After every input (socket data, EOF, error, a
// write accepted, a timer, a new request) `drive` drains the pool in the
// documented order: every transmit, then the next deadline, then every event.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { PipeliningError } from './errors.js';
import { Pool } from './wasm.js';

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The pool's options from the client's. */
function poolOptions(options) {
  const { depth, connections, maxTries, queueLimit, timeoutMs, connectTimeoutMs, stallTimeoutMs, idleTimeoutMs, limits } =
    options;
  const pool = {
    depth,
    connections,
    maxTries,
    queueLimit,
    connectTimeoutMs: connectTimeoutMs ?? timeoutMs,
    stallTimeoutMs: stallTimeoutMs ?? timeoutMs,
    idleTimeoutMs,
    limits,
  };
  if (options.assumePipelining) pool.capability = 'pipelining';
  if (options.pipelineNonIdempotent) pool.nonIdempotent = 'pipelined';
  for (const key of Object.keys(pool)) if (pool[key] === undefined) delete pool[key];
  return pool;
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

const latin1Slice = Buffer.prototype.latin1Slice ?? function (start, end) {
  return this.toString('latin1', start, end);
};

/**
 * A `complete` event from `Pool.pollEventPacked` (layout in the Rust
 * `events::packed_complete`): `{id, attempts, response}`.
 */
export function unpackComplete(packed) {
  const words = new Uint32Array(packed.buffer, packed.byteOffset, 10);
  const id = words[0] + words[1] * 2 ** 32;
  const headerCount = words[5];
  const trailerCount = words[6];
  const lengths = new Uint32Array(packed.buffer, packed.byteOffset + 40, 2 * (headerCount + trailerCount));
  let at = 40 + 8 * (headerCount + trailerCount);
  const textEnd = at + words[8];
  const text = latin1Slice.call(Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength), at, textEnd);
  let pos = words[7];
  const reason = text.slice(0, pos);
  const fields = (from, count) => {
    const list = new Array(count);
    for (let i = 0; i < count; i++) {
      const nameEnd = pos + lengths[2 * (from + i)];
      const valueEnd = nameEnd + lengths[2 * (from + i) + 1];
      list[i] = [text.slice(pos, nameEnd), text.slice(nameEnd, valueEnd)];
      pos = valueEnd;
    }
    return list;
  };
  const headers = fields(0, headerCount);
  const trailers = fields(headerCount, trailerCount);
  const body = packed.subarray(textEnd, textEnd + words[9]);
  return {
    id,
    attempts: words[2],
    response: { status: words[3], reason, version: words[4] === 1 ? '1.1' : '1.0', headers, body, trailers },
  };
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

const originKey = (o) => `${o.scheme}://${o.host}:${o.port}`;

/**
 * A pipelining HTTP/1.1 client for Node.
 *
 * Requests to one origin are pipelined on up to `connections` connections,
 * `depth` deep on each (after a one-request probe of an unknown server);
 * every response is matched to its request; a request whose connection is
 * lost is resent when that is safe, and otherwise fails with a
 * {@link PipeliningError} saying why.
 */
export class Client {
  #pool;
  #tls;
  #requestTimeoutMs;
  /** id → {resolve, reject, origin, signal cleanup} */
  #routes = new Map();
  /** Requests waiting for room in a full origin queue, in order. */
  #parked = [];
  /** conn → {socket, connected, closed, origin} */
  #sockets = new Map();
  #connectErrors = new Map();
  #timer = null;
  #timerAt = undefined;
  #driving = false;
  #again = false;
  #scheduled = false;
  /** originKey → index from `Pool.internOrigin`. */
  #origins = new Map();
  #closed = false;

  /**
   * @param {object} [options] `depth` (8), `connections` (2), `maxTries`
   *   (3), `timeoutMs` (connect and stall timeout), `connectTimeoutMs`
   *   (10 s), `stallTimeoutMs` (30 s), `idleTimeoutMs` (60 s),
   *   `requestTimeoutMs` (none), `queueLimit` (1,024 per origin),
   *   `limits`, `assumePipelining`, `pipelineNonIdempotent`, `tls` (extra
   *   `tls.connect` options such as `ca`).
   */
  constructor(options = {}) {
    this.#pool = new Pool(poolOptions(options));
    this.#tls = options.tls ?? {};
    this.#requestTimeoutMs = options.requestTimeoutMs;
  }

  /** Requests sent and not yet ended. */
  get pending() {
    return this.#pool.pending + this.#parked.length;
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

  /** What the client knows of the origin of `url`. */
  originStatus(url) {
    return this.#pool.originStatus(performance.now(), splitUrl(url).origin);
  }

  /**
   * Sends a request. Resolves to `{status, reason, version, headers, body,
   * trailers, attempts}` (`headers` as `[name, value]` pairs, `body` a
   * `Uint8Array`), or rejects with a {@link PipeliningError} with `kind` and
   * `attempts`. Requests are written in the order `request` is called, per
   * origin.
   *
   * @param {object} request `{method = "GET", url, headers, body, idempotent,
   *   signal}`: `headers` an object, a `Headers`, a `Map` or pairs; `body` a
   *   string or a `Uint8Array`; `idempotent: true` lets a non-idempotent
   *   method be resent (also implied by an `Idempotency-Key` header);
   *   `signal` an `AbortSignal` that cancels it.
   */
  request({ method = 'GET', url, headers, body, idempotent, signal } = {}) {
    return new Promise((resolve, reject) => {
      if (this.#closed) throw new PipeliningError('connection_lost', 'the client is closed');
      const { origin, target } = splitUrl(url);
      const list = headerList(headers);
      const init = { method: String(method), target, headers: list.length > 0 ? list : undefined, body: body ?? null };
      let idempotency = IDEMPOTENCY.by_method;
      if (idempotent === true || hasIdempotencyKey(list)) idempotency = IDEMPOTENCY.idempotent;
      else if (idempotent === false) idempotency = IDEMPOTENCY.never_retry;
      const deadlineMs = this.#requestTimeoutMs !== undefined ? performance.now() + this.#requestTimeoutMs : undefined;
      const options = { idempotency, deadlineMs };
      const waiting = { origin, init, options, resolve, reject, signal, id: undefined, parked: false };
      if (signal) {
        if (signal.aborted) throw new PipeliningError('cancelled', 'the request was aborted');
        waiting.onAbort = () => this.#cancel(waiting);
        signal.addEventListener('abort', waiting.onAbort, { once: true });
      }
      if (this.#parked.some((p) => originKey(p.origin) === originKey(origin)) || !this.#submit(waiting)) {
        waiting.parked = true;
        this.#parked.push(waiting);
      }
      this.#schedule();
    });
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

  /** Closes every connection; unfinished requests fail with `connection_lost`. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiting of this.#parked.splice(0)) {
      this.#settle(waiting);
      waiting.reject(new PipeliningError('connection_lost', 'the client was closed'));
    }
    this.#pool.close(performance.now());
    this.#drive();
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Hands a request to the pool; false when the origin's queue is full. */
  #submit(waiting) {
    try {
      const key = originKey(waiting.origin);
      let origin = this.#origins.get(key);
      if (origin === undefined) {
        origin = this.#pool.internOrigin(waiting.origin);
        this.#origins.set(key, origin);
      }
      const { init, options } = waiting;
      waiting.id = this.#pool.submitRaw(
        performance.now(),
        origin,
        init.method,
        init.target,
        init.headers,
        init.body,
        options.idempotency,
        true,
        options.deadlineMs,
      );
      this.#routes.set(waiting.id, waiting);
      return true;
    } catch (error) {
      if (error?.code === 'queue_full') return false;
      this.#settle(waiting);
      waiting.reject(new PipeliningError(error?.kind ?? 'invalid_request', error?.message ?? String(error)));
      return true;
    }
  }

  #cancel(waiting) {
    if (waiting.parked) {
      const at = this.#parked.indexOf(waiting);
      if (at >= 0) this.#parked.splice(at, 1);
      this.#settle(waiting);
      waiting.reject(new PipeliningError('cancelled', 'the request was aborted'));
      return;
    }
    if (waiting.id !== undefined && this.#routes.has(waiting.id)) {
      this.#pool.cancel(performance.now(), waiting.id);
      this.#drive();
    }
  }

  #settle(waiting) {
    if (waiting.id !== undefined) this.#routes.delete(waiting.id);
    if (waiting.signal && waiting.onAbort) waiting.signal.removeEventListener('abort', waiting.onAbort);
  }

  /** Drains the pool: transmits to sockets, the deadline to the timer, events to requests. */
  #drive() {
    if (this.#driving) {
      this.#again = true;
      return;
    }
    this.#driving = true;
    try {
      do {
        this.#again = false;
        const now = performance.now();
        for (let data = this.#pool.pollTransmitData(now); data !== undefined; data = this.#pool.pollTransmitData(now)) {
          this.#write(this.#pool.transmitConn, data);
        }
        this.#arm(this.#pool.pollTimeout());
        let freed = false;
        for (let event = this.#pool.pollEventPacked(); event !== undefined; event = this.#pool.pollEventPacked()) {
          freed = (event instanceof Uint8Array ? this.#onComplete(unpackComplete(event)) : this.#onEvent(event)) || freed;
        }
        if (freed && this.#parked.length > 0) this.#unpark();
      } while (this.#again);
    } finally {
      this.#driving = false;
    }
    this.#keepAlive();
  }

  /** Parked requests go in, in order per origin, while there is room. */
  #unpark() {
    const blocked = new Set();
    const still = [];
    for (const waiting of this.#parked) {
      const key = originKey(waiting.origin);
      if (blocked.has(key)) {
        still.push(waiting);
      } else if (this.#submit(waiting)) {
        waiting.parked = false;
        this.#again = true;
      } else {
        blocked.add(key);
        still.push(waiting);
      }
    }
    this.#parked = still;
  }

  /** Sockets and the timer keep the process alive only while requests are pending. */
  #keepAlive() {
    const busy = this.#pool.pending > 0 || this.#parked.length > 0;
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

  /** Returns whether the event ended a request. */
  #onEvent(event) {
    switch (event.type) {
      case 'connect':
        this.#open(event.conn, event.origin);
        return false;
      case 'close': {
        const entry = this.#sockets.get(event.conn);
        if (entry) {
          entry.closed = true;
          this.#sockets.delete(event.conn);
          entry.socket.destroy();
        }
        return false;
      }
      case 'complete':
        return this.#onComplete(event);
      case 'failed': {
        const waiting = this.#routes.get(event.id);
        if (!waiting) return true;
        this.#settle(waiting);
        let message = event.message;
        const cause = this.#connectErrors.get(originKey(waiting.origin));
        if (event.kind === 'connect' && cause) {
          message = `connecting to ${originKey(waiting.origin)}: ${cause}`;
        }
        waiting.reject(new PipeliningError(event.kind, message, event.attempts));
        return true;
      }
      case 'response':
        // Whole-response mode: only interim (1xx) parts come this way.
        return event.end;
      default:
        return false;
    }
  }

  #onComplete(event) {
    const waiting = this.#routes.get(event.id);
    if (!waiting) return true;
    this.#settle(waiting);
    const { status, reason, version, headers, body, trailers } = event.response;
    waiting.resolve({ status, reason, version, headers, body, trailers, attempts: event.attempts });
    return true;
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
    const entry = { socket, origin, connected: false, closed: false };
    this.#sockets.set(conn, entry);
    const now = () => performance.now();
    // Ends the entry once; the pool hears of it at most once more.
    const gone = () => {
      if (entry.closed) return false;
      entry.closed = true;
      this.#sockets.delete(conn);
      return true;
    };
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (entry.closed) return;
      entry.connected = true;
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
      this.#pool.handleEof(now(), conn);
      this.#drive();
    });
    socket.on('error', (error) => {
      if (!entry.connected) this.#connectErrors.set(originKey(origin), error.message);
      if (!gone()) return;
      socket.destroy();
      if (entry.connected) this.#pool.handleTransportError(now(), conn);
      else this.#pool.handleConnectFailed(now(), conn);
      this.#drive();
    });
    socket.on('close', () => {
      if (!gone()) return;
      if (entry.connected) this.#pool.handleTransportError(now(), conn);
      else this.#pool.handleConnectFailed(now(), conn);
      this.#drive();
    });
  }

  /** One transmit, one `socket.write`; accepted when the callback says so. */
  #write(conn, data) {
    const entry = this.#sockets.get(conn);
    if (!entry || entry.closed) return;
    entry.socket.write(data, (error) => {
      if (error || entry.closed) return;
      this.#pool.handleWritten(performance.now(), conn, data.length);
      this.#drive();
    });
  }
}
