// A streamed response body as a Node `Readable`: reading it is what lets
// the pool take more of the response, so a slow reader slows the socket
// (the core pauses reading the connection once `bodyBufferBytes` wait).
import { Readable } from 'node:stream';

/**
 * The body of a streamed response. A Node `Readable` of `Buffer` chunks,
 * with `bytes()`, `text()`, `json()`, `arrayBuffer()` to read it whole and
 * `stream()` for a web `ReadableStream`. Destroying it before its end
 * cancels the request (docs/DESIGN.md P9); a failure after the head
 * destroys it with the `PipeliningError`.
 */
export class ResponseBody extends Readable {
  #more;
  #cancel;

  /**
   * @param {() => void} more called when the reader wants more
   * @param {(error: Error | null) => void} cancel called when it is
   *   destroyed before its end
   */
  constructor(more, cancel, highWaterMark) {
    super(highWaterMark === undefined ? undefined : { highWaterMark });
    this.#more = more;
    this.#cancel = cancel;
  }

  _read() {
    this.#more();
  }

  _destroy(error, callback) {
    if (!this.readableEnded) this.#cancel(error);
    callback(error);
  }

  /** The whole body (the rest of it) as one `Uint8Array`. */
  async bytes() {
    const chunks = [];
    for await (const chunk of this) chunks.push(chunk);
    const whole = Buffer.concat(chunks);
    return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
  }

  /** The body as an `ArrayBuffer`. */
  async arrayBuffer() {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  /** The body as UTF-8 text. */
  async text() {
    return new TextDecoder().decode(await this.bytes());
  }

  /** The body parsed as JSON. */
  async json() {
    return JSON.parse(await this.text());
  }

  /** The body as a web `ReadableStream` of `Uint8Array`s, with the same backpressure. */
  stream() {
    return Readable.toWeb(this);
  }
}
