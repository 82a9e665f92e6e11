//! One request's place in a connection's table.

use super::{Codec, CorrelationId, Progress, RequestId};
use crate::Instant;

/// Whether a request may be resent after it was written and lost
/// (DESIGN.md P5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Idempotency {
    /// As the codec says (HTTP: by method, RFC 9110 §9.2.2).
    #[default]
    ByMethod,
    /// Safe to resend whatever the method, e.g. it carries an
    /// `Idempotency-Key` the server deduplicates on. Also pipelined freely.
    Idempotent,
    /// Never resend once written, even if the method is idempotent.
    NeverRetry,
}

/// Per-request choices made at submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Replay policy.
    pub idempotency: Idempotency,
    /// Buffer the whole response and report it as one
    /// [`Event::Complete`](super::Event::Complete) instead of streaming parts.
    pub whole: bool,
    /// Fail the request with a timeout if its response is not complete by
    /// then (P10). Counted from submission by the caller's choice of value.
    pub deadline: Option<Instant>,
}

impl RequestOptions {
    /// Streaming, replay by method, no deadline.
    pub const DEFAULT: RequestOptions =
        RequestOptions { idempotency: Idempotency::ByMethod, whole: false, deadline: None };

    /// Whole-response mode.
    #[must_use]
    pub fn whole(mut self) -> Self {
        self.whole = true;
        self
    }

    /// With a deadline.
    #[must_use]
    pub fn deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(at);
        self
    }

    /// With a replay policy.
    #[must_use]
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }
}

/// Where a request's bytes sit in the connection's output stream, counted
/// from the connection's first byte.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wire {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

impl Wire {
    /// How much of it the transport has accepted, given the stream's
    /// accepted byte count.
    pub(crate) fn progress(self, accepted: u64) -> Progress {
        if accepted >= self.end {
            Progress::Written
        } else if accepted > self.start {
            Progress::PartlyWritten
        } else {
            Progress::NotWritten
        }
    }
}

pub(crate) struct Entry<C: Codec> {
    pub(crate) id: RequestId,
    pub(crate) request: C::Request,
    /// May be replayed after a loss once written.
    pub(crate) replayable: bool,
    /// Written only on an otherwise empty connection, nothing behind it.
    pub(crate) alone: bool,
    pub(crate) deadline: Option<Instant>,
    /// `Some` in whole-response mode.
    pub(crate) collector: Option<C::Collector>,
    /// `None` while queued; set when encoded into a transmit.
    pub(crate) wire: Option<Wire>,
    pub(crate) correlation: Option<CorrelationId>,
    /// A terminal event was already reported (cancelled, deadline): the slot
    /// stays until its response is read and dropped.
    pub(crate) terminated: bool,
    /// Some part of its response was decoded.
    pub(crate) response_started: bool,
    /// Content bytes of its response dropped after it was cancelled.
    pub(crate) dropped: u64,
}
