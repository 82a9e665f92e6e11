//! The outcome vocabulary every layer shares: how far a request got, what
//! may be done with it, why it ended, why a connection closed and what that
//! close teaches — and the one function that names a final failure
//! ([`error_kind`], `docs/DESIGN.md` C1). Every front end (the drivers, the
//! command line, JavaScript) reports what this module computes; nothing
//! re-derives it.

use crate::ErrorKind;
use core::fmt;

/// How far a request got before it ended without a response (`docs/DESIGN.md`
/// P8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Progress {
    /// No byte of it reached the transport.
    NotWritten,
    /// Some but not all of its bytes were accepted by the transport.
    PartlyWritten,
    /// All of its bytes were accepted by the transport.
    Written,
    /// Part of its response had arrived.
    ResponsePartlyReceived,
}

impl Progress {
    /// Whether any of it may have reached the server.
    pub const fn was_written(self) -> bool {
        !matches!(self, Progress::NotWritten)
    }
}

/// What may be done with a request that ended without a response on its
/// connection (`docs/DESIGN.md` P7, P8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retry {
    /// Send it elsewhere without spending a try: it was never written, or the
    /// server is known not to have processed it.
    Move,
    /// It may have reached the server, but it is idempotent: resend it,
    /// spending a try.
    Replay,
    /// Never resend it.
    Never,
}

/// Why a connection closed; as a failure cause, why a request was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The caller closed the connection.
    Local,
    /// A response said the connection closes after it (`Connection: close`,
    /// or an HTTP/1.0 response without keep-alive, RFC 9112 §9.6).
    ServerClose,
    /// The peer closed at a response boundary.
    PeerClosed,
    /// The peer closed inside a response.
    Truncated,
    /// The transport failed (reset, …).
    Transport,
    /// Requests were outstanding and nothing moved for the stall timeout.
    StallTimeout,
    /// Nothing was outstanding for the idle timeout.
    IdleTimeout,
    /// A response broke the protocol, or bytes arrived with nothing
    /// outstanding.
    Protocol,
    /// The protocol ended (HTTP 101, CONNECT 2xx); the transport now carries
    /// something else.
    Upgraded,
    /// A cancelled request's response was too large to read and drop.
    CancelDrain,
    /// The request budget is spent and nothing is outstanding.
    BudgetSpent,
    /// The server refused the connection's setup (a wrong password).
    SetupRefused,
}

impl CloseReason {
    /// A stable snake_case name (`"stall_timeout"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            CloseReason::Local => "local",
            CloseReason::ServerClose => "server_close",
            CloseReason::PeerClosed => "peer_closed",
            CloseReason::Truncated => "truncated",
            CloseReason::Transport => "transport",
            CloseReason::StallTimeout => "stall_timeout",
            CloseReason::IdleTimeout => "idle_timeout",
            CloseReason::Protocol => "protocol",
            CloseReason::Upgraded => "upgraded",
            CloseReason::CancelDrain => "cancel_drain",
            CloseReason::BudgetSpent => "budget_spent",
            CloseReason::SetupRefused => "setup_refused",
        }
    }

    /// Why a request was lost with a connection closed for this reason, in
    /// words, for error messages.
    pub const fn describe(self) -> &'static str {
        match self {
            CloseReason::Local => "the client closed the connection",
            CloseReason::ServerClose => "the server closed the connection after a `Connection: close` response",
            CloseReason::PeerClosed => "the server closed the connection",
            CloseReason::Truncated => "the server closed the connection in the middle of a response",
            CloseReason::Transport => "the connection failed (reset or I/O error)",
            CloseReason::StallTimeout => "nothing arrived for the stall timeout",
            CloseReason::IdleTimeout => "the connection idled out",
            CloseReason::Protocol => "an earlier response on the connection broke the protocol",
            CloseReason::Upgraded => "the connection switched protocols",
            CloseReason::CancelDrain => "the connection was closed to drop a cancelled response",
            CloseReason::BudgetSpent => "the connection's request budget was spent",
            CloseReason::SetupRefused => "the server refused the connection's setup",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a connection's end says about its server, for the pool's memory
/// (`docs/DESIGN.md` P6, P11). Exactly one applies to every close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lesson {
    /// Nothing to learn: we closed it, it idled out, its budget was spent,
    /// it was upgraded, or a response broke one of our own limits.
    Nothing,
    /// A pipeline break (P6): a response cut off mid-way, a reset, transport
    /// error or stall with two or more requests outstanding, or a framing
    /// error. Two within the break window demote the origin.
    PipelineBreak,
    /// A server close (P6): the peer closed at a response boundary with
    /// requests outstanding, or after a response that said `close`. It
    /// teaches the request budget (P11).
    ServerClose,
    /// The stale-connection race (P6): the peer closed or reset before any
    /// response byte on a connection reused after idling. Its idempotent
    /// requests move without spending a try; nothing is learned.
    StaleRace,
}

