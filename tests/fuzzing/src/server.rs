//! The far end of a fuzzed connection: an honest HTTP/1.1 server (the
//! shared scripted peer, `pipelining-peer`) that answers each request as
//! its submission's script says, and the link that carries bytes both ways
//! and remembers where each request sat on the wire.

use crate::script::{Amount, BodyFraming, ConnectionChoice, InterimChoice, Submission, idx_of, target_of};
use pipelining::Progress;
use pipelining_peer::message::{ResponseBytes, chunked_body};
use pipelining_peer::{Peer, Reply, request};

/// Checks that `parsed` is the request submission `idx` asked for, and
/// returns `idx`. Panics if the client wrote something that is not the
/// request it was given: the encoder or the pipeline corrupted the stream.
fn check_request(parsed: &request::Request, subs: &[Submission], host: &str) -> usize {
    let target = parsed.target.as_bytes();
    let idx = idx_of(target).unwrap_or_else(|| panic!("unknown target {target:?}"));
    let sub = subs.get(idx).unwrap_or_else(|| panic!("target of a request never submitted: {idx}"));
    assert_eq!(parsed.method, sub.method.method().as_str(), "method of request {idx}");
    assert_eq!(parsed.version, 1, "request {idx} is not HTTP/1.1");
    assert_eq!(parsed.header("host"), Some(host), "Host of request {idx}");
    assert_eq!(parsed.header("x-request"), Some(parsed.target.as_str()), "request {idx} carries another's field");
    let expected = sub.request(idx).body.full().map_or(0, |b| b.len());
    assert_eq!(parsed.body.len(), expected, "content length of request {idx}");
    assert!(parsed.body.iter().all(|&b| b == b'b'), "content of request {idx}");
    idx
}

/// An honest server on one connection.
#[derive(Debug, Default)]
pub(crate) struct HonestServer {
    /// The server end: parses what the transport delivers, keeps what it
    /// sent and how much of it was delivered, and ends the connection
    /// (EOF) or stops speaking HTTP on it (a tunnel) as the replies say.
    peer: Peer,
    /// Requests it may still answer after a `Keep-Alive: max`.
    keep_alive_left: Option<u64>,
    /// Where a close-delimited body begins (always the last thing sent).
    until_close_body: Option<usize>,
    /// Submission indices of the requests it processed, in order.
    pub(crate) processed: Vec<usize>,
}

impl HonestServer {
    /// The transport delivered `data` from the client (bytes of transmits
    /// [`Link::on_transmit`] checked).
    pub(crate) fn receive(&mut self, data: &[u8], subs: &[Submission]) {
        if !self.peer.is_answering() {
            return;
        }
        self.peer.receive(data).unwrap_or_else(|e| {
            panic!("the client wrote an unparsable request ({e}): {:?}", String::from_utf8_lossy(data))
        });
        loop {
            let start = self.peer.out.len();
            let keep_alive_left = &mut self.keep_alive_left;
            let mut answered = None;
            let responded = self.peer.respond(|r| {
                let idx = idx_of(r.target.as_bytes()).expect("a checked target");
                let (reply, body_at) = respond(idx, &subs[idx], keep_alive_left);
                answered = Some((idx, body_at));
                reply
            });
            let (Some(_), Some((idx, body_at))) = (responded, answered) else { break };
            self.processed.push(idx);
            if let Some(at) = body_at {
                self.until_close_body = Some(start + at);
            }
        }
    }

    /// Bytes sent and not yet delivered.
    pub(crate) fn undelivered(&self) -> usize {
        self.peer.undelivered()
    }

    /// Takes up to `amount` of the undelivered bytes, and whether the
    /// server's close (EOF) follows them now.
    pub(crate) fn take(&mut self, amount: Amount) -> (Vec<u8>, bool) {
        let data = self.peer.take(amount.of(self.peer.undelivered()));
        let eof = self.peer.take_end().is_some();
        (data, eof)
    }

