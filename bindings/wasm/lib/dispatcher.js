// An undici `Dispatcher` over the Client: `fetch(url, { dispatcher })`,
// undici's `request(url, { dispatcher })` and `setGlobalDispatcher(…)`
// pipeline through this package. undici is not imported: its dispatchers
// are duck-typed (`dispatch(options, handler)`), and this one speaks both
// handler styles undici uses:
//
// - the callbacks (`onConnect`, `onHeaders`, `onData`, `onComplete`,
//   `onError`) of undici 6 (Node 20's global `fetch`) and of undici 7's
//   `fetch`, `request`, `stream` and `pipeline`;
// - the controller style of undici 7 (`onRequestStart`, `onResponseStart`,
//   `onResponseData`, `onResponseEnd`, `onResponseError`), used by its
//   interceptors and by handlers written for it.
//
// 1xx interim responses reach the handler as undici delivers them: through
// `onHeaders` / `onResponseStart` with a status below 200, before the
// final head. An `upgrade` request answered `101` hands its connection, as
// a `Duplex`, to `onUpgrade` / `onRequestUpgrade` (undici's `upgrade()`). A handler that is behind (`onData` returning false,
// `controller.pause()`) stops the pool from taking its response until it
// resumes; the core then stops reading the connection. `abort(reason)`
// cancels the request as docs/DESIGN.md P9 says and ends it with `reason`.
import { CANCEL, Client, RESUME, START, asError, newCall, splitUrl } from './client.js';
import { PipeliningError } from './errors.js';
import { fieldObject, rawFields } from './headers.js';