impl Lesson {
    /// A stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Lesson::Nothing => "nothing",
            Lesson::PipelineBreak => "pipeline_break",
            Lesson::ServerClose => "server_close",
            Lesson::StaleRace => "stale_race",
        }
    }
}

impl fmt::Display for Lesson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one request ended without a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause<E> {
    /// The caller cancelled it.
    Cancelled,
    /// Its own deadline passed before its response was complete.
    Deadline,
    /// Its own response broke the protocol or a limit.
    Response(E),
    /// The connection was lost for this reason.
    Lost(CloseReason),
    /// The codec refused to encode it although it passed validation.
    Unencodable,
    /// Every allowed connect to its origin failed (the pool gave up).
    ConnectFailed,
    /// Never written here, handed back to go elsewhere: the connection will
    /// not write soon (a large response ahead of it, P13).
    Rerouted,
}

/// A peer's protocol violation as a codec reports it.
pub trait CodecError: fmt::Debug + fmt::Display + Clone {
    /// The C5 name of the error.
    fn kind(&self) -> ErrorKind;
    /// Whether the response being received is itself at fault (broken
    /// framing, a limit): its request then fails and is not replayed
    /// (`docs/DESIGN.md` P8). `false` for a connection that merely ended
    /// mid-way.
    fn is_response_fault(&self) -> bool;
}

/// Why the pool stopped resending a request that could otherwise have been
/// resent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GaveUp {
    /// Every allowed try was spent on replayable losses; `allowed` is the
    /// configured number of tries.
    Tries {
        /// `max_tries`.
        allowed: u32,
    },
    /// It was moved (resent without spending a try) more often than the
    /// bound on free resends allows (`docs/DESIGN.md` P8).
    Moves,
    /// The pool was closing and sends nothing more.
    Closing,
}

/// Everything that decides the name of a request's final failure.
#[derive(Clone, Copy, Debug)]
pub struct Ending<'a, E> {
    /// Why its last attempt ended.
    pub cause: &'a Cause<E>,
    /// How far its last attempt got.
    pub progress: Progress,
    /// Whether it may be resent once written (idempotent, or marked so).
    pub replayable: bool,
    /// What the connection said may be done with it.
    pub retry: Retry,
    /// Why it was not resent although `retry` allowed it, if so.
    pub gave_up: Option<GaveUp>,
}

