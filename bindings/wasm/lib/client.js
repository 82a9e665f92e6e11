// The Node driver: the wasm Pool over `net` / `tls` sockets.
//
// The pool (the core's dispatcher) decides everything: what to write where,
// when to open, close, pause and resume connections, what to resend, who
// may submit when an origin's queue is full (first come, first served), how
// a failure is named and worded and how often a request was written, which
// proxy a request goes through and how a body is sent. This file keeps only
// sockets, timers and promises. After every input (socket data, EOF, error,
// a write accepted, a timer, a new request, a reader wanting more) `drive`
// drains the pool in the documented order: every transmit, every
// instruction, the next deadline, every notice.
//
// Each request has a sink that receives its outcome item by item (a whole
// response for `whole` requests; otherwise interim heads, the head, data,
// the end, or a failure): a promise for `request()`, a `ResponseBody` for
// its streamed body, an undici handler for `dispatch()` (lib/dispatcher.js).
// A sink that is behind says so (`data` returns false); its request's items
// then wait in the pool, which stops reading the connection when too many
// bytes wait (`bodyBufferBytes`), until the sink asks for more.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { PipeliningError } from './errors.js';
import { findHeader, headerList } from './headers.js';
import { poolOptions } from './options.js';
import { ITEM, SUBMIT, unpack } from './packed.js';
import { BodyFeeder, requestBody } from './request-body.js';
import { ResponseBody } from './response-body.js';
import { Pool } from './wasm.js';

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443 };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where every plain TCP socket reads into; the pool copies what was read at once. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** A per-request timeout turned off (`null`): longer than anything waits. */
const NEVER_MS = 1e12;

/** Internal entry points for lib/dispatcher.js. */
export const START = Symbol('pipelining.start');
export const RESUME = Symbol('pipelining.resume');
export const CANCEL = Symbol('pipelining.cancel');

/** What the pool threw (an `Error` with a C5 `kind`) as a {@link PipeliningError}. */
export function asError(error) {
  if (error instanceof PipeliningError) return error;
  return new PipeliningError(error?.kind ?? 'invalid_request', error?.message ?? String(error));
}

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

/** `scheme://host:port` of a pool origin as a `URL` (undici's event argument). */
function originUrl(origin) {
  if (origin == null) return null;
  const host = origin.host.includes(':') ? `[${origin.host}]` : origin.host;
  return new URL(`${origin.scheme}://${host}:${origin.port}`);
}

/** `host:port` (`[v6]:port`) as `{host, port}`. */
function hostPort(authority) {
  const colon = authority.lastIndexOf(':');
  return { host: authority.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(authority.slice(colon + 1)) };
}

/** A per-request timeout for `Pool.submit`: `undefined` the pool's, `null` none. */
function requestTimeout(ms) {
  return ms === null ? NEVER_MS : ms;
}

/**
 * A request's record from the moment it is asked for until its outcome is
 * delivered: what `Pool.submit` takes, where its body comes from, and the
 * sink its outcome goes to. Every field is written here, in one shape.
 *
 * `spec`: `{origin: {scheme, host, port}, target, method, headers (any
 * shape), body, idempotent, blocking, whole, headersTimeoutMs,
 * bodyTimeoutMs}`.
 */