/** undici's `query` appended to a path: each key and value percent-encoded, arrays repeated. */
function withQuery(path, query) {
  const parts = [];
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  if (parts.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${parts.join('&')}`;
}

/** undici's timeout (`0` turns it off) as the Client's (`null` turns it off). */
function timeout(ms) {
  if (ms === undefined || ms === null) return undefined;
  if (typeof ms !== 'number' || !(ms >= 0)) throw new PipeliningError('invalid_request', 'a timeout must be a number of milliseconds ≥ 0');
  return ms === 0 ? null : ms;
}

/** A request record's spec from undici's dispatch options. */
function specOf(options) {
  if (options === null || typeof options !== 'object') throw new PipeliningError('invalid_request', 'the dispatch options must be an object');
  const { path, method, query } = options;
  if (method === 'CONNECT') {
    throw new PipeliningError('invalid_request', 'CONNECT is not supported by PipeliningDispatcher');
  }
  if (options.upgrade != null && (typeof options.upgrade !== 'string' || options.upgrade === '')) {
    throw new PipeliningError('invalid_request', 'upgrade must be a protocol name');
  }
  if (typeof path !== 'string') throw new PipeliningError('invalid_request', 'path must be a string');
  if (typeof method !== 'string') throw new PipeliningError('invalid_request', 'method must be a string');
  let origin;
  let target;
  if (path.startsWith('/')) {
    if (options.origin == null) throw new PipeliningError('invalid_request', 'the dispatch options have no origin');
    origin = splitUrl(options.origin).origin;
    target = path;
  } else {
    // An absolute URL in `path` (undici allows it): its own origin.
    ({ origin, target } = splitUrl(path));
  }
  if (query != null) target = withQuery(target, query);
  return {
    origin,
    target,
    method,
    headers: options.headers,
    body: options.body,
    idempotent: options.idempotent,
    blocking: options.blocking === true,
    upgrade: options.upgrade ?? null,
    whole: false,
    headersTimeoutMs: timeout(options.headersTimeout),
    bodyTimeoutMs: timeout(options.bodyTimeout),
  };
}

/** Rethrows an error a handler threw from its error callback, outside the driver. */
function rethrow(error) {
  queueMicrotask(() => {
    throw error;
  });
}

/** The reason an abort without one gives. */
function aborted() {
  return new PipeliningError('cancelled', 'the request was aborted');
}

/** A request's outcome for an undici handler of the callback style. */
class CallbackSink {
  constructor(client, handler) {
    this.client = client;
    this.handler = handler;
    this.c = null;
    this.ended = false;
    this.started = false;
    this.abort = (reason) => this.#abort(reason);
    this.resume = () => {
      if (this.c !== null) this.client[RESUME](this.c);
    };
  }

  start() {
    this.#guard(() => this.handler.onConnect?.(this.abort, {}));
  }

  interim(item) {
    this.#started();
    this.#guard(() => this.handler.onHeaders?.(item.status, rawFields(item.headers), this.resume, item.reason));
  }

  head(item) {
    this.#started();
    return this.#guard(() => this.handler.onHeaders?.(item.status, rawFields(item.headers), this.resume, item.reason)) !== false;
  }

  data(bytes) {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.#guard(() => this.handler.onData?.(chunk)) !== false;
  }

  end(trailers) {
    this.ended = true;
    this.#guard(() => this.handler.onComplete?.(rawFields(trailers)));
  }

  upgrade(item, socket) {
    this.#started();
    this.ended = true;
    if (typeof this.handler.onUpgrade !== 'function') {
      socket.destroy();
      this.ended = false;
      this.fail(new PipeliningError('protocol', 'the response switched protocols and the handler has no onUpgrade'));
      return;
    }
    try {
      this.handler.onUpgrade(item.status, rawFields(item.headers), socket);
    } catch (thrown) {
      socket.destroy(thrown);
      rethrow(thrown);
    }
  }

  fail(error) {
    if (this.ended) return;
    this.ended = true;
    try {
      this.handler.onError?.(error);
    } catch (thrown) {
      rethrow(thrown);
    }
  }

  #started() {
    if (this.started) return;
    this.started = true;
    this.#guard(() => this.handler.onResponseStarted?.());
  }

  #abort(reason) {
    const c = this.c;
    if (c === null || c.done || this.ended) return;
    this.client[CANCEL](c);
    this.fail(reason ?? aborted());
  }

  /** A callback that throws aborts its request with what it threw. */
  #guard(callback) {
    try {
      return callback();
    } catch (error) {
      this.#abort(error);
      return false;
    }
  }
}

/** What undici 7's controller-style handlers are handed: pause, resume and abort their request. */
class DispatchController {
  #sink;
  #paused = false;
  #aborted = false;
  #reason = null;

  constructor(sink) {
    this.#sink = sink;
  }

  pause() {
    this.#paused = true;
  }

  resume() {
    if (!this.#paused) return;
    this.#paused = false;
    this.#sink.resume();
  }

  abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason ?? aborted();
    this.#sink.abort(this.#reason);
  }

  get paused() {
    return this.#paused;
  }

  get aborted() {
    return this.#aborted;
  }

  get reason() {
    return this.#reason;
  }
}

/** A request's outcome for an undici handler of the controller style. */
class ControllerSink {
  constructor(client, handler) {
    this.client = client;
    this.handler = handler;
    this.c = null;
    this.ended = false;
    this.controller = new DispatchController(this);
  }

  start() {
    this.#guard(() => this.handler.onRequestStart?.(this.controller, {}));
  }

  interim(item) {
    this.#guard(() => this.handler.onResponseStart?.(this.controller, item.status, fieldObject(item.headers), item.reason));
  }

  head(item) {
    this.#guard(() => this.handler.onResponseStart?.(this.controller, item.status, fieldObject(item.headers), item.reason));
    return !this.controller.paused;
  }

  data(bytes) {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#guard(() => this.handler.onResponseData?.(this.controller, chunk));
    return !this.controller.paused;
  }

  end(trailers) {
    this.ended = true;
    this.#guard(() => this.handler.onResponseEnd?.(this.controller, fieldObject(trailers)));
  }

  upgrade(item, socket) {
    this.ended = true;
    if (typeof this.handler.onRequestUpgrade !== 'function') {
      socket.destroy();
      this.ended = false;
      this.fail(new PipeliningError('protocol', 'the response switched protocols and the handler has no onRequestUpgrade'));
      return;
    }
    try {
      this.handler.onRequestUpgrade(this.controller, item.status, fieldObject(item.headers), socket);
    } catch (thrown) {
      socket.destroy(thrown);
      rethrow(thrown);
    }
  }

  fail(error) {
    if (this.ended) return;
    this.ended = true;
    try {
      this.handler.onResponseError?.(this.controller, error);
    } catch (thrown) {
      rethrow(thrown);
    }
  }

  resume() {
    if (this.c !== null) this.client[RESUME](this.c);
  }

  abort(reason) {
    const c = this.c;
    if (c === null || c.done || this.ended) return;
    this.client[CANCEL](c);
    this.fail(reason);
  }

  #guard(callback) {
    try {
      callback();
    } catch (error) {
      this.controller.abort(error);
    }
  }
}

/**
 * An undici `Dispatcher` that pipelines: the {@link Client} (same options,
 * same events, `close`, `destroy`) with `dispatch(options, handler)`.
 *
 * ```js
 * import { fetch, request, setGlobalDispatcher } from 'undici';
 * const dispatcher = new PipeliningDispatcher({ depth: 16 });
 * await fetch('http://localhost:8080/', { dispatcher });
 * setGlobalDispatcher(dispatcher); // Node's own fetch too
 * ```
 *
 * Dispatch options understood: `origin`, `path` (or an absolute URL in
 * it), `method`, `headers`, `body` (bytes, a string, a `Readable`, an
 * (async) iterable), `query`, `idempotent`, `blocking`, `headersTimeout`
 * and `bodyTimeout` (milliseconds, `0` off), `upgrade` (a protocol: the
 * request goes alone, and a `101` hands the connection over). `CONNECT` is
 * refused (`invalid_request`); options undici uses for its own sockets
 * (`reset`, `expectContinue`, `servername`, …) are ignored: the core
 * decides those.
 */
export class PipeliningDispatcher extends Client {
  /**
   * Starts a request and returns `true` (it never asks to wait for
   * `drain`: requests beyond an origin's queue wait inside, first come
   * first served). Errors reach the handler (`onError` or
   * `onResponseError`), as undici's do.
   */
  dispatch(options, handler) {
    if (handler === null || typeof handler !== 'object') throw new TypeError('handler must be an object');
    const sink = typeof handler.onRequestStart === 'function' ? new ControllerSink(this, handler) : new CallbackSink(this, handler);
    try {
      const c = newCall(specOf(options), sink);
      sink.c = c;
      this[START](c);
    } catch (error) {
      sink.fail(asError(error));
      return false;
    }
    sink.start();
    return true;
  }
}
