//! What a pool reports: instructions for the driver, and the requests'
//! responses and final failures.

use super::{ConnectionId, OriginId};
use crate::outcome::{Cause, CloseReason, Progress};
use crate::pipeline::{Capability, CloseSummary, Codec, RequestId};
use crate::{Duration, ErrorKind, Instant};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

/// What the driver must do with transports, drained with
/// [`Pool::poll_instruction`](super::Pool::poll_instruction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Instruction {
    /// Open a transport to `origin` ([`Pool::origin`](super::Pool::origin)
    /// names it); answer with
    /// [`Pool::handle_connected`](super::Pool::handle_connected) or
    /// [`Pool::handle_connect_failed`](super::Pool::handle_connect_failed).
    Connect {
        /// The new connection's id.
        conn: ConnectionId,
        /// Where to connect.
        origin: OriginId,
    },
    /// Close (or abandon the attempt to open) this transport. `summary` says
    /// how an open connection ended; `None` for a connect the pool gave up
    /// on (its connect timeout, or the pool closing). A connect the driver
    /// reported failed needs no `Close`.
    Close {
        /// The connection.
        conn: ConnectionId,
        /// Its origin.
        origin: OriginId,
        /// How it ended, if it was open.
        summary: Option<CloseSummary>,
    },
    /// Stop reading this transport: whoever consumes the response arriving
    /// on it is behind (from a [`Dispatcher`](crate::dispatch::Dispatcher);
    /// a bare pool never says it).
    PauseReading {
        /// The connection.
        conn: ConnectionId,
    },
    /// Read this transport again.
    ResumeReading {
        /// The connection.
        conn: ConnectionId,
    },
}

/// A request that failed for good: its terminal event in the pool.
pub struct Failure<C: Codec> {
    /// The request's id.
    pub id: RequestId,
    /// The origin it was for.
    pub origin: OriginId,
    /// The request, handed back.
    pub request: C::Request,
    /// The C1 name of the outcome ([`error_kind`](crate::outcome::error_kind)).
    pub kind: ErrorKind,
    /// The last cause.
    pub cause: Cause<C::Error>,
    /// How far its last attempt got.
    pub progress: Progress,
    /// How many times it was written, fully or partly.
    pub attempts: u32,
    /// Why each spent try was lost, oldest first (for `max_tries`).
    pub tries: Vec<CloseReason>,
}

impl<C: Codec> fmt::Debug for Failure<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("cause", &self.cause)
            .field("progress", &self.progress)
            .field("attempts", &self.attempts)
            .field("tries", &self.tries)
            .finish_non_exhaustive()
    }
}

/// What a [`Pool`](super::Pool) reports about requests and origins, drained
/// with [`Pool::poll_event`](super::Pool::poll_event).
pub enum PoolEvent<C: Codec> {
    /// A part of the response to `id`; `end` marks the terminal event.
    Response {
        /// The request answered.
        id: RequestId,
        /// The connection it came on.
        conn: ConnectionId,
        /// The part.
        part: C::Part,
        /// Whether this is the last part.
        end: bool,
        /// How many times the request was written so far, this time included.
        attempts: u32,
    },
    /// The whole response to `id` (whole-response mode): terminal.
    Complete {
        /// The request answered.
        id: RequestId,
        /// The response.
        response: C::Response,
        /// How many times the request was written.
        attempts: u32,
    },
    /// A request failed for good: terminal. Boxed: rare, and large beside
    /// the parts that make up most events.
    Failed(Box<Failure<C>>),
    /// The last byte of request `id` was written on `conn`.
    Written {
        /// The request.
        id: RequestId,
        /// The connection it went on.
        conn: ConnectionId,
    },
    /// A message that answers no request.
    Unsolicited {
        /// The connection it came on.
        conn: ConnectionId,
        /// The message.
        part: C::Part,
    },
    /// A connection to `origin` was refused its setup (a wrong password):
    /// `why`, in the server's words. The requests waiting for the origin
    /// fail with `connect` next.
    SetupRefused {
        /// The origin.
        origin: OriginId,
        /// The server's refusal.
        why: alloc::string::String,
    },
    /// Connections to `origin` were lost before their setup was answered,
    /// `max_tries` times in a row, with none open: the requests waiting for
    /// the origin fail with `connect` next.
    SetupLost {
        /// The origin.
        origin: OriginId,
    },
    /// Request `id`'s connection takes the next piece of its streamed
    /// content now ([`Pool::send_body`](super::Pool::send_body)).
    SendBody {
        /// The request.
        id: RequestId,
    },
    /// The response to `id` ended HTTP on `conn` (`101 Switching
    /// Protocols`, a `CONNECT` tunnel): the transport is the caller's now,
    /// with `leftover`, the bytes read past that response. The connection's
    /// `Close` instruction follows: hand the transport over instead of
    /// closing it.
    Upgraded {
        /// The request that asked for the upgrade.
        id: RequestId,
        /// Its connection.
        conn: ConnectionId,
        /// Bytes of the new protocol read already.
        leftover: bytes::BytesMut,
    },
    /// The pool learned something about an origin that changes how it is
    /// used.
    Learned {
        /// The origin.
        origin: OriginId,
        /// What it learned.
        fact: Fact,
    },
}