    /// Whether closing now would cut a close-delimited body after its head
    /// was delivered: the client then takes the shorter body as complete, as
    /// it must (RFC 9112 §6.3 rule 8), so the content no longer matches.
    pub(crate) fn abort_cuts_body(&self) -> bool {
        self.until_close_body.is_some_and(|start| self.peer.delivered() >= start && self.peer.undelivered() > 0)
    }

    /// The server closes at once, dropping what it has not delivered; the
    /// caller delivers the end.
    pub(crate) fn abort(&mut self) {
        let _ = self.peer.abort();
    }

    /// Whether the client has received a head telling it to write nothing
    /// more (`close`, HTTP/1.0 without keep-alive, close-delimited content,
    /// the end of HTTP).
    pub(crate) fn close_head_delivered(&self) -> bool {
        self.peer.close_head_delivered()
    }

    /// Whether the server still expects to deliver an EOF.
    pub(crate) fn eof_due(&self) -> bool {
        self.peer.end_due()
    }
}

/// The honest answer to submission `idx`, and where in it a close-delimited
/// body begins. `keep_alive_left` counts down a `Keep-Alive: max` over the
/// connection.
fn respond(idx: usize, sub: &Submission, keep_alive_left: &mut Option<u64>) -> (Reply, Option<usize>) {
    let reply = sub.reply;
    let target = target_of(idx);
    let method = sub.method.method();
    let version = if reply.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
    let mut out = Vec::new();
    if !reply.http10 {
        let interims: &[u16] = match reply.interim {
            InterimChoice::None => &[],
            InterimChoice::Continue => &[100],
            InterimChoice::EarlyHints => &[103],
            InterimChoice::Both => &[100, 103],
        };
        for &code in interims {
            out.extend(ResponseBytes::new("HTTP/1.1", code, "Interim").field("X-Target", &target).head());
        }
    }
    let (status, _) = sub.expected(idx);
    let mut head = ResponseBytes::new(version, status, "Fuzz").field("X-Target", &target);
    if status == 101 || (method.is_connect() && (200..300).contains(&status)) {
        if status == 101 {
            head = head.field("Upgrade", "fuzz").field("Connection", "upgrade");
        }
        out.extend(head.head());
        // The new protocol's bytes, made to look like HTTP: they must never
        // be read as a response.
        let tunnel = Reply::raw(&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..]);
        return (Reply::raw(out).close_head().and(tunnel).then_hold(), None);
    }

    let mut close = reply.connection == ConnectionChoice::Close;
    let mut max = None;
    if let Some(left) = *keep_alive_left {
        let left = left.saturating_sub(1);
        *keep_alive_left = Some(left);
        if left == 0 {
            close = true;
        } else {
            max = Some(left);
        }
    } else if let ConnectionChoice::KeepAliveMax(n) = reply.connection {
        let n = u64::from(n % 8);
        *keep_alive_left = Some(n);
        if n == 0 {
            close = true;
        } else {
            max = Some(n);
        }
    }
    let keep_alive_token = !close && (reply.connection != ConnectionChoice::Default || max.is_some());
    if close {
        head = head.field("Connection", "close");
    } else if keep_alive_token {
        head = head.field("Connection", "keep-alive");
    }
    if let Some(max) = max {
        head = head.field("Keep-Alive", format!("timeout=5, max={max}"));
    }

    let has_content = !(status == 204 || status == 304);
    let content = target.repeat(usize::from(reply.repeat % 4));
    let framing = match reply.framing {
        BodyFraming::Chunked { .. } if reply.http10 => BodyFraming::Length,
        other => other,
    };
    let mut body = Vec::new();
    let mut until_close = false;
    if has_content {
        match framing {
            BodyFraming::Length => {
                head = head.field("Content-Length", content.len());
                body = content.into_bytes();
            }
            BodyFraming::Chunked { pieces, trailers } => {
                head = head.field("Transfer-Encoding", "chunked");
                let pieces = usize::from(pieces % 4) + 1;
                let size = content.len().div_ceil(pieces).max(1);
                let chunks: Vec<&[u8]> = content.as_bytes().chunks(size).collect();
                let trailer = [("X-Trailer", target.as_str())];
                body = chunked_body(&chunks, if trailers { &trailer } else { &[] });
            }
            BodyFraming::UntilClose => {
                body = content.into_bytes();
                until_close = !method.is_head();
            }
        }
    }
    out.extend(head.head());
    let signalled = close || (reply.http10 && !keep_alive_token) || until_close;
    let head_end = out.len();
    let mut answer = Reply::raw(out);
    if signalled {
        answer = answer.close_head();
    }
    if !method.is_head() {
        answer = answer.and(Reply::raw(body));
    }
    if signalled || reply.close_after {
        answer = answer.then_eof();
    }
    (answer, until_close.then_some(head_end))
}

