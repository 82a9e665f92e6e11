//! The TypeScript declarations of what crosses the boundary as plain
//! objects: requests, options, events. wasm-bindgen writes them into the
//! generated `.d.ts` next to the classes.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A failure's name (docs/DESIGN.md C5): `Error.kind`, a `failed` event's `kind`, the CLI's `error_kind`. */
export type ErrorKind =
  | "connect" | "timeout" | "protocol" | "limit" | "connection_lost"
  | "may_have_been_processed" | "max_tries" | "http_status" | "invalid_request" | "cancelled";

/** What misuse throws: an `Error` with the C5 `kind`; `code` says why `submit` refused. */
export interface PipeliningError extends Error {
  kind: ErrorKind;
  code?: "invalid" | "queue_full" | "closed";
}

/** What is known of a server's pipelining (docs/DESIGN.md P6). */
export type Capability = "unknown" | "pipelining" | "one_at_a_time";
/** How far a failed request got (P8). */
export type Progress = "not_written" | "partly_written" | "written" | "response_partly_received";
/** What may be done with a request a connection handed back (P7, P8). */
export type Retry = "move" | "replay" | "never";
/** Why a connection closed. */
export type CloseReason =
  | "local" | "server_close" | "peer_closed" | "truncated" | "transport" | "stall_timeout"
  | "idle_timeout" | "protocol" | "upgraded" | "cancel_drain" | "budget_spent" | "other";

/** Header fields in order; names keep their case, one character per byte. */
export type HeaderList = [string, string][];

/** A request: `target` is the request-target (`"/path?query"`); `Host` comes from the origin. */
export interface RequestInit {
  method?: string;
  target: string | Uint8Array;
  headers?: [string | Uint8Array, string | Uint8Array][];
  body?: Uint8Array | string | null;
}

/** Per-request choices. `deadlineMs` is a time on the caller's clock. */
export interface SubmitOptions {
  idempotency?: "by_method" | "idempotent" | "never_retry";
  whole?: boolean;
  deadlineMs?: number;
}

/** Response size limits (docs/DESIGN.md P4). */
export interface LimitsOptions {
  maxHeadBytes?: number;
  maxHeaders?: number;
  maxChunkLineBytes?: number;
  maxTrailerBytes?: number;
  maxBodyBytes?: number;
}

/** A connection's settings; times in milliseconds, `null` turns a timeout off. */
export interface ConnectionOptions {
  depth?: number;
  queueLimit?: number;
  stallTimeoutMs?: number | null;
  idleTimeoutMs?: number | null;
  cancelThreshold?: number;
  capability?: Capability;
  nonIdempotent?: "alone" | "pipelined";
  staleAfterMs?: number;
  /** A request fails `timeout` when its response head has not come this long after it was written (undici's `headersTimeout`). */
  headersTimeoutMs?: number | null;
  /** A request fails `timeout` when its response body sends nothing for this long (undici's `bodyTimeout`). */
  bodyTimeoutMs?: number | null;
  limits?: LimitsOptions;
}

/** A pool's settings: a connection's, plus these (`queueLimit` is per origin). */
export interface PoolOptions extends ConnectionOptions {
  connections?: number;
  maxTries?: number;
  connectTimeoutMs?: number | null;
  /** A deadline per request, counted from its first try to submit. */
  requestTimeoutMs?: number | null;
  breakWindowMs?: number;
  demotionMs?: number;
  budgetMemoryMs?: number;
  /** How long an idle origin (and what it taught) is remembered. */
  originMemoryMs?: number;
  /** Idle origins remembered at most. */
  maxOrigins?: number;
  /** Content bytes of a streamed response held for a consumer that is behind before its connection stops being read (256 KiB). */
  bodyBufferBytes?: number;
  /** An HTTP proxy for `http://` and `https://` origins: `http://[user:password@]host[:port]`. */
  proxy?: string;
  /** Origins reached directly: a `NO_PROXY` list, replacing the environment's; `*` turns proxies off. */
  noProxy?: string;
  /** Environment variables to read proxies from (`http_proxy`, `https_proxy`, `all_proxy`, `no_proxy`, upper-case too), e.g. `process.env`; not read when absent. */
  proxyEnv?: Record<string, string | undefined>;
  /** Trust the proxies to pipeline absolute-form requests (off: one at a time on each proxy connection). */
  proxyPipelining?: boolean;
}

