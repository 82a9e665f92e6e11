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
mod ids;
mod options;
mod timer;
mod upload;

pub use codec::{
    BodyStream, Codec, CodecFactory, CorrelationId, Decoded, Matching, Recipient, Remaining, ReplayRule,
    ResponseSignals, Role,
};
pub use config::{Capability, ConnectionConfig, NonIdempotentPolicy};
pub use connection::Connection;
pub use error::{BodyError, Refused, SubmitError};
pub use event::{CloseSummary, Event, Unanswered};
pub use ids::RequestId;
pub(crate) use options::Handling;
pub use options::{Idempotency, RequestOptions};
