//! The scripted server end of one connection, sans-IO: bytes in, requests
//! recorded, replies out; no socket, no clock, no thread.

use crate::reply::{ResponseEnd, Then};
use crate::request::{ParseError, RequestParser};
use crate::{Received, Reply};
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// What a scripted peer answers each request with.
pub type Script = Box<dyn FnMut(&Received) -> Reply + Send>;

/// How the peer ended the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// It closed its side: the client reads EOF.
    Eof,
    /// It reset the connection: the client's transport fails.
    Reset,
}

/// The next thing a real-time driver does for the peer
/// ([`Peer::poll_output`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes.
    Bytes(Vec<u8>),
    /// Wait this long.
    Pause(Duration),
    /// End the connection this way.
    End(End),
}

/// The server end of one connection.
///
/// It reads every request out of the bytes the client writes, whatever
/// the split, and records each one ([`Received`]): what it was, which
/// write completed it, how many were outstanding, whether the peer was
/// still answering. It answers the oldest unanswered request by its script
/// ([`answer`](Self::answer)) or by a reply the driver makes on the spot
/// ([`respond`](Self::respond)), in order, and keeps everything it sent.
///
/// Its methods come in groups: getters; [`receive`](Self::receive) for
/// bytes the client wrote; commands that answer or end the connection
/// (`answer`, `respond`, `send`, `release`, `stall`, `close`, `abort`); and
/// the output side, taken by a virtual driver at any pace
/// ([`take`](Self::take), [`take_end`](Self::take_end)) or by a real-time
/// one with its pauses ([`poll_output`](Self::poll_output)). The records are
/// public fields, for tests to read.
pub struct Peer {
    script: Option<Script>,
    parser: RequestParser,
    /// Every request received, in arrival order.
    pub received: Vec<Received>,
    /// Indices of received requests not answered yet.
    waiting: VecDeque<usize>,
    answered: usize,
    /// Not answering by script for now; [`release`](Self::release)
    /// resumes.
    pub hold: bool,
    /// A reply ended in [`Then::Hold`], or [`stall`](Self::stall): never
    /// answers again.
    stalled: bool,
    /// Everything it sent, in order.
    pub out: Vec<u8>,
    /// Where complete final responses end in `out`.
    pub ends: Vec<ResponseEnd>,
    /// Where the heads that tell the client to write nothing more end in
    /// `out`.
    pub close_heads: Vec<usize>,
    /// Pauses in `out`: offset and length, in order.
    pauses: Vec<(usize, Duration)>,
    /// It closed or reset its side after this many bytes of `out`.
    pub end: Option<(usize, End)>,
    delivered: usize,
    next_pause: usize,
    end_delivered: bool,
    transmit: usize,
}

impl Default for Peer {
    fn default() -> Self {
        Peer::new()
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("scripted", &self.script.is_some())
            .field("received", &self.received.len())
            .field("waiting", &self.waiting.len())
            .field("hold", &self.hold)
            .field("stalled", &self.stalled)
            .field("sent", &self.out.len())
            .field("delivered", &self.delivered)
            .field("end", &self.end)
            .finish()
    }
}

impl Peer {
    /// A peer without a script: it answers only through
    /// [`respond`](Self::respond) and [`send`](Self::send).
    pub fn new() -> Self {
        Peer {
            script: None,
            parser: RequestParser::default(),
            received: Vec::new(),
            waiting: VecDeque::new(),
            answered: 0,
            hold: false,
            stalled: false,
            out: Vec::new(),
            ends: Vec::new(),
            close_heads: Vec::new(),
            pauses: Vec::new(),
            end: None,
            delivered: 0,
            next_pause: 0,
            end_delivered: false,
            transmit: 0,
        }
    }

    /// A peer answering each request with `script`'s reply.
    pub fn scripted(script: impl FnMut(&Received) -> Reply + Send + 'static) -> Self {
        Peer { script: Some(Box::new(script)), ..Peer::new() }
    }

    /// Replaces the script.
    pub fn set_script(&mut self, script: impl FnMut(&Received) -> Reply + Send + 'static) {
        self.script = Some(Box::new(script));
    }

    // ------------------------------------------------------------ getters

    /// Requests received and not answered.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The oldest request not answered.
    pub fn next_waiting(&self) -> Option<&Received> {
        self.waiting.front().map(|&i| &self.received[i])
    }

    /// Requests answered.
    pub fn answered(&self) -> usize {
        self.answered
    }

    /// It closed or reset its side.
    pub fn is_ended(&self) -> bool {
        self.end.is_some()
    }

    /// It stopped answering for good, the connection left open.
    pub fn is_stalled(&self) -> bool {
        self.stalled
    }

    /// It may still answer: neither ended nor stalled.
    pub fn is_answering(&self) -> bool {
        self.end.is_none() && !self.stalled
    }

    /// How many requests reached it with this method and target.
    pub fn count(&self, method: &str, target: &str) -> usize {
        self.received.iter().filter(|r| r.method == method && r.target == target).count()
    }

    /// The targets it received, in order.
    pub fn targets(&self) -> Vec<&str> {
        self.received.iter().map(|r| r.target.as_str()).collect()
    }

    /// Bytes of an incomplete request it holds.
    pub fn partial_request_bytes(&self) -> usize {
        self.parser.buffered().len()
    }

    /// Bytes of `out` taken by the driver.
    pub fn delivered(&self) -> usize {
        self.delivered
    }

    /// Bytes of `out` not taken yet.
    pub fn undelivered(&self) -> usize {
        self.out.len() - self.delivered
    }