/// The C1 name of a request's final failure — the only place the precedence
/// is written (`docs/DESIGN.md` C1):
///
/// 1. the cause itself: failed connects → `connect`; cancelled →
///    `cancelled`; its deadline → `timeout`; its own response broke framing
///    or a limit → `protocol` / `limit`; it could not be encoded →
///    `invalid_request`;
/// 2. a written request that may not be resent (not idempotent) and that
///    nothing says was unprocessed → `may_have_been_processed`. A request
///    behind a `close` response is [`Retry::Move`]: RFC 9112 §9.6 says it
///    was not processed, so it is never named so, even when its moves run
///    out;
/// 3. `max_tries` when more than one try was allowed and every one ended in
///    a replayable loss;
/// 4. the loss: a stall → `timeout`, anything else → `connection_lost`.
pub fn error_kind<E: CodecError>(ending: &Ending<'_, E>) -> ErrorKind {
    match ending.cause {
        Cause::ConnectFailed => return ErrorKind::Connect,
        Cause::Cancelled => return ErrorKind::Cancelled,
        Cause::Deadline => return ErrorKind::Timeout,
        Cause::Response(e) => return e.kind(),
        Cause::Unencodable => return ErrorKind::InvalidRequest,
        Cause::Lost(_) | Cause::Rerouted => {}
    }
    if ending.retry == Retry::Never && !ending.replayable && ending.progress.was_written() {
        return ErrorKind::MayHaveBeenProcessed;
    }
    if matches!(ending.gave_up, Some(GaveUp::Tries { allowed }) if allowed > 1) && ending.retry == Retry::Replay {
        return ErrorKind::MaxTries;
    }
    match ending.cause {
        Cause::Lost(CloseReason::StallTimeout) => ErrorKind::Timeout,
        _ => ErrorKind::ConnectionLost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Fault(ErrorKind);

    impl fmt::Display for Fault {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}", self.0)
        }
    }

    impl CodecError for Fault {
        fn kind(&self) -> ErrorKind {
            self.0
        }

        fn is_response_fault(&self) -> bool {
            true
        }
    }

    const PROGRESS: [Progress; 4] =
        [Progress::NotWritten, Progress::PartlyWritten, Progress::Written, Progress::ResponsePartlyReceived];
    const RETRY: [Retry; 3] = [Retry::Move, Retry::Replay, Retry::Never];
    const GAVE_UP: [Option<GaveUp>; 5] = [
        None,
        Some(GaveUp::Tries { allowed: 1 }),
        Some(GaveUp::Tries { allowed: 3 }),
        Some(GaveUp::Moves),
        Some(GaveUp::Closing),
    ];

    fn causes() -> Vec<Cause<Fault>> {
        let mut causes = alloc::vec![
            Cause::Cancelled,
            Cause::Deadline,
            Cause::Response(Fault(ErrorKind::Protocol)),
            Cause::Response(Fault(ErrorKind::Limit)),
            Cause::Unencodable,
            Cause::ConnectFailed,
            Cause::Rerouted,
        ];
        for reason in [
            CloseReason::Local,
            CloseReason::ServerClose,
            CloseReason::PeerClosed,
            CloseReason::Truncated,
            CloseReason::Transport,
            CloseReason::StallTimeout,
            CloseReason::IdleTimeout,
            CloseReason::Protocol,
            CloseReason::Upgraded,
            CloseReason::CancelDrain,
            CloseReason::BudgetSpent,
            CloseReason::SetupRefused,
        ] {
            causes.push(Cause::Lost(reason));
        }
        causes
    }

    /// The precedence restated as an independent table, row by row, and
    /// compared with [`error_kind`] over every combination of its inputs.
    fn expected(
        cause: &Cause<Fault>,
        progress: Progress,
        replayable: bool,
        retry: Retry,
        gave_up: Option<GaveUp>,
    ) -> ErrorKind {
        let lost_reason = match cause {
            Cause::ConnectFailed => return ErrorKind::Connect,
            Cause::Cancelled => return ErrorKind::Cancelled,
            Cause::Deadline => return ErrorKind::Timeout,
            Cause::Response(Fault(kind)) => return *kind,
            Cause::Unencodable => return ErrorKind::InvalidRequest,
            Cause::Lost(reason) => *reason,
            // Handed back unwritten: named like any loss but a stall.
            Cause::Rerouted => CloseReason::Local,
        };
        let written = progress != Progress::NotWritten;
        let may_have_been_processed = written && !replayable && retry == Retry::Never;
        let tries_spent = retry == Retry::Replay && matches!(gave_up, Some(GaveUp::Tries { allowed }) if allowed >= 2);
        match (may_have_been_processed, tries_spent, lost_reason) {
            (true, _, _) => ErrorKind::MayHaveBeenProcessed,
            (false, true, _) => ErrorKind::MaxTries,
            (false, false, CloseReason::StallTimeout) => ErrorKind::Timeout,
            (false, false, _) => ErrorKind::ConnectionLost,
        }
    }

    #[test]
    fn every_combination_matches_the_c1_table() {
        let mut checked = 0;
        for cause in causes() {
            for progress in PROGRESS {
                for replayable in [false, true] {
                    for retry in RETRY {
                        for gave_up in GAVE_UP {
                            let ending = Ending { cause: &cause, progress, replayable, retry, gave_up };
                            assert_eq!(
                                error_kind(&ending),
                                expected(&cause, progress, replayable, retry, gave_up),
                                "{ending:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 19 * 4 * 2 * 3 * 5);
    }

    #[test]
    fn a_post_moved_after_a_close_response_that_runs_out_of_moves_is_connection_lost() {
        // RFC 9112 §9.6: what followed a `close` response was not processed.
        let cause = Cause::<Fault>::Lost(CloseReason::ServerClose);
        let ending = Ending {
            cause: &cause,
            progress: Progress::Written,
            replayable: false,
            retry: Retry::Move,
            gave_up: Some(GaveUp::Moves),
        };
        assert_eq!(error_kind(&ending), ErrorKind::ConnectionLost);
    }

    #[test]
    fn a_written_post_lost_otherwise_may_have_been_processed() {
        let cause = Cause::<Fault>::Lost(CloseReason::Transport);
        let ending = Ending {
            cause: &cause,
            progress: Progress::PartlyWritten,
            replayable: false,
            retry: Retry::Never,
            gave_up: None,
        };
        assert_eq!(error_kind(&ending), ErrorKind::MayHaveBeenProcessed);
    }

    #[test]
    fn max_tries_needs_more_than_one_allowed_try() {
        let cause = Cause::<Fault>::Lost(CloseReason::StallTimeout);
        let mut ending = Ending {
            cause: &cause,
            progress: Progress::Written,
            replayable: true,
            retry: Retry::Replay,
            gave_up: Some(GaveUp::Tries { allowed: 3 }),
        };
        assert_eq!(error_kind(&ending), ErrorKind::MaxTries);
        ending.gave_up = Some(GaveUp::Tries { allowed: 1 });
        assert_eq!(error_kind(&ending), ErrorKind::Timeout);
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(CloseReason::StallTimeout.as_str(), "stall_timeout");
        assert_eq!(alloc::format!("{}", Lesson::PipelineBreak), "pipeline_break");
    }
}