export function newCall(spec, sink) {
  let headers = headerList(spec.headers);
  if (spec.upgrade != null) {
    // RFC 9110 §7.8: the protocol asked for, and `Connection: upgrade` so
    // that no intermediary passes `Upgrade` on. The core writes such a
    // request alone, nothing behind it (its `is_exclusive`).
    headers = [...(headers ?? []), 'connection', 'upgrade', 'upgrade', String(spec.upgrade)];
  }
  let flags = SUBMIT.byMethod;
  if (spec.idempotent === true || findHeader(headers, 'idempotency-key') !== undefined) flags = SUBMIT.idempotent;
  else if (spec.idempotent === false) flags = SUBMIT.neverRetry;
  if (spec.whole && spec.upgrade == null) flags |= SUBMIT.whole;
  if (spec.blocking) flags |= SUBMIT.blocking;
  const { arg, source } = requestBody(spec.body);
  return {
    scheme: spec.origin.scheme,
    host: spec.origin.host,
    port: spec.origin.port,
    method: String(spec.method ?? 'GET'),
    target: spec.target,
    headers,
    body: arg,
    flags,
    headersTimeoutMs: requestTimeout(spec.headersTimeoutMs),
    bodyTimeoutMs: requestTimeout(spec.bodyTimeoutMs),
    sink,
    id: -1,
    waiter: -1,
    done: false,
    /** It asked to switch protocols; `upgradeHead` is its `101` head until the transport is handed over. */
    upgrade: spec.upgrade != null,
    upgradeHead: null,
    /** The sink is behind: its items wait in the pool. */
    paused: false,
    /** Inside the sink's `data`, and it asked for more meanwhile. */
    inData: false,
    wanted: false,
    trailers: null,
    // The body's source and how far it was read (lib/request-body.js).
    source,
    sent: 0,
    pulling: false,
    pending: undefined,
    drained: false,
    bodyError: null,
    // For `request()`: the abort signal and its listener.
    signal: null,
    onAbort: null,
  };
}

/**
 * A pipelining HTTP/1.1 client for Node, and an `EventEmitter` of its
 * connections: `connect` `(origin: URL, [client], {conn, proxy})` when one
 * opens, `disconnect` `(origin, [client], error, {conn, reason, responses,
 * pipelineBreak, serverClose, stale})` when an open one closes,
 * `connectionError` `(origin, [client], error)` when one cannot be opened,
 * and `learned` `(notice)` for what the pool learned about an origin
 * (`{origin, fact, text, …}`).
 *
 * Requests to one origin are pipelined on up to `connections` connections,
 * `depth` deep on each (after a one-request probe of an unknown server);
 * every response is matched to its request; a request whose connection is
 * lost is resent when that is safe, and otherwise fails with a
 * {@link PipeliningError} saying why. When an origin's queue is full,
 * `request()` waits for room, first come first served.
 */
export class Client extends EventEmitter {
  #pool;
  #tls;
  #feeder;
  /** Request id → its record. */
  #routes = new Map();
  /** Waiter id → a record waiting for room, holding its request. */
  #waiters = new Map();
  /** conn → {socket, handle, connected, closed, writing, origin, proxy}, deleted when it closes. */
  #sockets = new Map();
  /** conn → the socket of a connection switched to another protocol, until its request's caller takes it (this drive) or it is closed. */
  #parked = new Map();
  /** Request id → a record whose `101` response arrived, waiting for its connection. */
  #upgrading = new Map();
  /** Records whose sinks asked for more since the last drive. */
  #resumed = [];
  /** Connections the pool asked to stop reading. */
  #paused = 0;
  #timer = null;
  #timerAt = undefined;
  #driving = false;
  #again = false;
  #scheduled = false;
  /** Once `close()` was called: its promise, and how to settle it. */
  #closed = null;
  #finished = null;
  #destroyed = null;

  /**
   * @param {object} [options] the options of lib/options.js (`depth`,
   *   `connections`, `maxTries`, timeouts, `queueLimit`, proxies, `tls`…).
   *   Throws a {@link PipeliningError} with `kind` `invalid_request` for a
   *   setting that cannot work (a depth, connection count, try count or
   *   queue limit of 0; a malformed proxy URL).
   */
  constructor(options = {}) {
    super();
    try {
      this.#pool = new Pool(poolOptions(options));
    } catch (error) {
      throw asError(error);
    }
    this.#tls = options.tls ?? {};
    this.#feeder = new BodyFeeder(this.#pool, () => this.#drive());
  }

  /** Requests sent and not yet ended, those waiting for room included. */
  get pending() {
    return this.#pool.pending + this.#pool.waiting;
  }

  /** Requests waiting for room in a full origin queue. */
  get waiting() {
    return this.#pool.waiting;
  }

