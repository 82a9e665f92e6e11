//! The far end of every `pipelining` test: one scripted HTTP/1.1 server
//! peer, sans-IO, in the shape of quinn-proto's test `Pair` and str0m's
//! `netem`.
//!
//! ```text
//!   client bytes ──► Peer::receive ──► RequestParser ──► Received records
//!                                                            │
//!                       script / respond ◄── oldest waiting ─┘
//!                             │
//!                           Reply (bytes, response ends, close heads,
//!                             │    pauses, then: continue/EOF/reset/hold)
//!                             ▼
//!   client ◄── take / take_end / poll_output ◄── Peer::out, Peer::end
//! ```
//!
//! - [`request`]: the one request parser: method, target, version, fields,
//!   and a body framed by `Content-Length` or chunked, split anywhere.
//! - [`Peer`]: one connection's server end. It records every request
//!   ([`Received`]: order, write, depth seen, whether it still answered),
//!   answers the oldest by its script or by a reply made on the spot, and
//!   keeps every byte it sent with where responses and closing heads end.
//! - [`Reply`]: response bytes and what happens after them ([`Then`]):
//!   nothing, EOF, reset, or a stall; cut short, chained, paused.
//! - [`message`]: response bytes built field by field, and the ready-made
//!   responses the TCP scripts use.
//!
//! Drivers move the bytes: the core's connection harness and the pool's
//! virtual network on a virtual clock, the fuzz bodies at the fuzzer's
//! pace, and `pipelining-tests`' raw server over loopback TCP (its only
//! user of [`Peer::poll_output`]'s pauses).
//!
//! It does not depend on `pipelining`: the core's tests use it, and a test
//! peer sharing the client's code would share its mistakes.

pub mod message;
mod peer;
mod received;
mod reply;
pub mod request;

pub use peer::{End, Output, Peer, Script};
pub use received::Received;
pub use reply::{Reply, ResponseEnd, Then, echo_body, echo_response};
pub use request::{ParseError, Request, RequestParser};