/// Where one request sat in a connection's output stream.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WireRequest {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) idx: usize,
}

/// Both directions of one connection: the transmit being written, the
/// requests on the wire, and the server.
#[derive(Debug, Default)]
pub(crate) struct Link {
    pub(crate) server: HonestServer,
    transmit: Vec<u8>,
    written: usize,
    /// Bytes of the output stream handed out, and accepted.
    pub(crate) encoded: u64,
    pub(crate) accepted: u64,
    pub(crate) wire: Vec<WireRequest>,
    /// Bytes not from the honest server were delivered: responses can no
    /// longer be expected to match their requests.
    pub(crate) tainted: bool,
    host: String,
}

impl Link {
    /// A link to a server answering as `host`.
    pub(crate) fn new(host: &str) -> Self {
        Link { host: host.to_owned(), ..Link::default() }
    }

    /// Whether part of the last transmit waits to be written.
    pub(crate) fn writing(&self) -> bool {
        self.written < self.transmit.len()
    }

    /// A new transmit: parsed into whole requests (the pipeline writes whole
    /// requests in each transmit); returns their submission indices.
    pub(crate) fn on_transmit(&mut self, bytes: &[u8], subs: &[Submission]) -> Vec<usize> {
        assert!(!self.writing(), "a new transmit before the last one was written");
        let mut at = 0;
        let mut written = Vec::new();
        while at < bytes.len() {
            let (parsed, len) = request::parse(&bytes[at..])
                .unwrap_or_else(|e| {
                    panic!("the client wrote an unparsable request ({e}): {:?}", String::from_utf8_lossy(bytes))
                })
                .unwrap_or_else(|| panic!("a transmit ends inside a request: {:?}", String::from_utf8_lossy(bytes)));
            let idx = check_request(&parsed, subs, &self.host);
            let start = self.encoded + at as u64;
            self.wire.push(WireRequest { start, end: start + len as u64, idx });
            written.push(idx);
            at += len;
        }
        self.encoded += bytes.len() as u64;
        self.transmit = bytes.to_vec();
        self.written = 0;
        written
    }

    /// The transport accepts up to `amount` more bytes of the transmit; they
    /// reach the server. Returns how many.
    pub(crate) fn write(&mut self, amount: Amount, subs: &[Submission]) -> usize {
        let n = amount.of(self.transmit.len() - self.written);
        let chunk = &self.transmit[self.written..self.written + n];
        self.server.receive(chunk, subs);
        self.written += n;
        self.accepted += n as u64;
        n
    }

    /// Submission indices of the requests whose first byte the transport
    /// accepted since `before` bytes had been accepted.
    pub(crate) fn started_since(&self, before: u64) -> Vec<usize> {
        self.wire.iter().filter(|w| w.start >= before && w.start < self.accepted).map(|w| w.idx).collect()
    }

    /// How far the last copy of submission `idx` written here got on the
    /// wire, if it was encoded here at all.
    pub(crate) fn progress(&self, idx: usize) -> Option<Progress> {
        let w = self.wire.iter().rev().find(|w| w.idx == idx)?;
        Some(if self.accepted >= w.end {
            Progress::Written
        } else if self.accepted > w.start {
            Progress::PartlyWritten
        } else {
            Progress::NotWritten
        })
    }
}
