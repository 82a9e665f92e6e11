//! `h1_response`: arbitrary bytes (raw, or assembled from pieces of HTTP),
//! an arbitrary number (0–8) of outstanding requests with arbitrary methods and arbitrary split points, fed to
//! the response decoder through `H1Codec`. Checked:
//!
//! * no panic, and the same parts, error and unread bytes whole, byte by
//!   byte and at the given split points;
//! * no response without an outstanding request: once every method is
//!   answered, the codec (with `answering: None`) only skips blank lines
//!   (`Ok(None)`) or fails with `DecodeError::Unsolicited`;
//! * parts come in wire order (`Interim* Head Data* Trailers? End`), each
//!   with the matching role, and content agrees with the framing:
//!   `Content-Length: n` gives exactly n bytes, HEAD, 1xx, 204 and 304
//!   none, a close-delimited body ends only at EOF;
//! * after a framing error the decoder stays dead;
//! * the same bytes as a server's answers on a `Connection<H1Codec>` to the
//!   same requests, all written before the first byte arrives (the ones up
//!   to a `CONNECT`, which is written alone), whole, byte by byte and at the
//!   split points: P12 (every submitted id ends exactly once after the final
//!   `close()`, no event names an id not submitted), the same outcome for
//!   every split, and each request is handed exactly the parts the decoder
//!   read for it: all of them if it ended with a response, a prefix if it
//!   failed, and a response error only where the decoder found one.

