//! One request's outcome as it waits for whoever takes it.

use super::Delivery;
use crate::Instant;
use crate::pipeline::Codec;
use crate::pool::ConnectionId;
use alloc::collections::VecDeque;

/// What a dispatcher holds for one request between its submission and the
/// moment its terminal item is taken. It copies nothing of the request: the
/// pool's record keeps that.
pub(crate) struct Mailbox<C: Codec> {
    pub(crate) items: VecDeque<Delivery<C>>,
    /// Content bytes among `items`.
    pub(crate) buffered: u64,
    /// The connection its response comes on, once it comes.
    pub(crate) conn: Option<ConnectionId>,
    /// How many times it was written so far.
    pub(crate) attempts: u32,
    /// Where and when its last byte was last written.
    pub(crate) written: Option<(ConnectionId, Instant)>,
    /// When its response's last byte arrived.
    pub(crate) ended_at: Option<Instant>,
    /// Its terminal item is among `items` (or was taken).
    pub(crate) ended: bool,
}

impl<C: Codec> Mailbox<C> {
    pub(crate) fn new() -> Self {
        Mailbox {
            items: VecDeque::new(),
            buffered: 0,
            conn: None,
            attempts: 0,
            written: None,
            ended_at: None,
            ended: false,
        }
    }

    /// A fresh mailbox in the husk of a finished one (its queue's
    /// allocation is kept), or a new one.
    pub(crate) fn reuse(husk: Option<Mailbox<C>>) -> Self {
        match husk {
            Some(mut mailbox) => {
                mailbox.items.clear();
                mailbox.buffered = 0;
                mailbox.conn = None;
                mailbox.attempts = 0;
                mailbox.written = None;
                mailbox.ended_at = None;
                mailbox.ended = false;
                mailbox
            }
            None => Mailbox::new(),
        }
    }

    /// Adds an item; whether the mailbox was empty (whoever waits must be
    /// woken).
    pub(crate) fn push(&mut self, item: Delivery<C>) -> bool {
        let was_empty = self.items.is_empty();
        if let Delivery::Part(part) = &item {
            self.buffered += C::content_len(part);
        }
        self.ended |= item.is_terminal();
        self.items.push_back(item);
        was_empty
    }

    pub(crate) fn pop(&mut self) -> Option<Delivery<C>> {
        let item = self.items.pop_front()?;
        if let Delivery::Part(part) = &item {
            self.buffered = self.buffered.saturating_sub(C::content_len(part));
        }
        Some(item)
    }
}
