//! Redis's RESP (RESP2 and RESP3): the protocol where pipelining is used
//! most today, on the same core as HTTP/1.1.
//!
//! Replies come back in command order (FIFO). An error reply (`-ERR …`)
//! answers its command like any other reply; a RESP3 push message (`>`)
//! answers none and is reported as [`Event::Unsolicited`](crate::pipeline::Event::Unsolicited).

mod codec;
mod command;
mod error;
mod parse;
mod request;
mod value;

pub use codec::{RespCodec, RespConfig, RespFactory, RespSetup};
pub use command::{Command, ReplayClass};
pub use error::{CommandError, RespError};
pub use request::{Request, Transaction};
pub use value::Value;

/// Bounds on what a server may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RespLimits {
    /// Bytes in one header or simple line. Default 64 KiB.
    pub max_line: usize,
    /// Bytes in one bulk string. Default 64 MiB.
    pub max_bulk: u64,
    /// Elements in one aggregate. Default 1,048,576.
    pub max_elements: u64,
    /// Aggregates nested in one another. Default 128.
    pub max_depth: usize,
}

impl Default for RespLimits {
    fn default() -> Self {
        RespLimits { max_line: 64 * 1024, max_bulk: 64 * 1024 * 1024, max_elements: 1 << 20, max_depth: 128 }
    }
}