use crate::script::MethodChoice;
use crate::track::ResponseTrack;
use arbitrary::{Arbitrary, Unstructured};
use bytes::BytesMut;
use pipelining::Codec;
use pipelining::h1::{DecodeError, Framing, H1Codec, Limits, Method, Request, ResponsePart};
use pipelining::pipeline::{Decoded, NonIdempotentPolicy, Recipient, Remaining, Role};
use pipelining::{
    Capability, Cause, CloseReason, Connection, ConnectionConfig, Event, Instant, Progress, RequestId, RequestOptions,
    Retry,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A piece of the response stream.
#[derive(Arbitrary, Debug)]
enum Piece {
    Raw(Vec<u8>),
    Status(StatusLine),
    Header(HeaderLine),
    Crlf,
    Lf,
    Cr,
    ChunkSize(u8),
    ChunkSizeExt(u8),
    BadChunkSize(BadChunk),
    Content(u8),
    Trailer,
    /// A whole well-formed response, so that pipelines of several are
    /// common.
    Response(WholeResponse),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct WholeResponse {
    status: WholeStatus,
    framing: WholeFraming,
    len: u8,
    close: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum WholeStatus {
    Ok,
    NotFound,
    NoContent,
    NotModified,
    Continue,
    EarlyHints,
    Switching,
    Http10,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum WholeFraming {
    Length,
    Chunked,
    ChunkedWithTrailers,
    UntilClose,
}

impl WholeResponse {
    fn write(&self, s: &mut String) {
        s.push_str(match self.status {
            WholeStatus::Ok => "HTTP/1.1 200 OK\r\n",
            WholeStatus::NotFound => "HTTP/1.1 404 Not Found\r\n",
            WholeStatus::NoContent => "HTTP/1.1 204 No Content\r\n",
            WholeStatus::NotModified => "HTTP/1.1 304 Not Modified\r\n",
            WholeStatus::Continue => "HTTP/1.1 100 Continue\r\n",
            WholeStatus::EarlyHints => "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n",
            WholeStatus::Switching => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n",
            WholeStatus::Http10 => "HTTP/1.0 200 OK\r\n",
        });
        if self.close {
            s.push_str("Connection: close\r\n");
        }
        let content = "c".repeat(usize::from(self.len));
        match self.framing {
            WholeFraming::Length => {
                let _ = write!(s, "Content-Length: {}\r\n\r\n{content}", content.len());
            }
            WholeFraming::Chunked | WholeFraming::ChunkedWithTrailers => {
                s.push_str("Transfer-Encoding: chunked\r\n\r\n");
                for piece in content.as_bytes().chunks(7) {
                    let _ = write!(s, "{:x}\r\n{}\r\n", piece.len(), String::from_utf8_lossy(piece));
                }
                s.push_str("0\r\n");
                if matches!(self.framing, WholeFraming::ChunkedWithTrailers) {
                    s.push_str("X-Checksum: 1\r\n");
                }
                s.push_str("\r\n");
            }
            WholeFraming::UntilClose => {
                let _ = write!(s, "\r\n{content}");
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StatusLine {
    Ok11,
    Ok10,
    Continue,
    EarlyHints,
    Switching,
    NoContent,
    NotModified,
    NotFound,
    Code(u16),
    Http2,
    NoReason,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum HeaderLine {
    ContentLength(u8),
    ContentLengthList(u8),
    ContentLengthConflict,
    ContentLengthSigned,
    ContentLengthHuge,
    Chunked,
    Gzip,
    GzipChunked,
    ChunkedGzip,
    ChunkedTwice,
    Close,
    KeepAlive,
    KeepAliveMax(u8),
    Folded,
    BadName,
    NulValue,
    Plain,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum BadChunk {
    Empty,
    Overflow,
    Space,
    Hex0x,
    Negative,
}

impl Piece {
    fn write(&self, out: &mut Vec<u8>) {
        let mut s = String::new();
        match self {
            Piece::Raw(bytes) => return out.extend_from_slice(bytes),
            Piece::Status(StatusLine::Code(code)) => {
                let _ = write!(s, "HTTP/1.1 {:03} X\r\n", code % 1000);
            }
            Piece::Status(line) => s.push_str(match line {
                StatusLine::Ok11 => "HTTP/1.1 200 OK\r\n",
                StatusLine::Ok10 => "HTTP/1.0 200 OK\r\n",
                StatusLine::Continue => "HTTP/1.1 100 Continue\r\n",
                StatusLine::EarlyHints => "HTTP/1.1 103 Early Hints\r\n",
                StatusLine::Switching => "HTTP/1.1 101 Switching Protocols\r\n",
                StatusLine::NoContent => "HTTP/1.1 204 No Content\r\n",
                StatusLine::NotModified => "HTTP/1.1 304 Not Modified\r\n",
                StatusLine::NotFound => "HTTP/1.1 404 \r\n",
                StatusLine::Code(_) => "",
                StatusLine::Http2 => "HTTP/2 200\r\n",
                StatusLine::NoReason => "HTTP/1.1 200\r\n",
            }),
            Piece::Header(line) => match line {
                HeaderLine::ContentLength(n) => {
                    let _ = write!(s, "Content-Length: {n}\r\n");
                }
                HeaderLine::ContentLengthList(n) => {
                    let _ = write!(s, "Content-Length: {n}, {n}\r\n");
                }
                HeaderLine::ContentLengthConflict => s.push_str("Content-Length: 1, 2\r\n"),
                HeaderLine::ContentLengthSigned => s.push_str("Content-Length: +5\r\n"),
                HeaderLine::ContentLengthHuge => s.push_str("Content-Length: 99999999999999999999\r\n"),
                HeaderLine::Chunked => s.push_str("Transfer-Encoding: chunked\r\n"),
                HeaderLine::Gzip => s.push_str("Transfer-Encoding: gzip\r\n"),
                HeaderLine::GzipChunked => s.push_str("Transfer-Encoding: gzip, chunked\r\n"),
                HeaderLine::ChunkedGzip => s.push_str("Transfer-Encoding: chunked, gzip\r\n"),
                HeaderLine::ChunkedTwice => s.push_str("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
                HeaderLine::Close => s.push_str("Connection: close\r\n"),
                HeaderLine::KeepAlive => s.push_str("Connection: keep-alive\r\n"),
                HeaderLine::KeepAliveMax(n) => {
                    let _ = write!(s, "Keep-Alive: timeout=5, max={n}\r\n");
                }
                HeaderLine::Folded => s.push_str("X-Folded: a\r\n  b\r\n"),
                HeaderLine::BadName => s.push_str("Bad Name: x\r\n"),
                HeaderLine::NulValue => s.push_str("X-Nul: a\0b\r\n"),
                HeaderLine::Plain => s.push_str("Server: fuzz\r\n"),
            },
            Piece::Crlf => s.push_str("\r\n"),
            Piece::Lf => s.push('\n'),
            Piece::Cr => s.push('\r'),
            Piece::ChunkSize(n) => {
                let _ = write!(s, "{n:x}\r\n");
            }
            Piece::ChunkSizeExt(n) => {
                let _ = write!(s, "{n:X} ; name=\"value\"\r\n");
            }
            Piece::BadChunkSize(bad) => s.push_str(match bad {
                BadChunk::Empty => "\r\n",
                BadChunk::Overflow => "10000000000000000\r\n",
                BadChunk::Space => " 5\r\n",
                BadChunk::Hex0x => "0x5\r\n",
                BadChunk::Negative => "-1\r\n",
            }),
            Piece::Content(n) => s.push_str(&"x".repeat(usize::from(*n))),
            Piece::Trailer => s.push_str("X-Trailer: t\r\n"),
            Piece::Response(response) => response.write(&mut s),
        }
        out.extend_from_slice(s.as_bytes());
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// How many requests are outstanding (mod 9): pipelines are common.
    outstanding: u8,
    /// Their methods; `GET` past the end of the list.
    methods: Vec<MethodChoice>,
    pieces: Vec<Piece>,
    splits: Vec<u16>,
    eof: bool,
    small_limits: bool,
}

/// A decoded part, content kept apart so adjacent pieces can be merged.
#[derive(Debug, PartialEq)]
enum Item {
    Part(ResponsePart),
    Content(Vec<u8>),
}

/// What one run produced, normalised so that runs over different splits of
/// the same input compare equal.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Parts in order, adjacent content merged.
    parts: Vec<Item>,
    /// The error that stopped decoding (`Unsolicited`'s length, which
    /// depends on how much was buffered, zeroed).
    error: Option<DecodeError>,
    /// After a decoder error: what the next call answered.
    after_error: Option<String>,
    /// Bytes left unread, when no error stopped decoding.
    unread: Vec<u8>,
}

/// Runs the target on `data`; panics only on a violated property.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else { return };
    let mut bytes = Vec::new();
    for piece in &input.pieces {
        piece.write(&mut bytes);
    }
    let methods: Vec<Method> = (0..usize::from(input.outstanding % 9))
        .map(|i| input.methods.get(i).copied().unwrap_or(MethodChoice::Get).method())
        .collect();
    let mut limits = Limits::default();
    if input.small_limits {
        limits.max_head_bytes = 200;
        limits.max_headers = 4;
        limits.max_chunk_line_bytes = 12;
        limits.max_trailer_bytes = 40;
    }
    crate::trace!("methods {methods:?}, eof {}, input {:?}", input.eof, String::from_utf8_lossy(&bytes));

    let whole = decode(&methods, limits, [&bytes[..]], input.eof);
    crate::trace!("outcome {whole:?}");
    let bytewise = decode(&methods, limits, bytes.chunks(1), input.eof);
    assert_eq!(whole, bytewise, "whole and byte-by-byte input disagree");
    let mut cuts: Vec<usize> = input.splits.iter().map(|&s| usize::from(s) % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut chunks = Vec::new();
    let mut at = 0;
    for cut in cuts {
        chunks.push(&bytes[at..cut]);
        at = cut;
    }
    chunks.push(&bytes[at..]);
    let split = decode(&methods, limits, chunks.iter().copied(), input.eof);
    assert_eq!(whole, split, "whole and split input disagree");

    // The same bytes answering requests on a connection.
    let connected = converse(&methods, limits, [&bytes[..]], input.eof);
    crate::trace!("connection {connected:?}");
    assert_eq!(converse(&methods, limits, bytes.chunks(1), input.eof), connected, "byte by byte on a connection");
    assert_eq!(converse(&methods, limits, chunks.iter().copied(), input.eof), connected, "split on a connection");
    compare(&whole, &connected);
}

/// How the connection ended one request.
#[derive(Debug, PartialEq)]
enum Ending {
    /// Its response ended.
    Response,
    /// It failed (`Unsolicited`'s length zeroed, as in [`Outcome`]).
    Failed { progress: Progress, retry: Retry, cause: Cause<DecodeError> },
}

/// What a connection made of the bytes: per request in submission order,
/// the parts it was handed (adjacent content merged) and how it ended; and
/// why the connection closed.
#[derive(Debug, PartialEq)]
struct Conversation {
    requests: Vec<(Vec<Item>, Ending)>,
    closed: CloseReason,
}

/// Submits requests with `methods` (those up to the first `CONNECT`, or
/// that one alone if it is first: `CONNECT` is written alone), writes them
/// all, then delivers `chunks` (and EOF) and closes the connection.
/// Checks P12 on every event and at the end.
fn converse<'a>(
    methods: &[Method],
    limits: Limits,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    eof: bool,
) -> Conversation {
    let now = Instant::ZERO;
    let mut config = ConnectionConfig::default();
    config.depth = 8;
    config.capability = Capability::Pipelining;
    // Everything goes out before the first byte of an answer arrives, as
    // the decoder above assumes.
    config.non_idempotent = NonIdempotentPolicy::Pipelined;
    let mut conn = Connection::new(H1Codec::new("fuzz.example", limits), config, now);
    let count = match methods.iter().position(Method::is_connect) {
        Some(0) => 1,
        Some(at) => at,
        None => methods.len(),
    };
    let mut ids: BTreeMap<RequestId, usize> = BTreeMap::new();
    for (idx, method) in methods[..count].iter().enumerate() {
        let request = Request::new(method.clone(), format!("/{idx}"));
        let id = conn.submit(now, request, RequestOptions::default()).expect("a valid request within the queue limit");
        ids.insert(id, idx);
    }
    let mut buf = Vec::new();
    while let Some(n) = conn.poll_transmit(now, &mut buf) {
        conn.handle_written(now, n);
        buf.clear();
    }
    assert_eq!(conn.in_flight(), count, "every request written before any answer");
    let mut talk = Talk {
        ids,
        parts: (0..count).map(|_| Vec::new()).collect(),
        ended: (0..count).map(|_| None).collect(),
        closed: None,
    };
    for chunk in chunks {
        conn.handle_received(now, chunk);
        talk.drain(&mut conn);
    }
    if eof {
        conn.handle_eof(now);
        talk.drain(&mut conn);
    }
    conn.close(now);
    talk.drain(&mut conn);
    // P12: after the final close, every submitted request has ended once.
    assert_eq!(conn.pending_ids().count(), 0, "requests pending after close (P12)");
    let closed = talk.closed.expect("close() closes");
    let requests = talk
        .parts
        .into_iter()
        .zip(talk.ended)
        .enumerate()
        .map(|(idx, (parts, ended))| (parts, ended.unwrap_or_else(|| panic!("request {idx} never ended (P12)"))))
        .collect();
    Conversation { requests, closed }
}

/// The events of one conversation so far.
struct Talk {
    ids: BTreeMap<RequestId, usize>,
    parts: Vec<Vec<Item>>,
    ended: Vec<Option<Ending>>,
    closed: Option<CloseReason>,
}

impl Talk {
    /// The submission index of `id`: it must have been submitted.
    fn idx(&self, id: RequestId) -> usize {
        *self.ids.get(&id).unwrap_or_else(|| panic!("an event for {id:?}, which was never submitted (P12)"))
    }

    fn end(&mut self, id: RequestId, ending: Ending) {
        let idx = self.idx(id);
        assert!(self.ended[idx].is_none(), "a second terminal event for {id:?} (P12): {ending:?}");
        self.ended[idx] = Some(ending);
    }

    fn drain(&mut self, conn: &mut Connection<H1Codec>) {
        while let Some(event) = conn.poll_event() {
            crate::trace!("event {event:?}");
            assert!(self.closed.is_none(), "an event after Closed: {event:?}");
            match event {
                Event::Response { id, part, end } => {
                    let idx = self.idx(id);
                    assert!(self.ended[idx].is_none(), "a part for {id:?} after its terminal event (P12)");
                    match (self.parts[idx].last_mut(), part) {
                        (Some(Item::Content(last)), ResponsePart::Data(data)) => last.extend_from_slice(&data),
                        (_, ResponsePart::Data(data)) => self.parts[idx].push(Item::Content(data.to_vec())),
                        (_, part) => self.parts[idx].push(Item::Part(part)),
                    }
                    if end {
                        self.end(id, Ending::Response);
                    }
                }
                Event::Unanswered(failure) => {
                    let cause = match failure.cause {
                        Cause::Response(DecodeError::Unsolicited { .. }) => {
                            Cause::Response(DecodeError::Unsolicited { len: 0 })
                        }
                        cause => cause,
                    };
                    self.end(failure.id, Ending::Failed { progress: failure.progress, retry: failure.retry, cause });
                }
                Event::Written { id } => {
                    self.idx(id);
                }
                Event::Complete { id, .. } => panic!("a whole response for streaming {id:?}"),
                Event::SendBody { id } => panic!("{id:?} has no streamed content"),
                Event::Unsolicited(part) => panic!("HTTP/1.1 has no unsolicited messages: {part:?}"),
                Event::SetupRefused(why) => panic!("HTTP connections have no setup: {why}"),
                Event::SlowHead => panic!("a slow head with rescue off"),
                Event::Capability(_) => {}
                Event::Closed(summary) => self.closed = Some(summary.reason),
            }
        }
    }
}

/// The connection handed each request what the decoder read for it: all
/// of it with a response, a prefix of it with a failure; it blamed a
/// response only for the decoder's own error.
fn compare(decoded: &Outcome, connected: &Conversation) {
    let mut per_request: Vec<&[Item]> = Vec::new();
    let mut start = 0;
    for (at, item) in decoded.parts.iter().enumerate() {
        if matches!(item, Item::Part(ResponsePart::End)) {
            per_request.push(&decoded.parts[start..=at]);
            start = at + 1;
        }
    }
    // The response the decoder stopped in (or never began).
    per_request.push(&decoded.parts[start..]);
    for (idx, (parts, ending)) in connected.requests.iter().enumerate() {
        let read = per_request.get(idx).copied().unwrap_or(&[]);
        match ending {
            Ending::Response => assert_eq!(&parts[..], read, "request {idx}: the connection's response differs"),
            Ending::Failed { cause, .. } => {
                assert!(
                    read.starts_with(parts),
                    "request {idx} failed with parts the decoder did not read: {parts:?} vs {read:?}"
                );
                if let Cause::Response(e) = cause {
                    assert_eq!(idx, per_request.len() - 1, "request {idx} failed for {e:?} but its response ended");
                    assert_eq!(
                        decoded.error.as_ref(),
                        Some(e),
                        "request {idx} failed for an error the decoder did not find"
                    );
                }
            }
        }
    }
}

fn decode<'a>(methods: &[Method], limits: Limits, chunks: impl IntoIterator<Item = &'a [u8]>, eof: bool) -> Outcome {
    let requests: Vec<Request> = methods.iter().map(|m| Request::new(m.clone(), "/")).collect();
    let mut d = Decoding {
        codec: H1Codec::new("fuzz.example", limits),
        requests,
        answered: 0,
        track: ResponseTrack::default(),
        framing: None,
        content: 0,
        parts: Vec::new(),
        error: None,
        after_error: None,
    };
    let mut buf = BytesMut::new();
    'feed: for chunk in chunks {
        buf.extend_from_slice(chunk);
        while d.step(&mut buf, false) {
            if d.error.is_some() {
                break 'feed;
            }
        }
    }
    if eof && d.error.is_none() {
        while d.step(&mut buf, true) {
            if d.error.is_some() {
                break;
            }
        }
    }
    if d.error.is_some() {
        buf.clear();
    }
    Outcome { parts: d.parts, error: d.error, after_error: d.after_error, unread: buf.to_vec() }
}

struct Decoding {
    codec: H1Codec,
    requests: Vec<Request>,
    answered: usize,
    track: ResponseTrack,
    /// The framing of the response in progress, and its content so far.
    framing: Option<Framing>,
    content: u64,
    parts: Vec<Item>,
    error: Option<DecodeError>,
    after_error: Option<String>,
}

impl Decoding {
    /// One decode call; whether to call again.
    fn step(&mut self, buf: &mut BytesMut, eof: bool) -> bool {
        let answering = self.requests.get(self.answered);
        let result = if eof { self.codec.decode_eof(buf, answering) } else { self.codec.decode(buf, answering) };
        let Some(request) = answering else {
            // Nothing outstanding: bytes can never be a response (P2).
            return match result {
                Ok(None) => false,
                Err(DecodeError::Unsolicited { len }) => {
                    assert!(len > 0, "Unsolicited with no bytes");
                    self.error = Some(DecodeError::Unsolicited { len: 0 });
                    true
                }
                other => panic!("a response without an outstanding request: {other:?}"),
            };
        };
        let method = request.method.clone();
        match result {
            Ok(None) => false,
            Ok(Some(decoded)) => {
                self.part(decoded, &method, buf, eof);
                true
            }
            Err(e) => {
                assert_ne!(e, DecodeError::Dead, "Dead before any error");
                if e == DecodeError::Truncated {
                    assert!(eof, "Truncated before EOF");
                }
                let again = self.codec.decode(buf, Some(request));
                assert_eq!(again, Err(DecodeError::Dead), "the decoder read on after {e:?}");
                self.after_error = Some(format!("{again:?}"));
                self.error = Some(e);
                true
            }
        }
    }

    fn part(&mut self, decoded: Decoded<ResponsePart>, method: &Method, buf: &BytesMut, eof: bool) {
        let Decoded { part, to, role } = decoded;
        assert_eq!(to, Recipient::Next, "HTTP/1.1 matches in order");
        match (&part, role) {
            (ResponsePart::Interim(head), Role::Interim) => {
                assert!((100..200).contains(&head.status) && head.status != 101, "interim status {}", head.status);
            }
            (ResponsePart::Head(head), Role::Head(signals)) => {
                assert_eq!(signals.persistent, head.connection.persistent);
                assert_eq!(signals.confirms_pipelining, head.connection.confirms_pipelining);
                assert_eq!(signals.further_requests, head.connection.keep_alive_max);
                assert_eq!(signals.ends_protocol, head.framing == Framing::Tunnel);
                let tunnel = head.status == 101 || (method.is_connect() && (200..300).contains(&head.status));
                if tunnel {
                    assert_eq!(head.framing, Framing::Tunnel, "status {} to {method}", head.status);
                } else if method.is_head() || head.status == 204 || head.status == 304 {
                    assert_eq!(head.framing, Framing::Empty, "status {} to {method}", head.status);
                }
                if head.connection.confirms_pipelining {
                    assert!(head.connection.persistent);
                }
                if matches!(head.framing, Framing::UntilClose | Framing::Tunnel) {
                    assert!(!head.connection.persistent, "a close-delimited response kept the connection");
                }
                self.framing = Some(head.framing);
                self.content = 0;
            }
            (ResponsePart::Data(data), Role::Body(len)) => {
                assert_eq!(data.len() as u64, len, "Body role length");
                self.content += len;
                if let Some(Framing::Length(n)) = self.framing {
                    assert_eq!(self.codec.remaining(buf), Remaining::Exactly(n - self.content.min(n)));
                }
            }
            (ResponsePart::Trailers(_), Role::Trailers) => {}
            (ResponsePart::End, Role::End) => {
                if self.framing == Some(Framing::UntilClose) {
                    assert!(eof, "a close-delimited response ended before EOF");
                }
                self.framing = None;
                self.answered += 1;
            }
            (part, role) => panic!("part {part:?} with role {role:?}"),
        }
        let end = matches!(part, ResponsePart::End);
        self.track.part(&part, end);
        match (self.parts.last_mut(), part) {
            (Some(Item::Content(last)), ResponsePart::Data(data)) => last.extend_from_slice(&data),
            (_, ResponsePart::Data(data)) => self.parts.push(Item::Content(data.to_vec())),
            (_, part) => self.parts.push(Item::Part(part)),
        }
    }
}