/// Something the pool learned about an origin (`docs/DESIGN.md` P6, P11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fact {
    /// Whether its server pipelines, from the first final response.
    Capability(Capability),
    /// Two pipeline breaks: one request at a time until `until`, then the
    /// origin is probed again (P6).
    Demoted {
        /// When the demotion ends.
        until: Instant,
    },
    /// Its server closes a connection after this many requests: no
    /// connection is given more (P11). Learned from server closes, or from
    /// `Keep-Alive: max`.
    Budget(u64),
    /// Its server closes connections idle this long: connections retire
    /// before it (P6). Learned from the server's idle closes.
    IdleTimeout(Duration),
}

impl Fact {
    /// A line for people (`fetch --verbose`).
    pub fn describe(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Fact::Capability(Capability::Pipelining) => f.write_str("pipelines"),
            Fact::Capability(Capability::OneAtATime) => f.write_str("takes one request at a time"),
            Fact::Capability(Capability::Unknown) => f.write_str("capability unknown again"),
            Fact::Demoted { until } => write!(f, "demoted to one request at a time until {until:?}"),
            Fact::Budget(1) => f.write_str("closes connections after each request"),
            Fact::Budget(n) => write!(f, "closes connections after {n} requests"),
            Fact::IdleTimeout(d) => write!(f, "closes connections idle for {} ms", d.as_millis()),
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f)
    }
}

impl<C: Codec> PoolEvent<C> {
    /// The request this event ends, if it is a terminal event.
    pub fn terminal_id(&self) -> Option<RequestId> {
        match self {
            PoolEvent::Response { id, end: true, .. } | PoolEvent::Complete { id, .. } => Some(*id),
            PoolEvent::Failed(f) => Some(f.id),
            _ => None,
        }
    }
}

impl<C: Codec> fmt::Debug for PoolEvent<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolEvent::Response { id, conn, part, end, attempts } => {
                write!(f, "Response({id:?}, {conn:?}, {part:?}, end={end}, attempts={attempts})")
            }
            PoolEvent::Complete { id, response, attempts } => {
                write!(f, "Complete({id:?}, {response:?}, attempts={attempts})")
            }
            PoolEvent::Failed(failure) => write!(f, "Failed({failure:?})"),
            PoolEvent::Written { id, conn } => write!(f, "Written({id:?}, {conn:?})"),
            PoolEvent::Unsolicited { conn, part } => write!(f, "Unsolicited({conn:?}, {part:?})"),
            PoolEvent::Learned { origin, fact } => write!(f, "Learned({origin:?}, {fact:?})"),
            PoolEvent::SendBody { id } => write!(f, "SendBody({id:?})"),
            PoolEvent::SetupRefused { origin, why } => write!(f, "SetupRefused({origin:?}, {why:?})"),
            PoolEvent::SetupLost { origin } => write!(f, "SetupLost({origin:?})"),
            PoolEvent::Upgraded { id, conn, leftover } => {
                write!(f, "Upgraded({id:?}, {conn:?}, {} bytes)", leftover.len())
            }
        }
    }
}
