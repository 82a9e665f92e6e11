//! One open connection of the virtual network: the client's transport on
//! one side, the origin's server on the other, as the shared scripted peer
//! (`pipelining-peer`) answering by the connection's [`Plan`] and striking
//! its faults.

use crate::script::{Action, Answer, CloseStyle, Fault, MaxStyle, Plan, Script, Trigger, Version};
use crate::seen::{ConnStats, End, Received, Server};
use pipelining::{ConnectionId, Origin};
use pipelining_peer::message::ResponseBytes;
use pipelining_peer::{End as PeerEnd, Peer, Reply};

/// One open connection: the client's transport and the server's socket.
pub(crate) struct Link {
    pub(crate) origin: Origin,
    plan: Plan,
    /// The transmit the client's transport has not accepted yet.
    pub(crate) unwritten: Vec<u8>,
    /// The server's end: parses what the transport delivers, holds the
    /// requests not answered yet and the response bytes on their way.
    peer: Peer,
    /// Requests of `peer` already counted in the server's [`ConnStats`].
    counted: usize,
    close_next: bool,
    cut_next: bool,
}

impl Link {
    pub(crate) fn new(origin: Origin, plan: Plan) -> Self {
        Link { origin, plan, unwritten: Vec::new(), peer: Peer::new(), counted: 0, close_next: false, cut_next: false }
    }

    /// Changes how the server answers from now on.
    pub(crate) fn set_answer(&mut self, answer: Answer) {
        self.plan.answer = answer;
    }

    /// Puts a fault on the connection (or takes it off).
    pub(crate) fn set_fault(&mut self, fault: Option<Fault>) {
        self.plan.fault = fault;
    }

    /// Bytes the client's transport accepted reach the server, which reads
    /// nothing once it has closed.
    pub(crate) fn deliver_to_server(&mut self, bytes: &[u8]) {
        if !self.peer.is_ended() {
            self.peer.receive(bytes).unwrap_or_else(|e| panic!("the pool wrote an invalid request: {e}"));
        }
    }

    /// Whether response bytes wait to reach the client.
    pub(crate) fn has_bytes_for_client(&self) -> bool {
        self.peer.undelivered() > 0
    }

    /// Up to `max` response bytes for the client.
    pub(crate) fn take_for_client(&mut self, max: usize) -> Vec<u8> {
        self.peer.take(max)
    }

    /// The server's EOF or reset, once every byte before it reached the
    /// client; once.
    pub(crate) fn take_end(&mut self) -> Option<PeerEnd> {
        self.peer.take_end()
    }

