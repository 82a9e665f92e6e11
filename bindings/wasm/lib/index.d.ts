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
  /** Requests in flight per connection (default 8). */
  depth?: number;
  /** Connections per origin (default 2). */
  connections?: number;
  /** Tries per request (default 3). */
  maxTries?: number;
  /** Both the connect and the stall timeout, in milliseconds. */
  timeoutMs?: number;
  /** Connect timeout (default 10 s). */
  connectTimeoutMs?: number | null;
  /** Stall timeout: requests outstanding and nothing moving (default 30 s). */
  stallTimeoutMs?: number | null;
  /** Idle connections close after this (default 60 s). */
  idleTimeoutMs?: number | null;
  /** A deadline per request, from `request()` to its complete response. */
  requestTimeoutMs?: number;
  /** Requests waiting per origin before `request()` waits for room (default 1,024). */
  queueLimit?: number;
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
  constructor(options?: ClientOptions);
  /** Requests sent and not yet ended. */
  readonly pending: number;
  request(request: ClientRequest): Promise<ClientResponse>;
  /** Requests in flight per connection from now on; throws `invalid_request` for anything but a positive integer. */
  setDepth(depth: number): void;
  originStatus(url: string | URL): OriginStatus | undefined;
  close(): void;
}

/** One outcome of {@link fetchAll}. */
export type FetchResult =
  | ({ url: string; method: string; error: null } & ClientResponse)
  | { url: string; method: string; status: null; headers: null; body: null; attempts: number; error: PipeliningError };

/** Sends every request on a fresh client; one outcome each, in order. */
export declare function fetchAll(requests: Array<string | ClientRequest>, options?: ClientOptions): Promise<FetchResult[]>;

/** Origin and request-target of an absolute http(s) URL. */
export declare function splitUrl(url: string | URL): {
  origin: { scheme: string; host: string; port: number };
  target: string;
};
