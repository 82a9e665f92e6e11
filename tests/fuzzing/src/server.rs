//! The far end of a fuzzed connection: an honest HTTP/1.1 server that parses
//! the requests the transport accepted and answers each as its script says,
//! and the link that carries bytes both ways and remembers where each
//! request sat on the wire.

use crate::script::{Amount, BodyFraming, ConnectionChoice, InterimChoice, Submission, idx_of, target_of};
use pipelining::Progress;
use std::fmt::Write as _;

/// One request parsed off the client's byte stream.
pub(crate) struct Parsed {
    /// Its length on the wire, head and content.
    pub(crate) len: usize,
    /// The submission it belongs to.
    pub(crate) idx: usize,
}

/// Parses the request at the front of `buf`; `None` while incomplete.
/// Panics if the client wrote something that is not the request it was
/// given: the encoder or the pipeline corrupted the stream.
pub(crate) fn parse_request(buf: &[u8], subs: &[Submission], host: &str) -> Option<Parsed> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return None,
        Err(e) => panic!("the client wrote an unparsable request ({e:?}): {:?}", String::from_utf8_lossy(buf)),
    };
    let target = request.path.expect("request target").as_bytes();
    let idx = idx_of(target).unwrap_or_else(|| panic!("unknown target {target:?}"));
    let sub = subs.get(idx).unwrap_or_else(|| panic!("target of a request never submitted: {idx}"));
    assert_eq!(request.method, Some(sub.method.method().as_str()), "method of request {idx}");
    assert_eq!(request.version, Some(1), "request {idx} is not HTTP/1.1");
    let field = |name: &str| request.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value);
    assert_eq!(field("host"), Some(host.as_bytes()), "Host of request {idx}");
    assert_eq!(field("x-request"), Some(target), "request {idx} carries another's field");
    let length: usize = field("content-length")
        .map(|v| std::str::from_utf8(v).ok().and_then(|v| v.parse().ok()).expect("a numeric Content-Length"))
        .unwrap_or(0);
    let expected = sub.request(idx).body.map_or(0, |b| b.len());
    assert_eq!(length, expected, "content length of request {idx}");
    if buf.len() < head + length {
        return None;
    }
    assert!(buf[head..head + length].iter().all(|&b| b == b'b'), "content of request {idx}");
    Some(Parsed { len: head + length, idx })
}

/// An honest server on one connection.
#[derive(Debug, Default)]
pub(crate) struct HonestServer {
    /// Received bytes not yet parsed.
    inbox: Vec<u8>,
    /// Everything the server sent, and how much of it was delivered.
    outbox: Vec<u8>,
    delivered: usize,
    /// The server answers no more requests: it closes once its output is
    /// delivered.
    closing: bool,
    /// HTTP ended on the connection (101, CONNECT 2xx): the server keeps it
    /// open but speaks something else.
    tunnel: bool,
    eof_sent: bool,
    /// Requests it may still answer after a `Keep-Alive: max`.
    keep_alive_left: Option<u64>,
    /// Where the first head that told the client to stop writing ends.
    close_head_end: Option<usize>,
    /// Where a close-delimited body begins (always the last thing sent).
    until_close_body: Option<usize>,
    /// Submission indices of the requests it processed, in order.
    pub(crate) processed: Vec<usize>,
}

impl HonestServer {
    /// The transport delivered `data` from the client.
    pub(crate) fn receive(&mut self, data: &[u8], subs: &[Submission], host: &str) {
        if self.closing || self.tunnel {
            return;
        }
        self.inbox.extend_from_slice(data);
        while !self.closing && !self.tunnel {
            let Some(parsed) = parse_request(&self.inbox, subs, host) else { break };
            self.inbox.drain(..parsed.len);
            self.respond(parsed.idx, &subs[parsed.idx]);
        }
    }