  /** Whether `destroy()` was called. */
  get destroyed() {
    return this.#destroyed !== null;
  }

  /** Whether `close()` or `destroy()` was called. */
  get closed() {
    return this.#closed !== null || this.#destroyed !== null;
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

  /** The proxy requests to `url` go through (`host:port`), or `undefined` when they go directly. */
  proxyFor(url) {
    const { origin } = splitUrl(url);
    return this.#pool.proxyFor(origin.scheme, origin.host, origin.port);
  }

  /**
   * Sends a request. Resolves, once the response head arrived, to
   * `{status, reason, version, headers, body, trailers, attempts}`
   * (`headers` and `trailers` as `[name, value]` pairs, `trailers` filled
   * when the body ends): `body` is a {@link ResponseBody} (a Node
   * `Readable`) — or, with `whole: true`, resolves once the whole response
   * arrived and `body` is a `Uint8Array`. Rejects with a
   * {@link PipeliningError} with `kind` and `attempts`; a failure after the
   * head destroys the body with it. Requests are written in the order
   * `request` is called, per origin: queued at once while the origin has
   * room, and otherwise waiting for it, first come first served.
   *
   * @param {object} request `{method = "GET", url, headers, body,
   *   idempotent, signal, whole, blocking, headersTimeoutMs,
   *   bodyTimeoutMs, onInformational, highWaterMark}`: `headers` an
   *   object, a `Headers`, a `Map` or pairs; `body` a string, bytes, a
   *   `Blob`, a `Readable` or any (async) iterable of bytes; `idempotent:
   *   true` lets a non-idempotent method be resent (also implied by an
   *   `Idempotency-Key` header); `signal` an `AbortSignal` that cancels it;
   *   `onInformational({status, reason, headers})` is called for each 1xx
   *   interim response; `upgrade: "protocol"` asks to switch protocols
   *   (`Upgrade` and `Connection: upgrade` are added; the request goes
   *   alone): a `101` answer resolves with `socket`, the connection as a
   *   `Duplex`, and no body.
   */
  request(request = {}) {
    return new Promise((resolve, reject) => {
      const { origin, target } = splitUrl(request.url);
      const signal = request.signal;
      if (signal?.aborted) throw new PipeliningError('cancelled', 'the request was aborted');
      const sink = request.whole && request.upgrade == null
        ? new WholeSink(resolve, reject, request.onInformational)
        : new StreamSink(this, resolve, reject, request.onInformational, request.highWaterMark);
      const c = newCall({ ...request, origin, target }, sink);
      sink.c = c;
      this[START](c);
      if (signal) {
        c.signal = signal;
        c.onAbort = () => this.#abort(c);
        signal.addEventListener('abort', c.onAbort, { once: true });
      }
    });
  }

  /**
   * Finishes gracefully: no new requests (callers still waiting for room
   * are refused), the outstanding ones finish, then every connection
   * closes. Resolves when all of that is done (and calls `callback`, if
   * given); calling it again returns the same promise.
   */
  close(callback) {
    if (this.#closed === null) {
      this.#closed = new Promise((resolve) => (this.#finished = resolve));
      this.#pool.shutDown(performance.now());
      this.#drive();
    }
    if (typeof callback === 'function') this.#closed.then(() => callback(null));
    return this.#closed;
  }

  /**
   * Ends everything now: every outstanding request fails with `error` (a
   * {@link PipeliningError} `cancelled` when none is given), every
   * connection is closed, no new request is taken. Resolves when done (and
   * calls `callback`, if given).
   */
  destroy(error, callback) {
    if (typeof error === 'function') [error, callback] = [null, error];
    if (this.#destroyed === null) {
      const reason = error ?? new PipeliningError('cancelled', 'the client was destroyed');
      this.#destroyed = reason;
      const now = performance.now();
      this.#pool.shutDown(now);
      for (const c of [...this.#waiters.values(), ...this.#routes.values()]) {
        if (c.done) continue;
        this.#cancel(now, c);
        c.sink.fail(reason);
      }
      for (const [conn, entry] of this.#sockets) this.#lost(conn, entry, 'the client was destroyed');
      this.close();
    }
    const done = this.#closed;
    if (typeof callback === 'function') done.then(() => callback(null));
    return done;
  }

  // ---- for lib/dispatcher.js and request() ----

  /** Hands a record to the pool (or puts it in line for room); throws what the pool refuses. */
  [START](c) {
    if (this.#destroyed !== null) throw new PipeliningError('cancelled', 'the client was destroyed');
    const now = performance.now();
    let id;
    try {
      id = this.#pool.submit(now, c.scheme, c.host, c.port, c.method, c.target, c.headers, c.body, c.flags, c.headersTimeoutMs, c.bodyTimeoutMs);
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
    this.#schedule();
  }

  /** The record's sink wants more of the response. */
  [RESUME](c) {
    if (c.inData) {
      c.wanted = true;
      return;
    }
    if (!c.paused || c.done) return;
    c.paused = false;
    this.#resumed.push(c);
    this.#drive();
  }

  /** The record's caller is gone: the request is cancelled (P9); its sink is not told. */
  [CANCEL](c) {
    if (c.done) return;
    this.#cancel(performance.now(), c);
    this.#drive();
  }

  // ---- internals ----

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

  /** A waiter was told there is room: it submits, or waits on. */
  #admit(now, waiter) {
    const c = this.#waiters.get(waiter);
    if (c === undefined) return;
    let id;
    try {
      id = this.#pool.submitWaiting(now, waiter, c.scheme, c.host, c.port, c.method, c.target, c.headers, c.body, c.flags, c.headersTimeoutMs, c.bodyTimeoutMs);
    } catch (error) {
      this.#waiters.delete(waiter);
      c.waiter = -1;
      this.#settle(c);
      c.sink.fail(asError(error));
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
    if (!c.paused) this.#pump(now, c);
  }

  /** Takes the record's items and hands them to its sink until none is left, it ends, or the sink is behind. */
  #pump(now, c) {
    const pool = this.#pool;
    while (!c.paused && !c.done) {
      const packed = pool.take(now, c.id);
      if (packed === undefined) return;
      // A take may resume reading a connection paused for this reader.
      if (this.#paused > 0) this.#again = true;
      const item = unpack(packed);
      switch (item.item) {
        case ITEM.data:
          c.inData = true;
          c.wanted = false;
          if (c.sink.data(item.body) === false && !c.wanted) c.paused = true;
          c.inData = false;
          break;
        case ITEM.head:
          if (c.upgrade && item.status === 101) {
            // Its caller gets the head with the connection (`upgraded` notice).
            c.upgradeHead = item;
            break;
          }
          if (c.sink.head(item) === false) c.paused = true;
          break;
        case ITEM.interim:
          c.sink.interim(item);
          break;
        case ITEM.trailers:
          c.trailers = item.trailers;
          break;
        case ITEM.end:
          this.#settle(c);
          if (c.upgradeHead !== null) this.#upgrading.set(c.id, c);
          else c.sink.end(c.trailers ?? []);
          return;
        case ITEM.complete:
          this.#settle(c);
          c.sink.complete(item);
          return;
        case ITEM.failed: {
          this.#settle(c);
          const error = new PipeliningError(item.kind, item.message, item.attempts);
          if (c.bodyError !== null) error.cause = c.bodyError;
          c.sink.fail(error);
          return;
        }
      }
    }
  }

  /** `request()`'s signal fired. */
  #abort(c) {
    if (c.done) return;
    const attempts = c.id >= 0 ? (this.#pool.attempts(c.id) ?? 0) : 0;
    this[CANCEL](c);
    c.sink.fail(new PipeliningError('cancelled', 'the request was aborted', attempts));
  }

  #cancel(now, c) {
    if (c.waiter >= 0) {
      this.#pool.cancelWaiting(c.waiter);
      this.#waiters.delete(c.waiter);
      c.waiter = -1;
    } else if (c.id >= 0) {
      this.#pool.cancel(now, c.id);
    }
    this.#settle(c);
  }

  #settle(c) {
    c.done = true;
    if (c.id >= 0) this.#routes.delete(c.id);
    if (c.onAbort) c.signal.removeEventListener('abort', c.onAbort);
    if (c.source !== null) this.#feeder.release(c);
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
          else if (notice.type === 'sendBody') this.#sendBody(now, notice.id);
          else if (notice.type === 'upgraded') this.#upgraded(notice.id, notice.conn);
          else if (notice.type === 'learned') this.emit('learned', notice);
        }
        while (this.#resumed.length > 0) {
          const c = this.#resumed.shift();
          if (!c.paused && !c.done) this.#pump(now, c);
        }
        this.#unclaimed();
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

  /** Request `id` switched `conn` to another protocol: its caller gets the transport. */
  #upgraded(id, conn) {
    const c = this.#upgrading.get(id);
    const entry = this.#parked.get(conn);
    if (c === undefined || entry === undefined) return;
    this.#upgrading.delete(id);
    this.#parked.delete(conn);
    const leftover = this.#pool.takeUpgrade(id);
    c.sink.upgrade(c.upgradeHead, this.#handOver(entry, leftover));
  }

  /** What no caller took in this drive: upgraded sockets are closed, upgrading requests fail. */
  #unclaimed() {
    for (const entry of this.#parked.values()) {
      entry.closed = true;
      entry.socket.destroy();
    }
    this.#parked.clear();
    for (const c of this.#upgrading.values()) {
      c.sink.fail(new PipeliningError('protocol', 'the response switched protocols, but the connection was not handed over'));
    }
    this.#upgrading.clear();
  }

  /**
   * The transport of an upgraded connection as a `Duplex` for its new
   * owner: what the socket reads (the pool's leftover first) is pushed to
   * it, with backpressure; what is written to it goes to the socket.
   */
  #handOver(entry, leftover) {
    const socket = entry.socket;
    const stream = new Duplex({
      read: () => {
        if (entry.held) {
          entry.held = false;
          socket.resume();
        }
      },
      write: (chunk, encoding, callback) => socket.write(chunk, encoding, callback),
      final: (callback) => {
        socket.end();
        callback();
      },
      destroy: (error, callback) => {
        socket.destroy();
        callback(error);
      },
    });
    entry.duplex = stream;
    entry.held = false;
    if (entry.paused) {
      entry.paused = false;
      socket.resume();
    }
    socket.ref();
    if (leftover !== undefined && leftover.length > 0) stream.push(Buffer.from(leftover.buffer, leftover.byteOffset, leftover.byteLength));
    return stream;
  }

  /** Bytes read on a handed-over connection: to its new owner, who may be behind. */
  #toOwner(entry, bytes) {
    if (!entry.duplex.push(bytes) && !entry.held) {
      entry.held = true;
      entry.socket.pause();
    }
  }

