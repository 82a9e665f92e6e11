//! # pipelining
//!
//! A sans-IO core for request pipelining: many requests written on one
//! connection without waiting for each response, every response matched to
//! the request that caused it, and every request lost with a connection
//! classified by how far it got, so it is resent only when that is safe.
//!
//! This crate never touches a socket, a thread or an executor, and it never
//! calls `Instant::now()`: time is an [`Instant`] the caller passes in.
//! Drivers (`pipelining-tokio`, `pipelining-smol`, the JavaScript bindings)
//! move the bytes.
//!
//! ```text
//!             submit / cancel / close / set_depth
//!                          │
//!   ┌──────────────────────▼─────────────────────────┐
//!   │ Pool ── per origin: queue, capability memory,  │◄── handle_connected / _connect_failed
//!   │   │     request budget, replay routing         │──► poll_instruction → Connect / Close
//!   │   ▼                                            │
//!   │ Connection ── depth, matching, classification, │◄── handle_received(bytes), handle_eof,
//!   │   │           cancellation, timers             │    handle_written(n), handle_timeout(now)
//!   │   ▼                                            │──► poll_transmit(buf) → bytes to write
//!   │ Codec (h1, dns) ── encode requests,            │──► poll_event → responses, failures
//!   │                    decode responses            │──► poll_timeout → next deadline
//!   └────────────────────────────────────────────────┘
//! ```
//!
//! The modules are the architecture: [`h1`] knows HTTP/1.1 and nothing of
//! pipelines; [`pipeline`] drives one connection through any [`Codec`];
//! [`pool`] manages origins and their connections through [`pipeline`].
//!
//! ## Three requests, bytes in and bytes out
//!
//! ```
//! use pipelining::h1::{H1Codec, Limits, Request, ResponsePart};
//! use pipelining::{Connection, ConnectionConfig, Event, Instant, RequestOptions};
//!
//! let now = Instant::ZERO;
//! let mut conn = Connection::new(H1Codec::new("example.com", Limits::default()), ConnectionConfig::default(), now);
//! let ids: Vec<_> = ["/a", "/b", "/c"]
//!     .iter()
//!     .map(|path| conn.submit(now, Request::get(*path), RequestOptions::default()).unwrap())
//!     .collect();
//!
//! // An origin not yet known to pipeline gets one request first (the probe).
//! let mut out = Vec::new();
//! let n = conn.poll_transmit(now, &mut out).unwrap();
//! assert_eq!(out, b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n");
//! conn.handle_written(now, n); // the transport took all n bytes
//! conn.handle_received(now, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA");
//!
//! // An HTTP/1.1 answer without `close` confirms pipelining: /b and /c go in one write.
//! out.clear();
//! let n = conn.poll_transmit(now, &mut out).unwrap();
//! assert_eq!(out, b"GET /b HTTP/1.1\r\nHost: example.com\r\n\r\nGET /c HTTP/1.1\r\nHost: example.com\r\n\r\n");
//! conn.handle_written(now, n);
//! conn.handle_received(now, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nBHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
//!
//! let mut bodies = vec![Vec::new(); 3];
//! while let Some(event) = conn.poll_event() {
//!     if let Event::Response { id, part: ResponsePart::Data(data), .. } = event {
//!         bodies[ids.iter().position(|i| *i == id).unwrap()].extend_from_slice(&data);
//!     }
//! }
//! assert_eq!(bodies, [b"A".to_vec(), b"B".to_vec(), Vec::new()]);
//! ```
//!
//! The codec alone decodes a pipelined stream the same way:
//!
//! ```
//! use bytes::BytesMut;
//! use pipelining::h1::{Limits, Method, ResponseDecoder, ResponsePart};
//!
//! let mut input = BytesMut::from(
//!     &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
//!        HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nB\r\n0\r\n\r\n"[..],
//! );
//! let mut decoder = ResponseDecoder::new(Limits::default());
//! let mut parts = Vec::new();
//! while let Some(part) = decoder.decode(&mut input, &Method::GET).unwrap() {
//!     parts.push(part);
//! }
//! assert_eq!(parts.iter().filter(|p| matches!(p, ResponsePart::End)).count(), 2);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod decimal;
pub mod dispatch;
#[cfg(feature = "dns")]
pub mod dns;
mod error_kind;
pub mod h1;
mod origin;
pub mod outcome;
pub mod pipeline;
pub mod pool;
pub mod proxy;
#[cfg(feature = "resp")]
pub mod resp;
mod slab;
mod sorted;
mod time;

pub use error_kind::ErrorKind;
pub use origin::{Origin, OriginRef};
pub use outcome::{Cause, CloseReason, CodecError, Ending, GaveUp, Lesson, Progress, Retry, error_kind};
pub use pipeline::{
    Capability, CloseSummary, Codec, CodecFactory, Connection, ConnectionConfig, CorrelationId, Event, Idempotency,
    NonIdempotentPolicy, Refused, RequestId, RequestOptions, SubmitError, Unanswered,
};
pub use pool::{
    ConfigError, ConnectionId, Fact, Failure, Instruction, OriginId, OriginStatus, Pool, PoolConfig, PoolEvent,
};
pub use time::{Duration, Instant};