    fn respond(&mut self, idx: usize, sub: &Submission) {
        self.processed.push(idx);
        let reply = sub.reply;
        let target = target_of(idx);
        let method = sub.method.method();
        let version = if reply.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        let mut out = String::new();
        if !reply.http10 {
            let interims: &[u16] = match reply.interim {
                InterimChoice::None => &[],
                InterimChoice::Continue => &[100],
                InterimChoice::EarlyHints => &[103],
                InterimChoice::Both => &[100, 103],
            };
            for code in interims {
                let _ = write!(out, "HTTP/1.1 {code} Interim\r\nX-Target: {target}\r\n\r\n");
            }
        }
        let (status, _) = sub.expected(idx);
        let _ = write!(out, "{version} {status} Fuzz\r\nX-Target: {target}\r\n");
        if status == 101 || (method.is_connect() && (200..300).contains(&status)) {
            if status == 101 {
                out.push_str("Upgrade: fuzz\r\nConnection: upgrade\r\n");
            }
            out.push_str("\r\n");
            self.outbox.extend_from_slice(out.as_bytes());
            self.close_head_end.get_or_insert(self.outbox.len());
            // The new protocol's bytes, made to look like HTTP: they must
            // never be read as a response.
            self.outbox.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            self.tunnel = true;
            return;
        }

        let mut close = reply.connection == ConnectionChoice::Close;
        let mut max = None;
        if let Some(left) = self.keep_alive_left {
            let left = left.saturating_sub(1);
            self.keep_alive_left = Some(left);
            if left == 0 {
                close = true;
            } else {
                max = Some(left);
            }
        } else if let ConnectionChoice::KeepAliveMax(n) = reply.connection {
            let n = u64::from(n % 8);
            self.keep_alive_left = Some(n);
            if n == 0 {
                close = true;
            } else {
                max = Some(n);
            }
        }
        let keep_alive_token = !close && (reply.connection != ConnectionChoice::Default || max.is_some());
        if close {
            out.push_str("Connection: close\r\n");
        } else if keep_alive_token {
            out.push_str("Connection: keep-alive\r\n");
        }
        if let Some(max) = max {
            let _ = write!(out, "Keep-Alive: timeout=5, max={max}\r\n");
        }

        let has_content = !(status == 204 || status == 304);
        let content = target.repeat(usize::from(reply.repeat % 4));
        let framing = match reply.framing {
            BodyFraming::Chunked { .. } if reply.http10 => BodyFraming::Length,
            other => other,
        };
        let mut body = String::new();
        let mut until_close = false;
        if has_content {
            match framing {
                BodyFraming::Length => {
                    let _ = write!(out, "Content-Length: {}\r\n", content.len());
                    body.push_str(&content);
                }
                BodyFraming::Chunked { pieces, trailers } => {
                    out.push_str("Transfer-Encoding: chunked\r\n");
                    let pieces = usize::from(pieces % 4) + 1;
                    let size = content.len().div_ceil(pieces).max(1);
                    for piece in content.as_bytes().chunks(size) {
                        let _ = write!(body, "{:x}\r\n{}\r\n", piece.len(), String::from_utf8_lossy(piece));
                    }
                    body.push_str("0\r\n");
                    if trailers {
                        let _ = write!(body, "X-Trailer: {target}\r\n");
                    }
                    body.push_str("\r\n");
                }
                BodyFraming::UntilClose => {
                    body.push_str(&content);
                    until_close = !method.is_head();
                }
            }
        }
        out.push_str("\r\n");
        self.outbox.extend_from_slice(out.as_bytes());
        let signalled = close || (reply.http10 && !keep_alive_token) || until_close;
        if signalled {
            self.close_head_end.get_or_insert(self.outbox.len());
        }
        if until_close {
            self.until_close_body = Some(self.outbox.len());
        }
        if !method.is_head() {
            self.outbox.extend_from_slice(body.as_bytes());
        }
        if signalled || reply.close_after {
            self.closing = true;
        }
    }

    /// Bytes sent and not yet delivered.
    pub(crate) fn undelivered(&self) -> usize {
        self.outbox.len() - self.delivered
    }

    /// Takes up to `amount` of the undelivered bytes, and whether the
    /// server's close (EOF) follows them now.
    pub(crate) fn take(&mut self, amount: Amount) -> (Vec<u8>, bool) {
        let n = amount.of(self.undelivered());
        let data = self.outbox[self.delivered..self.delivered + n].to_vec();
        self.delivered += n;
        let eof = self.closing && !self.eof_sent && self.undelivered() == 0;
        self.eof_sent |= eof;
        (data, eof)
    }

    /// Whether closing now would cut a close-delimited body after its head
    /// was delivered: the client then takes the shorter body as complete, as
    /// it must (RFC 9112 §6.3 rule 8), so the content no longer matches.
    pub(crate) fn abort_cuts_body(&self) -> bool {
        self.until_close_body.is_some_and(|start| self.delivered >= start && self.undelivered() > 0)
    }

    /// The server closes at once, dropping what it has not delivered.
    /// Whether an EOF is to be delivered (not already sent).
    pub(crate) fn abort(&mut self) -> bool {
        self.outbox.truncate(self.delivered);
        self.closing = true;
        let eof = !self.eof_sent;
        self.eof_sent = true;
        eof
    }

    /// Whether the client has received a head telling it to write nothing
    /// more (`close`, HTTP/1.0 without keep-alive, close-delimited content,
    /// the end of HTTP).
    pub(crate) fn close_head_delivered(&self) -> bool {
        self.close_head_end.is_some_and(|end| self.delivered >= end)
    }

    /// Whether the server still expects to deliver an EOF.
    pub(crate) fn eof_due(&self) -> bool {
        self.closing && !self.eof_sent
    }
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
            let parsed = parse_request(&bytes[at..], subs, &self.host)
                .unwrap_or_else(|| panic!("a transmit ends inside a request: {:?}", String::from_utf8_lossy(bytes)));
            let start = self.encoded + at as u64;
            self.wire.push(WireRequest { start, end: start + parsed.len as u64, idx: parsed.idx });
            written.push(parsed.idx);
            at += parsed.len;
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
        self.server.receive(chunk, subs, &self.host);
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