    /// The driver took a head telling the client to write nothing more.
    pub fn close_head_delivered(&self) -> bool {
        self.close_heads.first().is_some_and(|&end| end <= self.delivered)
    }

    /// The end is still to be taken.
    pub fn end_due(&self) -> bool {
        self.end.is_some() && !self.end_delivered
    }

    // ------------------------------------------------------------ input

    /// Tags the requests completed from now on with this number (the
    /// client's transmit, say): [`Received::transmit`].
    pub fn set_transmit(&mut self, transmit: usize) {
        self.transmit = transmit;
    }

    /// The client wrote `bytes`: records every request they complete;
    /// returns how many. Answers nothing by itself.
    ///
    /// # Errors
    ///
    /// When the client's bytes are not a request. The requests before them
    /// are recorded; nothing after them is read.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<usize, ParseError> {
        let requests = self.parser.push(bytes);
        let count = requests.len();
        for request in requests {
            let index = self.received.len();
            let processed = self.is_answering();
            if self.end.is_none() {
                self.waiting.push_back(index);
            }
            let outstanding = index + 1 - self.answered;
            self.received.push(Received::new(request, index, processed, self.transmit, outstanding));
        }
        match self.parser.error() {
            Some(e) => Err(e.clone()),
            None => Ok(count),
        }
    }

    // ------------------------------------------------------------ commands

    /// Answers waiting requests by script, oldest first, until held,
    /// stalled or ended, or none waits; returns how many it answered.
    pub fn answer(&mut self) -> usize {
        let mut count = 0;
        while !self.hold && self.is_answering() {
            let Some(script) = self.script.as_mut() else { break };
            let Some(&index) = self.waiting.front() else { break };
            let reply = script(&self.received[index]);
            self.waiting.pop_front();
            self.answered += 1;
            self.send(reply);
            count += 1;
        }
        count
    }

    /// Answers the oldest waiting request with `reply`'s answer to it,
    /// unless the peer stopped answering (held or not); returns the
    /// request's index.
    pub fn respond(&mut self, reply: impl FnOnce(&Received) -> Reply) -> Option<usize> {
        if !self.is_answering() {
            return None;
        }
        let index = *self.waiting.front()?;
        let reply = reply(&self.received[index]);
        self.waiting.pop_front();
        self.answered += 1;
        self.send(reply);
        Some(index)
    }

    /// Sends `reply` now, answering nothing (unsolicited bytes).
    ///
    /// # Panics
    ///
    /// When the peer already ended the connection.
    pub fn send(&mut self, reply: Reply) {
        assert!(self.end.is_none(), "the peer already closed");
        let at = self.out.len();
        self.out.extend_from_slice(reply.bytes());
        self.ends.extend(reply.ends().iter().map(|e| ResponseEnd { at: at + e.at, ..*e }));
        self.close_heads.extend(reply.close_heads().iter().map(|&end| at + end));
        self.pauses.extend(reply.pauses().iter().map(|&(end, pause)| (at + end, pause)));
        match reply.then() {
            Then::Continue => {}
            Then::Eof => self.end = Some((self.out.len(), End::Eof)),
            Then::Reset => self.end = Some((self.out.len(), End::Reset)),
            Then::Hold => self.stalled = true,
        }
    }

    /// Resumes answering after a hold; answers what waited.
    pub fn release(&mut self) {
        self.hold = false;
        self.answer();
    }

    /// Stops answering for good, the connection left open.
    pub fn stall(&mut self) {
        self.stalled = true;
    }

    /// Ends the connection after what it sent so far (if not ended yet).
    pub fn close(&mut self, end: End) {
        self.end.get_or_insert((self.out.len(), end));
    }

    /// Closes at once: drops what the driver has not taken and ends there
    /// with EOF (unless it ended before that point). Returns the end for
    /// the driver to deliver now, unless it was taken before; either way it
    /// counts as taken.
    pub fn abort(&mut self) -> Option<End> {
        let at = self.delivered;
        self.out.truncate(at);
        self.ends.retain(|e| e.at <= at);
        self.close_heads.retain(|&end| end <= at);
        self.pauses.retain(|&(end, _)| end <= at);
        if self.end.is_none_or(|(end, _)| end > at) {
            self.end = Some((at, End::Eof));
        }
        self.take_end()
    }

    // ------------------------------------------------------------ output

    /// Takes up to `max` bytes of what it sent, pauses ignored.
    pub fn take(&mut self, max: usize) -> Vec<u8> {
        let upto = self.out.len().min(self.delivered.saturating_add(max));
        let bytes = self.out[self.delivered..upto].to_vec();
        self.delivered = upto;
        while self.pauses.get(self.next_pause).is_some_and(|&(at, _)| at < upto) {
            self.next_pause += 1;
        }
        bytes
    }

    /// Takes the end of the connection once every byte before it was
    /// taken, once.
    pub fn take_end(&mut self) -> Option<End> {
        match self.end {
            Some((at, end)) if !self.end_delivered && self.delivered >= at => {
                self.end_delivered = true;
                Some(end)
            }
            _ => None,
        }
    }

    /// The next thing a real-time driver does: write bytes up to the next
    /// pause, wait, or end the connection; `None` while there is nothing to
    /// do (until the peer answers more).
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(&(at, pause)) = self.pauses.get(self.next_pause) {
            if at <= self.delivered {
                self.next_pause += 1;
                return Some(Output::Pause(pause));
            }
        }
        let until = self.pauses.get(self.next_pause).map_or(self.out.len(), |&(at, _)| at);
        if self.delivered < until {
            let bytes = self.out[self.delivered..until].to_vec();
            self.delivered = until;
            return Some(Output::Bytes(bytes));
        }
        self.take_end().map(Output::End)
    }
}
