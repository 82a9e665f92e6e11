//! Structured fuzz input shared by the targets: methods, request options and
//! the script an honest server follows when it answers a request.

use arbitrary::Arbitrary;
use bytes::Bytes;
use pipelining::h1::{Method, Request};
use pipelining::{Idempotency, Instant, RequestOptions};

/// A request method, biased towards the ones with special rules.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodChoice {
    /// `GET`.
    Get,
    /// `HEAD`: no content in its response.
    Head,
    /// `POST`: not idempotent.
    Post,
    /// `PUT`: idempotent, carries content.
    Put,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// `PATCH`: not idempotent.
    Patch,
    /// `CONNECT`: a 2xx answer ends HTTP on the connection.
    Connect,
    /// `TRACE`.
    Trace,
    /// An extension method, not idempotent.
    Purge,
}

impl MethodChoice {
    /// The method.
    pub fn method(self) -> Method {
        match self {
            MethodChoice::Get => Method::GET,
            MethodChoice::Head => Method::HEAD,
            MethodChoice::Post => Method::POST,
            MethodChoice::Put => Method::PUT,
            MethodChoice::Delete => Method::DELETE,
            MethodChoice::Options => Method::OPTIONS,
            MethodChoice::Patch => Method::PATCH,
            MethodChoice::Connect => Method::CONNECT,
            MethodChoice::Trace => Method::TRACE,
            MethodChoice::Purge => Method::from_bytes(b"PURGE").unwrap_or(Method::POST),
        }
    }
}

/// The idempotency override of a submission.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdempotencyChoice {
    /// By method (the default).
    ByMethod,
    /// Forced idempotent.
    Idempotent,
    /// Never retried.
    NeverRetry,
}

impl IdempotencyChoice {
    /// The option value.
    pub fn idempotency(self) -> Idempotency {
        match self {
            IdempotencyChoice::ByMethod => Idempotency::ByMethod,
            IdempotencyChoice::Idempotent => Idempotency::Idempotent,
            IdempotencyChoice::NeverRetry => Idempotency::NeverRetry,
        }
    }
}

/// Interim responses sent before the final one.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterimChoice {
    /// None.
    None,
    /// `100 Continue`.
    Continue,
    /// `103 Early Hints`.
    EarlyHints,
    /// Both.
    Both,
}

/// The final status.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChoice {
    /// 200.
    Ok,
    /// 201.
    Created,
    /// 204: no content.
    NoContent,
    /// 304: no content.
    NotModified,
    /// 404.
    NotFound,
    /// 500.
    ServerError,
    /// 101: HTTP ends on the connection.
    SwitchingProtocols,
}

impl StatusChoice {
    /// The code.
    pub fn code(self) -> u16 {
        match self {
            StatusChoice::Ok => 200,
            StatusChoice::Created => 201,
            StatusChoice::NoContent => 204,
            StatusChoice::NotModified => 304,
            StatusChoice::NotFound => 404,
            StatusChoice::ServerError => 500,
            StatusChoice::SwitchingProtocols => 101,
        }
    }
}

/// How the content of an honest response is delimited.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length`.
    Length,
    /// Chunked, the content cut into this many pieces (at least one).
    Chunked {
        /// Pieces.
        pieces: u8,
        /// A trailer section after the last chunk.
        trailers: bool,
    },
    /// Neither: the content ends when the server closes.
    UntilClose,
}

/// What the response says about the connection.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionChoice {
    /// No `Connection` field.
    Default,
    /// `Connection: close`.
    Close,
    /// `Connection: keep-alive`.
    KeepAlive,
    /// `Keep-Alive: max=N`: the server answers N more requests.
    KeepAliveMax(u8),
}

