//! One record per request the pool holds, from submission to its terminal
//! event: where it is, and what its attempts so far have cost.

use super::{ConnectionId, OriginId};
use crate::outcome::CloseReason;
use crate::pipeline::{Codec, CorrelationId, Handling, RequestOptions};
use alloc::vec::Vec;

/// Where a request is. The request itself lives in exactly one place: here
/// while it waits for a connection, in the connection's table once handed
/// to one (which hands it back if it is lost).
pub(crate) enum Place<R> {
    /// In its origin's queue.
    Queued(R),
    /// On this connection.
    On(ConnectionId),
}

/// Whether a request stuck behind a slow head has a copy elsewhere
/// (`docs/DESIGN.md` P13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rescue {
    /// No copy.
    None,
    /// A copy is wanted: it waits in its origin's rescue list.
    Wanted,
    /// A copy was placed on this connection; the first to answer wins.
    Copied(ConnectionId),
}

/// A request the pool holds.
pub(crate) struct Record<C: Codec> {
    pub(crate) origin: OriginId,
    /// The options it was submitted with, for every attempt.
    pub(crate) options: RequestOptions,
    /// Whether it may be resent once written and must be written alone:
    /// decided once, at admission.
    pub(crate) handling: Handling,
    pub(crate) place: Place<C::Request>,
    /// Its rescue copy, if it has one: a second place, speculative.
    pub(crate) rescue: Rescue,
    /// How many times it was written, fully or partly.
    pub(crate) attempts: u32,
    /// Resends that spent no try (`docs/DESIGN.md` P7, P8): bounded.
    pub(crate) moves: u32,
    /// Why each spent try was lost, oldest first.
    pub(crate) tries: Vec<CloseReason>,
    /// It was handed back after a loss (for "the first replay goes alone").
    pub(crate) replayed: bool,
    /// Its wire correlation id, allocated per origin and kept across
    /// replays (correlation-id codecs only).
    pub(crate) correlation: Option<CorrelationId>,
}

impl<C: Codec> Record<C> {
    pub(crate) fn new(
        origin: OriginId,
        request: C::Request,
        options: RequestOptions,
        correlation: Option<CorrelationId>,
        handling: Handling,
    ) -> Self {
        Record {
            origin,
            options,
            handling,
            place: Place::Queued(request),
            rescue: Rescue::None,
            attempts: 0,
            moves: 0,
            tries: Vec::new(),
            replayed: false,
            correlation,
        }
    }
}
