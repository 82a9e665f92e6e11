// Reads what `Pool.take` returns: one item of a request's outcome packed
// into bytes. The layout is written by `bindings/wasm/src/packed.rs`
// (its doc comment is the reference); this is its only reader. Also the
// bits of `Pool.submit`'s `flags`, the other number both sides agree on.
import { errorKinds } from './wasm.js';

/** The layout version this reader knows (`VERSION` in src/packed.rs). */
export const LAYOUT = 1;

/** What an item is (word 1). */
export const ITEM = Object.freeze({ complete: 0, failed: 1, interim: 2, head: 3, data: 4, trailers: 5, end: 6 });

/**
 * `Pool.submit`'s `flags` (`WHOLE` and `BLOCKING` in src/request.rs): the
 * idempotency in bits 0–1, then a whole response, then blocking.
 */
export const SUBMIT = Object.freeze({ byMethod: 0, idempotent: 1, neverRetry: 2, whole: 4, blocking: 8 });

const KINDS = errorKinds();

const latin1Slice =
  Buffer.prototype.latin1Slice ??
  function (start, end) {
    return this.toString('latin1', start, end);
  };

/**
 * One packed item as an object:
 * - `failed`: `{item, attempts, kind, message}` (`kind` a C5 name);
 * - every other item: `{item, attempts, status, reason, version, headers,
 *   trailers, body}` (`headers` and `trailers` as `[name, value]` pairs, one
 *   character per byte; `body` a view of `packed`), with what the item does
 *   not carry empty.
 * Throws if the layout version is not {@link LAYOUT} (a `lib/` and a `pkg/`
 * from different builds).
 */
export function unpack(packed) {
  const words = new Uint32Array(packed.buffer, packed.byteOffset, 10);
  if (words[0] !== LAYOUT) {
    throw new Error(`pipelining: packed layout ${words[0]}, this reader knows ${LAYOUT}: rebuild with \`npm run build\``);
  }
  const item = words[1];
  const headerCount = words[5];
  const trailerCount = words[6];
  const start = 40 + 8 * (headerCount + trailerCount);
  const textEnd = start + words[8];
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  if (item === ITEM.failed) {
    return { item, attempts: words[2], kind: KINDS[words[3]], message: bytes.toString('utf8', start, textEnd) };
  }
  const lengths = new Uint32Array(packed.buffer, packed.byteOffset + 40, 2 * (headerCount + trailerCount));
  const text = latin1Slice.call(bytes, start, textEnd);
  let pos = words[7];
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
  return {
    item,
    attempts: words[2],
    status: words[3],
    reason: text.slice(0, words[7]),
    version: words[4] === 1 ? '1.1' : '1.0',
    headers,
    trailers,
    body: packed.subarray(textEnd, textEnd + words[9]),
  };
}
