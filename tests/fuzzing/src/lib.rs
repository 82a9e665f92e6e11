//! Fuzz target bodies for `pipelining`, as ordinary functions.
//!
//! Each module is one target with a `run(data: &[u8])` that panics only
//! when a property of docs/DESIGN.md is violated. The libFuzzer targets in
//! `fuzz/` call them; so does the stable smoke test of this crate
//! (`tests/smoke.rs`), which `cargo test --workspace` runs with seeded
//! pseudo-random inputs and the committed seeds and regressions.
//!
//! | target | drives | checks |
//! |---|---|---|
//! | [`h1_response`] | `ResponseDecoder` through `H1Codec` | same result for every split, framing, no response without a request |
//! | [`connection_ops`] | `Connection<H1Codec>` + a fake server | P1, P2, P5, P7, P8, P12 at every step |
//! | [`pool_ops`] | `Pool<H1Factory>`, several origins | the same, plus replay and connect failures |
//! | [`request_encode`] | `encode_request` | what it accepts parses back identically |
//! | [`dns_ops`] | `Connection<DnsCodec>`, answers in any order | P1, P2 by correlation id, P12 |
//! | [`dispatch_ops`] | `Dispatcher<H1Factory>`, waiters, a slow consumer | P12 per taken outcome, typed refusals, no stuck pause, bounded mailboxes |
//! | [`resp_reply`] | `RespCodec` and `Connection<RespCodec>` | same result for every split, pushes never answer, P12 |
//!
//! The `trace` feature prints every operation and event to stderr, for
//! reproducing a failure.

pub mod connection_ops;
pub mod dispatch_ops;
pub mod dns_ops;
pub mod h1_response;
pub mod pool_ops;
pub mod request_encode;
pub mod resp_reply;
pub mod script;
mod server;
mod track;

use arbitrary::Arbitrary;

/// Prints with the `trace` feature, compiles to nothing without it.
#[macro_export]
#[doc(hidden)]
macro_rules! trace {
    ($($arg:tt)*) => {
        if cfg!(feature = "trace") {
            eprintln!($($arg)*);
        }
    };
}

/// A well-formed response (or piece of one) that a hostile server sends
/// although nobody asked for it.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CannedResponse {
    /// An empty 200.
    Empty,
    /// A 200 with five bytes of content.
    Body,
    /// A chunked 200 with trailers.
    Chunked,
    /// A 200 that closes the connection.
    Close,
    /// `100 Continue`.
    Continue,
    /// `204 No Content`.
    NoContent,
    /// An HTTP/1.0 response delimited by the close.
    Http10,
    /// `101 Switching Protocols`.
    Switching,
    /// Half a head.
    PartialHead,
    /// A head announcing 100,000 bytes of content.
    Large,
    /// Blank lines.
    BlankLines,
    /// A 200 allowing one more request.
    KeepAliveMax,
}

impl CannedResponse {
    /// The bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            CannedResponse::Empty => b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            CannedResponse::Body => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            CannedResponse::Chunked => {
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
            }
            CannedResponse::Close => b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
            CannedResponse::Continue => b"HTTP/1.1 100 Continue\r\n\r\n",
            CannedResponse::NoContent => b"HTTP/1.1 204 No Content\r\n\r\n",
            CannedResponse::Http10 => b"HTTP/1.0 200 OK\r\n\r\nbye",
            CannedResponse::Switching => b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
            CannedResponse::PartialHead => b"HTTP/1.1 200 OK\r\nContent-Le",
            CannedResponse::Large => b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n",
            CannedResponse::BlankLines => b"\r\n\r\n",
            CannedResponse::KeepAliveMax => b"HTTP/1.1 200 OK\r\nKeep-Alive: max=1\r\nContent-Length: 0\r\n\r\n",
        }
    }
}