/// How an honest server answers one request.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Interim responses first.
    pub interim: InterimChoice,
    /// The final status.
    pub status: StatusChoice,
    /// Content framing.
    pub framing: BodyFraming,
    /// Connection signals.
    pub connection: ConnectionChoice,
    /// Answer as HTTP/1.0.
    pub http10: bool,
    /// The content is the request target repeated this many times (mod 4).
    pub repeat: u8,
    /// The server closes after this response without saying so (a server
    /// limit, or its idle close racing the next request).
    pub close_after: bool,
}

/// One submission: the request and its options, and how the server answers.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The method.
    pub method: MethodChoice,
    /// The replay policy.
    pub idempotency: IdempotencyChoice,
    /// Whole-response mode.
    pub whole: bool,
    /// A deadline this many milliseconds after submission.
    pub deadline_ms: Option<u16>,
    /// Nothing written behind it until its response begins (P13).
    pub blocking: bool,
    /// Content of this many bytes.
    pub body: Option<u8>,
    /// How the server answers it.
    pub reply: Reply,
}

impl Submission {
    /// The request with target `/{idx}`: bodies and header values name it so
    /// a response handed to the wrong request is seen.
    pub fn request(&self, idx: usize) -> Request {
        let target = target_of(idx);
        let mut request = Request::new(self.method.method(), target.clone());
        if let Some(len) = self.body {
            request = request.with_body(Bytes::from(vec![b'b'; usize::from(len % 64)]));
        }
        request.with_header("X-Request", target)
    }

    /// The options, with the deadline counted from `now`.
    pub fn options(&self, now: Instant) -> RequestOptions {
        let mut options = RequestOptions::DEFAULT.idempotency(self.idempotency.idempotency());
        if self.whole {
            options = options.whole();
        }
        if let Some(ms) = self.deadline_ms {
            options = options.deadline(now + pipelining::Duration::from_millis(u64::from(ms)));
        }
        if self.blocking {
            options = options.blocking();
        }
        options
    }

    /// Whether the connection may replay it once written (P5).
    pub fn replayable(&self) -> bool {
        match self.idempotency {
            IdempotencyChoice::ByMethod => self.method.method().is_idempotent(),
            IdempotencyChoice::Idempotent => true,
            IdempotencyChoice::NeverRetry => false,
        }
    }

    /// Whether the default policy writes it alone (P5).
    pub fn alone(&self) -> bool {
        self.idempotency == IdempotencyChoice::ByMethod && !self.method.method().is_idempotent()
    }

    /// The final status and content an honest server sends for it.
    pub fn expected(&self, idx: usize) -> (u16, Vec<u8>) {
        let status = self.final_status();
        let method = self.method.method();
        let bodiless = method.is_head()
            || status == 204
            || status == 304
            || status == 101
            || (method.is_connect() && (200..300).contains(&status));
        let body = if bodiless { String::new() } else { target_of(idx).repeat(usize::from(self.reply.repeat % 4)) };
        (status, body.into_bytes())
    }

    /// The final status an honest server sends: an HTTP/1.0 server never
    /// switches protocols.
    pub fn final_status(&self) -> u16 {
        match self.reply.status {
            StatusChoice::SwitchingProtocols if self.reply.http10 => 200,
            status => status.code(),
        }
    }
}

/// The target of the `idx`-th submission.
pub fn target_of(idx: usize) -> String {
    format!("/{idx}")
}

/// The submission index a target names.
pub fn idx_of(target: &[u8]) -> Option<usize> {
    std::str::from_utf8(target.strip_prefix(b"/")?).ok()?.parse().ok()
}

/// An amount of bytes to move: everything available, or at most `n + 1`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// Everything available.
    All,
    /// At most this many plus one.
    Some(u8),
    /// Nothing at all (a spurious call).
    Nothing,
}

impl Amount {
    /// How many of `available` bytes to move.
    pub fn of(self, available: usize) -> usize {
        match self {
            Amount::All => available,
            Amount::Some(n) => available.min(usize::from(n) + 1),
            Amount::Nothing => 0,
        }
    }
}