  #sendBody(now, id) {
    const c = this.#routes.get(id);
    if (c === undefined) return;
    this.#feeder.next(now, c);
    this.#again = true;
  }

  #instruct(instruction) {
    const entry = this.#sockets.get(instruction.conn);
    switch (instruction.type) {
      case 'connect':
        this.#open(instruction.conn, instruction.origin, instruction.proxy, instruction.tunnel);
        break;
      case 'close': {
        const origin = instruction.origin ?? entry?.origin;
        if (entry && instruction.summary?.reason === 'upgraded') {
          // Its request's caller takes the transport (the `upgraded`
          // notice of this drive); closed at the drive's end otherwise.
          this.#sockets.delete(instruction.conn);
          if (entry.paused) this.#paused--;
          this.#parked.set(instruction.conn, entry);
        } else if (entry) {
          entry.closed = true;
          this.#sockets.delete(instruction.conn);
          if (entry.paused) this.#paused--;
          entry.socket.destroy();
        }
        const summary = instruction.summary;
        if (summary !== null) {
          const error = new PipeliningError('connection_lost', `the connection closed (${summary.reason})`);
          this.emit('disconnect', originUrl(origin), [this], error, { conn: instruction.conn, ...summary });
        } else if (entry && !entry.connected) {
          const error = new PipeliningError('connect', 'the connect was given up (its timeout passed, or the client is closing)');
          this.emit('connectionError', originUrl(origin), [this], error);
        }
        break;
      }
      case 'pause':
        if (entry && !entry.paused) {
          entry.paused = true;
          this.#paused++;
          entry.socket.pause();
        }
        break;
      case 'resume':
        if (entry?.paused) {
          entry.paused = false;
          this.#paused--;
          entry.socket.resume();
        }
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

  /**
   * Opens connection `conn` to `origin`: directly, or — with `tunnel` —
   * through the proxy `proxy` (`host:port`), writing the `CONNECT` request
   * `tunnel` and handing the answer to the pool, then TLS inside.
   */
  #open(conn, origin, proxy, tunnel) {
    const secure = origin.scheme === 'https';
    // `writing`: bytes handed to `socket.write` whose callback has not come;
    // `handle`: the TCP handle, kept for its `writeQueueSize` (see
    // `#unacknowledged`), which Node drops from the socket as it closes.
    const entry = { socket: null, handle: null, connected: false, closed: false, paused: false, writing: 0, origin, proxy };
    this.#sockets.set(conn, entry);
    if (tunnel === undefined) {
      if (secure) {
        this.#wire(conn, entry, tls.connect(this.#tlsOptions(origin, { host: origin.host, port: origin.port })), true);
        return;
      }
      // TCP reads go into one buffer the pool copies from at once: no
      // garbage per read (`socket.pause()` still stops reading).
      const onread = {
        buffer: READ_BUFFER,
        callback: (n, buffer) => {
          // The buffer is reused: a new owner gets a copy.
          if (entry.duplex) return this.#toOwner(entry, Buffer.from(buffer.subarray(0, n)));
          if (entry.closed) return;
          this.#pool.handleReceived(performance.now(), conn, buffer.subarray(0, n));
          this.#drive();
        },
      };
      this.#wire(conn, entry, net.connect({ host: origin.host, port: origin.port, onread }), false);
      return;
    }
    const raw = net.connect(hostPort(proxy));
    entry.socket = raw;
    raw.setNoDelay(true);
    const fail = (why) => this.#lost(conn, entry, why);
    const onData = (chunk) => {
      if (entry.closed) return;
      let open;
      try {
        open = this.#pool.handleTunnel(performance.now(), conn, chunk);
      } catch (error) {
        fail(error.message);
        return;
      }
      if (open === undefined) return;
      if (open === null) {
        // The pool has failed the connect with the proxy's answer.
        entry.closed = true;
        this.#sockets.delete(conn);
        raw.destroy();
        this.#drive();
        return;
      }
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      raw.off('close', onClose);
      raw.pause();
      if (open.length > 0) raw.unshift(Buffer.from(open.buffer, open.byteOffset, open.byteLength));
      this.#wire(conn, entry, tls.connect(this.#tlsOptions(origin, { socket: raw })), true);
    };
    const onEnd = () => {
      if (entry.closed) return;
      const open = this.#pool.handleTunnel(performance.now(), conn, null);
      if (open === null) {
        entry.closed = true;
        this.#sockets.delete(conn);
        raw.destroy();
        this.#drive();
      }
    };
    const onError = (error) => fail(error.message);
    const onClose = () => fail('the connection closed');
    raw.once('connect', () => {
      if (!entry.closed) raw.write(tunnel);
    });
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.on('close', onClose);
  }

  #tlsOptions(origin, base) {
    return {
      ...base,
      servername: net.isIP(origin.host) ? undefined : origin.host,
      ALPNProtocols: ['http/1.1'],
      ...this.#tls,
    };
  }

  /** Connects a socket's events to the pool, for HTTP on it. */
  #wire(conn, entry, socket, secure) {
    entry.socket = socket;
    socket.setNoDelay(true);
    const now = () => performance.now();
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (entry.closed) return;
      entry.connected = true;
      if (!secure) entry.handle = socket._handle;
      this.#pool.handleConnected(now(), conn);
      this.emit('connect', originUrl(entry.origin), [this], { conn, proxy: entry.proxy ?? null });
      this.#drive();
    });
    if (secure) {
      socket.on('data', (chunk) => {
        if (entry.duplex) return this.#toOwner(entry, chunk);
        if (entry.closed) return;
        this.#pool.handleReceived(now(), conn, chunk);
        this.#drive();
      });
    }
    socket.on('end', () => {
      if (entry.duplex) return entry.duplex.push(null);
      if (entry.closed) return;
      this.#unacknowledged(conn, entry);
      this.#pool.handleEof(now(), conn);
      this.#drive();
    });
    socket.on('error', (error) => (entry.duplex ? entry.duplex.destroy(error) : this.#lost(conn, entry, error.message)));
    socket.on('close', () => (entry.duplex ? entry.duplex.destroy() : this.#lost(conn, entry, 'the connection closed')));
  }

  /** The transport ended: a connect that failed (with the system's words), or an open connection lost. */
  #lost(conn, entry, why) {
    if (entry.closed) return;
    entry.closed = true;
    this.#sockets.delete(conn);
    if (entry.paused) this.#paused--;
    entry.socket.destroy();
    if (entry.connected) {
      this.#unacknowledged(conn, entry);
      this.#pool.handleTransportError(performance.now(), conn);
    } else {
      this.#pool.handleConnectFailed(performance.now(), conn, why);
      const error = new PipeliningError('connect', why);
      this.emit('connectionError', originUrl(entry.origin), [this], error);
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

/** Where `request({whole: true})`'s outcome goes: the whole response, or the failure. */
class WholeSink {
  constructor(resolve, reject, onInformational) {
    this.resolve = resolve;
    this.reject = reject;
    this.onInformational = onInformational;
    this.c = null;
  }

  interim(item) {
    this.onInformational?.({ status: item.status, reason: item.reason, headers: item.headers });
  }

  complete(item) {
    const { status, reason, version, headers, body, trailers, attempts } = item;
    this.resolve({ status, reason, version, headers, body, trailers, attempts });
  }

  fail(error) {
    this.reject(error);
  }
}

/** Where `request()`'s streamed outcome goes: the head to the promise, the content to a {@link ResponseBody}. */
class StreamSink {
  constructor(client, resolve, reject, onInformational, highWaterMark) {
    this.client = client;
    this.resolve = resolve;
    this.reject = reject;
    this.onInformational = onInformational;
    this.highWaterMark = highWaterMark;
    this.c = null;
    this.body = null;
    this.trailers = null;
  }

  interim(item) {
    this.onInformational?.({ status: item.status, reason: item.reason, headers: item.headers });
  }

  head(item) {
    const client = this.client;
    const c = this.c;
    this.body = new ResponseBody(
      () => client[RESUME](c),
      () => client[CANCEL](c),
      this.highWaterMark,
    );
    this.trailers = [];
    const { status, reason, version, headers, attempts } = item;
    this.resolve({ status, reason, version, headers, body: this.body, trailers: this.trailers, attempts });
    return true;
  }

  data(bytes) {
    return this.body.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** A `101` answered its `upgrade`: the connection, as a `Duplex`, instead of a body. */
  upgrade(item, socket) {
    const { status, reason, version, headers, attempts } = item;
    this.resolve({ status, reason, version, headers, body: null, trailers: [], attempts, socket });
  }

  end(trailers) {
    for (const field of trailers) this.trailers.push(field);
    this.body.push(null);
  }

  fail(error) {
    if (this.body === null) this.reject(error);
    else this.body.destroy(error);
  }
}