/** Where a pool's connections go. */
export interface Origin {
  scheme: string;
  host: string;
  port: number;
}

/** A response head. */
export interface ResponseHeadInfo {
  status: number;
  reason: string;
  version: "1.0" | "1.1";
  headers: HeaderList;
}

/** One part of a streamed response, in wire order: interim*, head, data*, trailers?, end. */
export type ResponsePart =
  | ({ type: "interim" } & ResponseHeadInfo)
  | ({ type: "head" } & ResponseHeadInfo)
  | { type: "data"; data: Uint8Array }
  | { type: "trailers"; headers: HeaderList }
  | { type: "end" };

/** A whole response (`whole: true`). */
export interface WholeResponse extends ResponseHeadInfo {
  body: Uint8Array;
  trailers: HeaderList;
}

/** How a connection ended. */
export interface ClosedSummary {
  reason: CloseReason;
  responses: number;
  pipelineBreak: boolean;
  serverClose: boolean;
  stale: boolean;
}

/** What a `Connection` reports. `response` with `end`, `complete` and `failed` are terminal. */
export type ConnectionEvent =
  | { type: "response"; id: number; part: ResponsePart; end: boolean }
  | { type: "complete"; id: number; response: WholeResponse }
  | { type: "failed"; id: number; kind: ErrorKind; progress: Progress; retry: Retry; replayable: boolean; message: string }
  | { type: "written"; id: number }
  | { type: "unsolicited"; part: ResponsePart }
  | { type: "capability"; capability: Capability }
  | { type: "slowHead" }
  | { type: "setupRefused"; why: string }
  | { type: "sendBody"; id: number }
  | ({ type: "closed" } & ClosedSummary);

/**
 * What a `Pool` asks of its driver's transports (`pollInstruction`). A
 * `connect` through a proxy names it (`proxy`, `host:port`: connect there);
 * with a `tunnel`, write those bytes (`CONNECT`) first and hand the answer
 * to `handleTunnel`.
 */
export type PoolInstruction =
  | { type: "connect"; conn: number; origin: Origin; proxy?: string; tunnel?: Uint8Array }
  | { type: "close"; conn: number; origin: Origin | null; summary: ClosedSummary | null }
  | { type: "pause"; conn: number }
  | { type: "resume"; conn: number };

/**
 * Whom a `Pool`'s driver must wake (`pollNotice`): a number is a request id
 * with something to `take`; `room` lets a waiter `submitWaiting`;
 * `sendBody` asks for the next piece of a streamed request body
 * (`sendBody`); `learned` says what the pool learned about an origin.
 */
export type PoolNotice =
  | number
  | { type: "room"; waiter: number }
  | { type: "sendBody"; id: number }
  | { type: "upgraded"; id: number; conn: number }
  | ({ type: "learned"; origin: Origin | null; text: string } & (
      | { fact: "capability"; capability: Capability }
      | { fact: "demoted"; until: number }
      | { fact: "budget"; budget: number }
      | { fact: "idleTimeout"; ms: number }
    ));

/** What a pool knows of an origin. */
export interface OriginStatus {
  capability: Capability;
  demotedUntil: number | null;
  recentBreaks: number;
  budget: number | null;
  failedConnects: number;
  open: number;
  connecting: number;
  queued: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// Settings of a `Connection` (TypeScript `ConnectionOptions`).
    #[wasm_bindgen(typescript_type = "ConnectionOptions")]
    pub type ConnectionOptions;

    /// Settings of a `Pool` (TypeScript `PoolOptions`).
    #[wasm_bindgen(typescript_type = "PoolOptions")]
    pub type PoolOptions;

    /// Per-request choices (TypeScript `SubmitOptions`).
    #[wasm_bindgen(typescript_type = "SubmitOptions")]
    pub type SubmitOptions;
}

/// An optional argument as a plain value (`undefined` when absent).
pub(crate) fn or_undefined(value: Option<impl Into<JsValue>>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, Into::into)
}
