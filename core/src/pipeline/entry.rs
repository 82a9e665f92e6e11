//! One request's place in a connection's table, and its lifecycle.

use super::{Codec, CorrelationId, RequestId};
use crate::Instant;
use crate::outcome::Progress;

/// Where a request's bytes sit in the connection's output stream, counted
/// from the connection's first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Where a request is in its life on one connection. A request leaves the
/// table when it ends; until then it is in exactly one stage:
///
/// ```text
/// Queued ──encode──► Sent ──first response part──► Receiving ──end──► (gone)
///   │                 │                               │
///   └─cancel: gone    └───────cancel / deadline ──────┴──► Draining ──end──► (gone)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Waiting to be written.
    Queued,
    /// Encoded into a transmit at `Wire`; no part of its response yet.
    Sent(Wire),
    /// Part of its response has been decoded.
    Receiving(Wire),
    /// It already ended (cancelled, deadline) after being written: its slot
    /// stays so later responses still match, and its response is read and
    /// dropped; `dropped` content bytes so far (`docs/DESIGN.md` P9).
    Draining {
        /// Where it was written.
        wire: Wire,
        /// Content bytes of its response dropped so far.
        dropped: u64,
    },
}

impl Stage {
    /// Where it was written, once it was.
    pub(crate) fn wire(self) -> Option<Wire> {
        match self {
            Stage::Queued => None,
            Stage::Sent(wire) | Stage::Receiving(wire) | Stage::Draining { wire, .. } => Some(wire),
        }
    }

    /// It already had its terminal event.
    pub(crate) fn has_ended(self) -> bool {
        matches!(self, Stage::Draining { .. })
    }
}

/// One request in a connection's table.
pub(crate) struct Entry<C: Codec> {
    pub(crate) id: RequestId,
    pub(crate) request: C::Request,
    pub(crate) stage: Stage,
    /// May be resent after a loss once written.
    pub(crate) replayable: bool,
    /// Written only on an otherwise empty connection, nothing behind it
    /// until its response is complete (`docs/DESIGN.md` P5).
    pub(crate) alone: bool,
    /// How it may be resent after a loss, beyond `replayable`.
    pub(crate) rule: super::ReplayRule,
    /// A setup request of the connection's own (no event names it).
    pub(crate) internal: bool,
    /// Nothing is written behind it until part of its response has arrived
    /// (`docs/DESIGN.md` P13).
    pub(crate) blocking: bool,
    pub(crate) deadline: Option<Instant>,
    /// How long its response head may take once it is written, and each
    /// piece of its body after that (P10).
    pub(crate) waits: Waits,
    /// When the wait now running (for its head, or its body's next piece)
    /// ends: it fails with a timeout then.
    pub(crate) progress: Option<Instant>,
    /// `Some` in whole-response mode.
    pub(crate) collector: Option<C::Collector>,
    /// Its wire correlation id; kept when it is resent.
    pub(crate) correlation: Option<CorrelationId>,
}

/// A request's progress timeouts (P10), resolved at submission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Waits {
    /// From its last byte written to its response head.
    pub(crate) head: Option<crate::Duration>,
    /// Between pieces of its response body.
    pub(crate) body: Option<crate::Duration>,
}
