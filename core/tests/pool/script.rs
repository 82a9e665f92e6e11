//! What each origin's server does: its HTTP version and framing, how it
//! answers connects, how each connection answers and ends, and scripted or
//! random faults.

use crate::rng::Rng;
use std::collections::VecDeque;

/// What the server puts on its status lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Http11,
    /// HTTP/1.0 without keep-alive: one response per connection.
    Http10,
    /// HTTP/1.0 with `Connection: keep-alive`: persistent, never pipelined to.
    Http10KeepAlive,
}

/// How a server ends a connection after its request limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseStyle {
    /// `Connection: close` on the last response (nginx `keepalive_requests`).
    Header,
    /// A plain EOF right after the last response.
    Eof,
}

/// How many requests a server answers per turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Everything it has.
    All,
    /// At most this many per turn.
    PerTurn(usize),
    /// Until it has sent this many responses on the connection, then it
    /// holds the rest.
    UpTo(u64),
    /// Nothing.
    Hold,
}

/// When a scripted fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// When the server is about to send response `n + 1`.
    Responses(u64),
    /// As soon as this many requests are outstanding.
    Outstanding(usize),
}

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// EOF at a response boundary.
    Eof,
    /// The next response is cut in the middle, then EOF.
    Cut,
    /// A reset: the client sees a transport error.
    Reset,
    /// The server stops answering (the client's stall timer fires).
    Stall,
    /// `Connection: close` on the next response.
    CloseHeader,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) when: Trigger,
    pub(crate) action: Action,
}

/// How the server answers a connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Connect {
    Accept,
    Refuse,
    /// Never answered: only the pool's connect timeout ends it.
    Hang,
}

/// How one accepted connection behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) answer: Answer,
    /// Close after this many responses.
    pub(crate) close_after: Option<(u64, CloseStyle)>,
    pub(crate) fault: Option<Fault>,
}

impl Plan {
    pub(crate) const NORMAL: Plan = Plan { answer: Answer::All, close_after: None, fault: None };

    pub(crate) fn close_after(n: u64, style: CloseStyle) -> Plan {
        Plan { close_after: Some((n, style)), ..Plan::NORMAL }
    }

    pub(crate) fn fault(when: Trigger, action: Action) -> Plan {
        Plan { fault: Some(Fault { when, action }), ..Plan::NORMAL }
    }

    pub(crate) fn answer(answer: Answer) -> Plan {
        Plan { answer, ..Plan::NORMAL }
    }
}

/// Random faults: on each turn of a connection with requests outstanding,
/// with probability `per_mille`/1000, one of `actions`.
#[derive(Clone, Debug)]
pub(crate) struct Chaos {
    pub(crate) per_mille: u64,
    pub(crate) actions: Vec<Action>,
    pub(crate) rng: Rng,
}

/// How a server words `Keep-Alive: max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MaxStyle {
    /// The requests it will still answer (Apache).
    Countdown,
    /// The same limit on every response (Node's `maxRequestsPerSocket`).
    Repeat,
}

/// The behaviour of one origin's server.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    pub(crate) version: Version,
    /// Chunked responses instead of `Content-Length`.
    pub(crate) chunked: bool,
    /// Announce the remaining requests of `close_after` with `Keep-Alive: max=N`.
    pub(crate) keep_alive_max: bool,
    /// How `max` is worded.
    pub(crate) max_style: MaxStyle,
    /// Every this many responses (counted over the server's connections),
    /// an error status whose response closes the connection: Python's
    /// `http.server` on a 404, nginx after a 500.
    pub(crate) error_close_every: Option<u64>,
    /// Answers to the first connects, then `connect`.
    pub(crate) connects: VecDeque<Connect>,
    pub(crate) connect: Connect,
    /// Plans of the first connections, in accept order, then `plan`.
    pub(crate) plans: VecDeque<Plan>,
    pub(crate) plan: Plan,
    pub(crate) chaos: Option<Chaos>,
}

impl Script {
    /// A well-behaved HTTP/1.1 server.
    pub(crate) fn http11() -> Self {
        Script {
            version: Version::Http11,
            chunked: false,
            keep_alive_max: false,
            max_style: MaxStyle::Countdown,
            error_close_every: None,
            connects: VecDeque::new(),
            connect: Connect::Accept,
            plans: VecDeque::new(),
            plan: Plan::NORMAL,
            chaos: None,
        }
    }

    pub(crate) fn version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    pub(crate) fn plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    pub(crate) fn plans(mut self, plans: impl IntoIterator<Item = Plan>) -> Self {
        self.plans = plans.into_iter().collect();
        self
    }

    pub(crate) fn connects(mut self, connects: impl IntoIterator<Item = Connect>, then: Connect) -> Self {
        self.connects = connects.into_iter().collect();
        self.connect = then;
        self
    }
}
