// Types of the Node driver (lib/*.js) and re-exports of the core's classes.
import type { ErrorKind, HeaderList, LimitsOptions, OriginStatus } from '../pkg/node/pipelining_wasm.js';

export { Connection, Pool, errorKinds } from '../pkg/node/pipelining_wasm.js';
export type * from '../pkg/node/pipelining_wasm.js';

/** Why a request failed: `kind` per docs/DESIGN.md C5, `attempts` = times written. */
export declare class PipeliningError extends Error {
  constructor(kind: ErrorKind, message: string, attempts?: number);
  readonly kind: ErrorKind;
  readonly attempts: number;
}

/** Settings of a {@link Client} (and of {@link fetchAll}). */
export interface ClientOptions {
  /** Requests in flight per connection (default 8; at least 1). */
  depth?: number;
  /** Connections per origin (default 2; at least 1). */
  connections?: number;
  /** Tries per request (default 3; at least 1). */
  maxTries?: number;
  /** Both the connect and the stall timeout, in milliseconds. */
  timeoutMs?: number;
  /** Connect timeout (default 10 s). */
  connectTimeoutMs?: number | null;
  /** Stall timeout: requests outstanding and nothing moving (default 30 s). */
  stallTimeoutMs?: number | null;
  /** Idle connections close after this (default 60 s). */
  idleTimeoutMs?: number | null;
  /** A deadline per request, from `request()` (waiting for room included) to its complete response. */
  requestTimeoutMs?: number;
  /** Requests queued per origin; beyond, `request()` waits for room, first come first served (default 1,024; at least 1). */
  queueLimit?: number;
  /** How long an idle origin, and what it taught, is remembered (default 10 minutes). */
  originMemoryMs?: number;
  /** Idle origins remembered at most; the least recently used are forgotten first (default 10,000). */
  maxOrigins?: number;
  /** Response size limits. */
  limits?: LimitsOptions;
  /** Skip the one-request probe of an unknown server. */
  assumePipelining?: boolean;
  /** Pipeline non-idempotent requests instead of writing each alone. */
  pipelineNonIdempotent?: boolean;
  /** Extra `tls.connect` options for https origins (`ca`, `rejectUnauthorized`, …). */
  tls?: Record<string, unknown>;
}

/** A request for {@link Client.request}. */
export interface ClientRequest {
  method?: string;
  url: string | URL;
  headers?: Record<string, string | number | string[]> | Iterable<[string, string]>;
  body?: string | Uint8Array | null;
  /** `true`: may be resent even if the method is not idempotent; `false`: never resent. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

/** A whole response. */
export interface ClientResponse {
  status: number;
  reason: string;
  version: '1.0' | '1.1';
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
  /** How many times the request was written, fully or partly. */
  attempts: number;
}

/** A pipelining HTTP/1.1 client over `net` / `tls` sockets. */
export declare class Client {
  /** Throws a {@link PipeliningError} (`invalid_request`) for a setting that cannot work: a depth, connection count, try count or queue limit of 0. */
  constructor(options?: ClientOptions);
  /** Requests sent and not yet ended, those waiting for room included. */
  readonly pending: number;
  /** Requests waiting for room in a full origin queue. */
  readonly waiting: number;
  /** Queued at once while the origin has room; otherwise waits for room, first come first served. */
  request(request: ClientRequest): Promise<ClientResponse>;
  /** Requests in flight per connection from now on; throws `invalid_request` for anything but a positive integer. */
  setDepth(depth: number): void;
  /** What the client knows of the origin of `url`; `undefined` if nothing (never seen, or forgotten). */
  originStatus(url: string | URL): OriginStatus | undefined;
  /** Finishes gracefully: no new requests, outstanding ones finish, connections close; resolves when done. */
  close(): Promise<void>;
}

/** One outcome of {@link fetchAll}. */
export type FetchResult =
  | ({ url: string; method: string; error: null } & ClientResponse)
  | { url: string; method: string; status: null; headers: null; body: null; attempts: number; error: PipeliningError };

/** Sends every request on a fresh client; one outcome each, in order. */
export declare function fetchAll(requests: Array<string | ClientRequest>, options?: ClientOptions): Promise<FetchResult[]>;

/** What an item taken from a `Pool` is (`unpack(...).item`). */
export declare const ITEM: {
  readonly complete: 0;
  readonly failed: 1;
  readonly interim: 2;
  readonly head: 3;
  readonly data: 4;
  readonly trailers: 5;
  readonly end: 6;
};

/** The version of the packed layout `unpack` reads (src/packed.rs). */
export declare const LAYOUT: 1;

/** One item of a request's outcome, from `Pool.take`. */
export type TakenItem =
  | { item: 1; attempts: number; kind: ErrorKind; message: string }
  | {
      item: 0 | 2 | 3 | 4 | 5 | 6;
      attempts: number;
      status: number;
      reason: string;
      version: '1.0' | '1.1';
      headers: HeaderList;
      trailers: HeaderList;
      body: Uint8Array;
    };

/** Reads what `Pool.take` returned; throws for a layout version other than {@link LAYOUT}. */
export declare function unpack(packed: Uint8Array): TakenItem;

/** Origin and request-target of an absolute http(s) URL. */
export declare function splitUrl(url: string | URL): {
  origin: { scheme: string; host: string; port: number };
  target: string;
};
