//! What a dispatcher hands to whoever waits for a request, and what it tells
//! its driver.

use crate::pipeline::{Codec, RequestId};
use crate::pool::{ConnectionId, Fact, OriginId};
use crate::{ErrorKind, Instant};
use alloc::string::String;
use core::fmt;

/// Why a request failed, ready for a caller: the C1 name, a sentence, and
/// how often the request was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// The C1 name (`docs/DESIGN.md` C1, C5).
    pub kind: ErrorKind,
    /// What happened, in words.
    pub message: String,
    /// How many times the request was written, fully or partly.
    pub attempts: u32,
    /// The system's error number behind it, when a transport or connect
    /// failure had one (`errno`): a driver makes it the error's source.
    pub os_code: Option<i32>,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// One item of a request's outcome, in order. A streamed response is
/// `Part`s then `End`; a whole one is one `Complete`; a failure is one
/// `Failed`, possibly after some `Part`s. The last item (`End`, `Complete`
/// or `Failed`) is the request's terminal event (`docs/DESIGN.md` P12).
pub enum Delivery<C: Codec> {
    /// A part of a streamed response: an interim response, the head, a piece
    /// of content, trailers.
    Part(C::Part),
    /// The whole response (whole-response mode).
    Complete(C::Response),
    /// The streamed response is complete.
    End,
    /// The request failed.
    Failed(RequestError),
}

impl<C: Codec> Delivery<C> {
    /// Whether this is the request's terminal item.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Delivery::Part(_))
    }
}

impl<C: Codec> fmt::Debug for Delivery<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delivery::Part(part) => f.debug_tuple("Part").field(part).finish(),
            Delivery::Complete(response) => f.debug_tuple("Complete").field(response).finish(),
            Delivery::End => f.write_str("End"),
            Delivery::Failed(error) => f.debug_tuple("Failed").field(error).finish(),
        }
    }
}

/// An item taken from a request's outcome, with what is known of the
/// request at that moment.
pub struct Taken<C: Codec> {
    /// The item.
    pub item: Delivery<C>,
    /// How many times the request was written so far.
    pub attempts: u32,
    /// Where and when its last byte was (last) written.
    pub written: Option<(ConnectionId, Instant)>,
    /// When its response was complete, once it was.
    pub ended_at: Option<Instant>,
}

impl<C: Codec> fmt::Debug for Taken<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Taken")
            .field("item", &self.item)
            .field("attempts", &self.attempts)
            .field("written", &self.written)
            .field("ended_at", &self.ended_at)
            .finish()
    }
}

/// Someone waiting for room in a full origin queue, first come first served
/// (`docs/DESIGN.md` P1, P5). The waiter holds its own request; the
/// dispatcher holds only its place in line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaiterId(u64);

impl WaiterId {
    pub(crate) const fn new(raw: u64) -> Self {
        WaiterId(raw)
    }

    /// The id whose [`get`](Self::get) is `raw`.
    pub const fn from_raw(raw: u64) -> Self {
        WaiterId(raw)
    }

    /// The id as a number, for a boundary that cannot carry the type.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// What the driver must pass on, drained with
/// [`Dispatcher::poll_notice`](super::Dispatcher::poll_notice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// The request has something to take
    /// ([`Dispatcher::take`](super::Dispatcher::take)): wake whoever waits
    /// for it.
    Request(RequestId),
    /// The waiter is first in line and its origin has room: wake it, so it
    /// submits ([`Dispatcher::submit_waiting`](super::Dispatcher::submit_waiting)).
    Room(WaiterId),
    /// A connection to `origin` is being opened.
    Connecting {
        /// The connection.
        conn: ConnectionId,
        /// Its origin.
        origin: OriginId,
    },
    /// A message that answers no request waits
    /// ([`take_unsolicited`](super::Dispatcher::take_unsolicited)).
    Unsolicited,
    /// Request `id`'s connection takes the next piece of its streamed
    /// content: [`send_body`](super::Dispatcher::send_body).
    SendBody(RequestId),
    /// The response to `id` ended HTTP on `conn` (an upgrade): the driver
    /// hands the transport, and what
    /// [`take_upgrade`](super::Dispatcher::take_upgrade) gives, to the
    /// request's caller instead of closing it.
    Upgraded {
        /// The request.
        id: RequestId,
        /// Its connection.
        conn: ConnectionId,
    },
    /// The pool learned something about an origin (P6, P11).
    Learned {
        /// The origin.
        origin: OriginId,
        /// What it learned.
        fact: Fact,
    },
}

/// Settings of a [`Dispatcher`](super::Dispatcher).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DispatchConfig {
    /// Content bytes of one streamed response held for a consumer that is
    /// behind; past it the response's connection stops being read until the
    /// consumer takes half of it (`docs/DESIGN.md` P1). Default 256 KiB.
    pub body_buffer: u64,
    /// Messages that answer no request (pub/sub, RESP3 pushes) kept for a
    /// taker ([`Dispatcher::take_unsolicited`](super::Dispatcher::take_unsolicited));
    /// past this many the connection they come on stops being read until
    /// the taker catches up to half. 0 (the default) drops them: a client
    /// with no taker.
    pub unsolicited_buffer: usize,
}

impl DispatchConfig {
    /// The defaults.
    pub const DEFAULT: DispatchConfig = DispatchConfig { body_buffer: 256 * 1024, unsolicited_buffer: 0 };
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig::DEFAULT
    }
}
