//! One pipelined connection, generic over a wire protocol.
//!
//! [`Connection`] keeps at most `depth` requests written and unanswered,
//! matches responses to requests (in order, or by wire correlation id),
//! classifies every request lost with its connection by how far it got, and
//! runs the stall, idle and deadline timers — knowing nothing of HTTP: the
//! protocol lives behind the [`Codec`] trait (see [`crate::h1::H1Codec`]).

mod classify;
mod codec;
mod config;
mod connection;
mod entry;
mod error;
mod event;
mod request_id;
mod timer;

pub use codec::{Codec, CodecError, CorrelationId, Decoded, Matching, Recipient, Remaining, ResponseSignals, Role};
pub use config::{Capability, Config, NonIdempotentPolicy};
pub use connection::Connection;
pub use entry::{Idempotency, RequestOptions};
pub use error::SubmitError;
pub use event::{Cause, CloseReason, Closed, Event, Failure, Progress, Retry};
pub use request_id::RequestId;
