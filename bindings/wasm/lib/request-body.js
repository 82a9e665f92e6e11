// A request body in any of the shapes callers hand over, as the wasm
// `Pool` takes it (bytes at hand, or a stream's length) and as the driver
// supplies it piece by piece when the pool asks (`sendBody` notices).
// Whether it goes whole with the head or streamed after it is the core's
// decision (`ContentPlan`), made inside `Pool.submit`.
import { PipeliningError } from './errors.js';

/** A stream piece larger than this is handed to the pool in parts (bounded wasm memory). */
const PIECE = 1 << 20;

const EMPTY = new Uint8Array(0);

/** Bytes of a string, a `Uint8Array`, an `ArrayBuffer` or an `ArrayBufferView`. */
function bytesOf(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new PipeliningError('invalid_request', `a request body chunk must be bytes or a string, not ${typeof chunk}`);
}

/**
 * What `Pool.submit` takes for `body` (`null`, a string, a `Uint8Array`,
 * or a stream's length: `-1` when unknown), and the source its pieces are
 * read from when the pool asks for them. Bodies: `null`/`undefined`, a
 * string, a `Uint8Array` (a `Buffer`), an `ArrayBuffer` or view, a `Blob`,
 * `URLSearchParams`, or anything iterable or async-iterable yielding bytes
 * or strings (a Node `Readable`, a web `ReadableStream`, a generator).
 * Throws {@link PipeliningError} `invalid_request` for anything else.
 */
export function requestBody(body) {
  if (body == null) return { arg: null, source: null };
  if (typeof body === 'string' || body instanceof Uint8Array) return { arg: body, source: body };
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    const bytes = bytesOf(body);
    return { arg: bytes, source: bytes };
  }
  if (body instanceof URLSearchParams) {
    const text = body.toString();
    return { arg: text, source: text };
  }
  if (typeof Blob === 'function' && body instanceof Blob) {
    return { arg: body.size, source: body.stream()[Symbol.asyncIterator]() };
  }
  if (typeof body[Symbol.asyncIterator] === 'function') return { arg: -1, source: body[Symbol.asyncIterator]() };
  if (typeof body[Symbol.iterator] === 'function') return { arg: -1, source: body[Symbol.iterator]() };
  throw new PipeliningError('invalid_request', 'the request body must be bytes, a string, a Blob or an (async) iterable of bytes');
}

/**
 * Supplies request bodies to a pool, a piece each time it asks. `pool`
 * is the wasm `Pool`; `wake()` drives it again after a piece went in.
 */
export class BodyFeeder {
  #pool;
  #wake;

  constructor(pool, wake) {
    this.#pool = pool;
    this.#wake = wake;
  }

  /**
   * The pool asked for the next piece of `c`'s body (`c.source`, `c.id`):
   * bytes at hand go a part at a time, a stream's next chunk when it comes.
   */
  next(now, c) {
    const source = c.source;
    if (source === null || c.done) return;
    if (typeof source === 'string' || source instanceof Uint8Array) {
      const bytes = typeof source === 'string' ? (c.source = Buffer.from(source, 'utf8')) : source;
      const from = c.sent;
      c.sent = Math.min(bytes.length, from + PIECE);
      this.#send(now, c, bytes.subarray(from, c.sent), c.sent === bytes.length);
      return;
    }
    if (c.pulling) return;
    c.pulling = true;
    this.#pull(c);
  }

  /** Lets go of `c`'s source when the request ended before all of it was read. */
  release(c) {
    const source = c.source;
    c.source = null;
    if (source !== null && typeof source === 'object' && !(source instanceof Uint8Array) && !c.drained) {
      try {
        const closing = source.return?.();
        closing?.catch?.(() => {});
      } catch {
        // A source that fails to close has nothing more to give.
      }
    }
  }

  async #pull(c) {
    let piece;
    let end = false;
    try {
      for (;;) {
        if (c.pending !== undefined) {
          piece = c.pending;
          c.pending = undefined;
        } else {
          const { value, done } = await c.source.next();
          if (done) {
            c.drained = true;
            piece = EMPTY;
            end = true;
            break;
          }
          piece = bytesOf(value);
        }
        if (piece.length > PIECE) {
          c.pending = piece.subarray(PIECE);
          piece = piece.subarray(0, PIECE);
        }
        if (piece.length > 0 || c.done) break;
      }
    } catch (error) {
      c.pulling = false;
      if (c.done) return;
      // The request fails (`invalid_request`) with the source's error as its cause.
      c.bodyError = error;
      c.drained = true;
      this.#pool.abortBody(performance.now(), c.id);
      this.#wake();
      return;
    }
    c.pulling = false;
    if (c.done) return;
    this.#send(performance.now(), c, piece, end);
    this.#wake();
  }

  #send(now, c, piece, end) {
    try {
      this.#pool.sendBody(now, c.id, piece, end);
    } catch {
      // Not wanted any more (the request ended), or more or fewer bytes
      // than declared: then the request fails, and its outcome says so.
    }
  }
}
