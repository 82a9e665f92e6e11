//! What a caller chooses for one request at submission.

use crate::Instant;

/// Whether a request may be resent after it was written and lost
/// (`docs/DESIGN.md` P5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Idempotency {
    /// As the codec says (HTTP: by method, RFC 9110 §9.2.2).
    #[default]
    ByMethod,
    /// Safe to resend whatever the method, e.g. it carries an
    /// `Idempotency-Key` the server deduplicates on. Also pipelined freely.
    Idempotent,
    /// Never resend once written, even if the method is idempotent.
    NeverRetry,
}

/// How a request is treated on a connection, decided once from its
/// idempotency (`docs/DESIGN.md` P5): whether it may be resent once written,
/// and whether it must be written alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Handling {
    pub(crate) replayable: bool,
    pub(crate) alone: bool,
    pub(crate) rule: super::ReplayRule,
}

impl Handling {
    /// For a request submitted with `options` whose method (or command) is
    /// idempotent or not, under `policy`; an `exclusive` request (one that
    /// may end the protocol: an HTTP upgrade, CONNECT) and one whose options
    /// ask for it are always alone.
    pub(crate) fn of(
        options: &RequestOptions,
        by_method: bool,
        exclusive: bool,
        policy: super::NonIdempotentPolicy,
    ) -> Self {
        let (replayable, alone) = match options.idempotency {
            Idempotency::ByMethod => (by_method, !by_method),
            Idempotency::Idempotent => (true, false),
            Idempotency::NeverRetry => (false, false),
        };
        let alone = exclusive || options.alone || (alone && policy == super::NonIdempotentPolicy::Alone);
        Handling { replayable, alone, rule: super::ReplayRule::Standard }
    }

    /// With the codec's replay rule for the request.
    pub(crate) fn with_rule(mut self, rule: super::ReplayRule) -> Self {
        self.rule = rule;
        self
    }
}

/// Per-request choices made at submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Replay policy.
    pub idempotency: Idempotency,
    /// Buffer the whole response and report it as one
    /// [`Event::Complete`](super::Event::Complete) instead of streaming parts.
    pub whole: bool,
    /// Fail the request with a timeout if its response is not complete by
    /// then (P10). Counted from submission by the caller's choice of value.
    pub deadline: Option<Instant>,
    /// Write nothing behind this request until its response head has
    /// arrived (P13; undici's `blocking`): for a request whose answer may be
    /// slow or large.
    pub blocking: bool,
    /// Fail the request with a timeout if its response is not complete this
    /// long after it was submitted (P10): a pool (or dispatcher) turns it
    /// into a deadline; the earlier of the two holds. A bare connection uses
    /// `deadline` only.
    pub timeout: Option<crate::Duration>,
    /// Overrides the connection's `headers_timeout` for this request (P10).
    pub headers_timeout: Option<crate::Duration>,
    /// Overrides the connection's `body_timeout` for this request (P10).
    pub body_timeout: Option<crate::Duration>,
    /// Write this request alone: only on a connection with nothing
    /// outstanding, and nothing behind it until its final response, as a
    /// non-idempotent request is by default (P5). Its replay policy is
    /// unchanged. The drivers set it on requests sent through an HTTP proxy
    /// that is not trusted to pipeline (docs/DESIGN.md Defaults).
    pub alone: bool,
}

impl RequestOptions {
    /// Streaming, replay by method, no deadline.
    pub const DEFAULT: RequestOptions = RequestOptions {
        idempotency: Idempotency::ByMethod,
        whole: false,
        deadline: None,
        blocking: false,
        timeout: None,
        headers_timeout: None,
        body_timeout: None,
        alone: false,
    };

    /// Whole-response mode.
    #[must_use]
    pub fn whole(mut self) -> Self {
        self.whole = true;
        self
    }

    /// With a deadline.
    #[must_use]
    pub fn deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(at);
        self
    }

    /// With a timeout counted from submission.
    #[must_use]
    pub fn timeout(mut self, timeout: crate::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long its response head may take after it was written, and each
    /// piece of its body after that (P10).
    #[must_use]
    pub fn progress_timeouts(mut self, headers: Option<crate::Duration>, body: Option<crate::Duration>) -> Self {
        self.headers_timeout = headers;
        self.body_timeout = body;
        self
    }

    /// Nothing written behind it until its response head arrives.
    #[must_use]
    pub fn blocking(mut self) -> Self {
        self.blocking = true;
        self
    }

    /// Written alone, with nothing outstanding beside it.
    #[must_use]
    pub fn alone(mut self) -> Self {
        self.alone = true;
        self
    }

    /// With a replay policy.
    #[must_use]
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }
}