    /// One server turn: count the requests read, strike faults, answer.
    /// Whether anything moved.
    pub(crate) fn serve(&mut self, conn: ConnectionId, server: &mut Server, seq: &mut u64) -> bool {
        if self.peer.is_ended() {
            return false;
        }
        let mut moved = false;
        let stats = server.stats(conn);
        for r in &self.peer.received[self.counted..] {
            assert_eq!(r.version, 1, "{} {} is not HTTP/1.1", r.method, r.target);
            *seq += 1;
            stats.received.push(Received {
                method: r.method.clone(),
                target: r.target.clone(),
                outstanding: r.outstanding,
                seq: *seq,
            });
            stats.max_outstanding = stats.max_outstanding.max(r.outstanding);
            moved = true;
        }
        self.counted = self.peer.received.len();
        if let Some(Fault { when: Trigger::Outstanding(n), action }) = self.plan.fault {
            if self.peer.waiting() >= n {
                self.plan.fault = None;
                self.strike(stats, action);
                moved = true;
            }
        }
        if let Some(chaos) = &mut server.script.chaos {
            if self.peer.waiting() > 0 && !self.peer.is_ended() && chaos.rng.chance(chaos.per_mille) {
                let action = chaos.rng.pick(&chaos.actions);
                self.strike(server.conns.iter_mut().find(|c| c.conn == conn).expect("accepted"), action);
                moved = true;
            }
        }
        let script = &server.script;
        let mut served = server.conns.iter().map(|c| c.responses).sum::<u64>();
        let stats = server.conns.iter_mut().find(|c| c.conn == conn).expect("accepted");
        let mut allowance = match self.plan.answer {
            Answer::All => usize::MAX,
            Answer::PerTurn(n) => n,
            Answer::UpTo(n) => usize::try_from(n.saturating_sub(stats.responses)).unwrap_or(usize::MAX),
            Answer::Hold => 0,
        };
        while allowance > 0 && self.peer.waiting() > 0 && self.peer.is_answering() {
            if let Some(Fault { when: Trigger::Responses(k), action }) = self.plan.fault {
                if stats.responses >= k {
                    self.plan.fault = None;
                    self.strike(stats, action);
                    moved = true;
                    continue;
                }
            }
            let n = stats.responses + 1;
            served += 1;
            let error = script.error_close_every.is_some_and(|every| served % every.max(1) == 0);
            let (mut close_header, mut eof_after) = (self.close_next || error, false);
            if let Some((limit, style)) = self.plan.close_after {
                if n >= limit {
                    match style {
                        CloseStyle::Header => close_header = true,
                        CloseStyle::Eof => eof_after = true,
                    }
                }
            }
            let further = self.plan.close_after.map(|(limit, _)| match script.max_style {
                MaxStyle::Countdown => limit.saturating_sub(n),
                MaxStyle::Repeat => limit,
            });
            let status = if error { 500 } else { 200 };
            moved = true;
            if self.cut_next {
                self.peer.respond(|r| {
                    let bytes = response(script, status, &r.method, &r.target, close_header, further);
                    let cut = (bytes.len() / 2).max(1);
                    Reply::raw(&bytes[..cut]).then_eof()
                });
                stats.end = Some(End::Cut);
                break;
            }
            let implicit_close = script.version == Version::Http10;
            self.peer.respond(|r| {
                let reply = Reply::raw(response(script, status, &r.method, &r.target, close_header, further));
                if close_header || implicit_close || eof_after { reply.then_eof() } else { reply }
            });
            stats.responses += 1;
            allowance -= 1;
            if close_header || implicit_close {
                stats.end = Some(End::ServerClose);
            } else if eof_after {
                stats.end = Some(End::Eof);
            }
        }
        moved
    }

    fn strike(&mut self, stats: &mut ConnStats, action: Action) {
        match action {
            Action::Eof => {
                self.peer.close(PeerEnd::Eof);
                stats.end = Some(End::Eof);
            }
            Action::Reset => {
                self.peer.close(PeerEnd::Reset);
                stats.end = Some(End::Reset);
            }
            Action::Cut => self.cut_next = true,
            Action::Stall => self.peer.stall(),
            Action::CloseHeader => self.close_next = true,
        }
    }
}

/// The body a server sends for `target`.
pub(crate) fn body_for(target: &str) -> Vec<u8> {
    format!("body of {target}").into_bytes()
}

/// The response to `method target`.
fn response(script: &Script, status: u16, method: &str, target: &str, close: bool, further: Option<u64>) -> Vec<u8> {
    let reason = if status == 200 { "OK" } else { "Internal Server Error" };
    let mut head = match script.version {
        Version::Http11 => ResponseBytes::new("HTTP/1.1", status, reason),
        Version::Http10 => ResponseBytes::new("HTTP/1.0", status, reason),
        Version::Http10KeepAlive => ResponseBytes::new("HTTP/1.0", status, reason).field("Connection", "keep-alive"),
    };
    head = head.field("X-Target", target);
    if close {
        head = head.field("Connection", "close");
    }
    if script.keep_alive_max && !close {
        if let Some(n) = further {
            head = head.field("Keep-Alive", format!("timeout=5, max={n}"));
        }
    }
    let body = body_for(target);
    let with_body = method != "HEAD";
    if script.chunked && script.version == Version::Http11 {
        let (a, b) = body.split_at(body.len() / 2);
        head.chunked(&[a, b], &[], with_body)
    } else {
        head.sized(&body, with_body)
    }
}
