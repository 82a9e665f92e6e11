//! # pipelining
//!
//! A sans-IO core for request pipelining: many requests written on one
//! connection without waiting for each response, every response matched to
//! the request that caused it.
//!
//! This crate never touches a socket, a clock, a thread or an executor. It
//! never calls `Instant::now()`: time is an [`Instant`] the caller passes in.
//! Drivers (tokio, smol, JavaScript) move the bytes.
//!
//! ```text
//!   Request ──► encode_request ──► bytes to write ──► [ your transport ]
//!                                                          │
//!   ResponsePart ◄── ResponseDecoder ◄── bytes read ◄──────┘
//!   (Interim, Head, Data, Trailers, End)
//! ```
//!
//! ## Three requests, one write, three responses
//!
//! ```
//! use bytes::BytesMut;
//! use pipelining::h1::{encode_request, Method, Request, ResponseDecoder, ResponsePart, Limits};
//!
//! // Three requests go out in one write.
//! let mut out = Vec::new();
//! for path in ["/a", "/b", "/c"] {
//!     encode_request(&Request::get(path), b"example.com", &mut out).unwrap();
//! }
//! assert_eq!(
//!     out,
//!     b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n\
//!       GET /b HTTP/1.1\r\nHost: example.com\r\n\r\n\
//!       GET /c HTTP/1.1\r\nHost: example.com\r\n\r\n"
//! );
//!
//! // The server answers all three in one read.
//! let mut input = BytesMut::from(
//!     &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
//!        HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nB\r\n0\r\n\r\n\
//!        HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"[..],
//! );
//! let mut decoder = ResponseDecoder::new(Limits::default());
//! let mut statuses = Vec::new();
//! let mut bodies = vec![Vec::new(); 3];
//! let mut answered = 0;
//! while let Some(part) = decoder.decode(&mut input, &Method::GET).unwrap() {
//!     match part {
//!         ResponsePart::Head(head) => statuses.push(head.status),
//!         ResponsePart::Data(data) => bodies[answered].extend_from_slice(&data),
//!         ResponsePart::End => answered += 1,
//!         _ => {}
//!     }
//! }
//! assert_eq!(statuses, [200, 200, 404]);
//! assert_eq!(bodies, [b"A".to_vec(), b"B".to_vec(), Vec::new()]);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "dns")]
pub mod dns;
mod error_kind;
pub mod h1;
pub mod pipeline;
pub mod pool;
mod time;

pub use error_kind::ErrorKind;
pub use pipeline::{
    Capability, Cause, CloseReason, Closed, Codec, Config, Connection, Event, Failure, Idempotency, Progress,
    RequestId, RequestOptions, Retry, SubmitError,
};
pub use pool::{CodecFactory, ConnectionId, Origin, OriginStatus, Pool, PoolConfig, PoolEvent, PoolFailure};
pub use time::{Duration, Instant};
