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

/// A request the pool holds.
pub(crate) struct Record<C: Codec> {
    pub(crate) origin: OriginId,
    /// The options it was submitted with, for every attempt.
    pub(crate) options: RequestOptions,
    /// Whether it may be resent once written and must be written alone:
    /// decided once, at admission.
    pub(crate) handling: Handling,
    pub(crate) place: Place<C::Request>,
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
            attempts: 0,
            moves: 0,
            tries: Vec::new(),
            replayed: false,
            correlation,
        }
    }
}
