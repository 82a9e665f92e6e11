//! The incremental, zero-copy response decoder.

use super::chunked::{Chunked, ChunkedPart};
use super::head_parse::{HeadParse, finish, parse_head};
use super::lines::{BlankLine, find_blank_line};
use super::{DecodeError, Framing, Header, Limits, Method, ResponseHead};
use crate::pipeline::Remaining;
use alloc::boxed::Box;
use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};

/// One item of a response stream, in wire order.
///
/// A response is `Interim*`, then `Head`, then `Data*`, then `Trailers?`,
/// then `End`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponsePart {
    /// An interim (1xx, not 101) response: reported, but the request is still
    /// waiting for its final response (RFC 9110 §15.2).
    Interim(Box<ResponseHead>),
    /// The final response's head. Boxed: a head carries its field table
    /// inline, and parts move through several queues on their way to the
    /// caller, where a pointer moves cheaper than the head.
    Head(Box<ResponseHead>),
    /// A piece of content, transfer coding removed; a slice of the read
    /// buffer.
    Data(Bytes),
    /// The trailer section of a chunked response, kept apart from the head's
    /// fields (RFC 9110 §6.5).
    Trailers(Vec<Header>),
    /// The response is complete.
    End,
}

#[derive(Clone, Debug)]
enum State {
    /// Between responses, or inside a head. `waiting`: an earlier read held
    /// only part of the head; `scanned` bytes are known to hold no end of it.
    Head {
        scanned: usize,
        waiting: bool,
    },
    Body(Body),
    /// The final head said HTTP ends here (101, CONNECT 2xx); `End` is due.
    TunnelEnd,
    /// HTTP has ended on this connection; later bytes are not ours to read.
    Tunnel,
    /// A framing error happened; nothing more is read.
    Dead,
}

#[derive(Clone, Debug)]
enum Body {
    Length { remaining: u64 },
    Chunked(Chunked),
    UntilClose,
}

/// Decodes HTTP/1.1 responses from a byte buffer, one [`ResponsePart`] at a
/// time.
///
/// It keeps no bytes of its own: the caller appends what it reads to a
/// `BytesMut` and calls [`decode`](Self::decode) until it returns `Ok(None)`;
/// parts are split off the front of that buffer without copying. Input may be
/// split anywhere, down to single bytes, with identical results.
///
/// The decoder needs the method of the request being answered (a response to
/// HEAD has no content, RFC 9112 §6.3) but knows nothing of pipelines: the
/// caller tracks which request that is.
#[derive(Clone, Debug)]
pub struct ResponseDecoder {
    limits: Limits,
    state: State,
    /// An interim response was reported and its final response has not
    /// begun: the response is in progress although the state is `Head`.
    after_interim: bool,
    /// A head box a partial parse filled in vain, for the next try.
    spare: Option<Box<ResponseHead>>,
}

impl ResponseDecoder {
    /// A decoder enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        ResponseDecoder { limits, state: State::Head { scanned: 0, waiting: false }, after_interim: false, spare: None }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes the next part of the response to a `method` request.
    ///
    /// `Ok(None)` means more bytes are needed (or, after a tunnel began, that
    /// the rest of the buffer is not HTTP). After an error every later call
    /// fails with [`DecodeError::Dead`].
    pub fn decode(&mut self, buf: &mut BytesMut, method: &Method) -> Result<Option<ResponsePart>, DecodeError> {
        let result = self.step(buf, method);
        if result.is_err() {
            self.state = State::Dead;
        }
        result
    }

    /// Tells the decoder the peer closed the connection, and decodes what
    /// that completes: the end of a read-until-close body. Call it after
    /// [`decode`](Self::decode) has returned `Ok(None)`.
    ///
    /// `Ok(None)` means the close fell between responses. Inside a response
    /// it is [`DecodeError::Truncated`].
    pub fn decode_eof(&mut self, buf: &mut BytesMut, method: &Method) -> Result<Option<ResponsePart>, DecodeError> {
        if let Some(part) = self.decode(buf, method)? {
            return Ok(Some(part));
        }
        match &self.state {
            State::Body(Body::UntilClose) => {
                self.state = State::Head { scanned: 0, waiting: false };
                Ok(Some(ResponsePart::End))
            }
            State::Head { .. } if !self.after_interim && buf.iter().all(|&b| b == b'\r' || b == b'\n') => Ok(None),
            State::Tunnel => Ok(None),
            _ => {
                self.state = State::Dead;
                Err(DecodeError::Truncated)
            }
        }
    }

    /// Whether the decoder is between responses with nothing of the next one
    /// consumed. Bytes may still wait in the caller's buffer.
    pub fn is_between_responses(&self) -> bool {
        matches!(self.state, State::Head { .. }) && !self.after_interim
    }

    /// Whether a framing error ended decoding for good.
    pub fn is_dead(&self) -> bool {
        matches!(self.state, State::Dead)
    }

    /// Whether a 101 or CONNECT 2xx ended HTTP on this connection.
    pub fn is_tunnel(&self) -> bool {
        matches!(self.state, State::Tunnel | State::TunnelEnd)
    }

    /// How much of the current response is still to come, for deciding
    /// whether reading and dropping it is cheaper than closing the
    /// connection (`docs/DESIGN.md` P9): a chunked body is
    /// [`Remaining::Unknown`] until its last chunk.
    pub fn remaining(&self, buf: &[u8]) -> Remaining {
        match &self.state {
            State::Head { .. } if buf.is_empty() && !self.after_interim => Remaining::Nothing,
            State::Head { .. } => Remaining::Head,
            State::Body(Body::Length { remaining }) => Remaining::Exactly(*remaining),
            State::Body(Body::Chunked(_)) => Remaining::Unknown,
            State::Body(Body::UntilClose) => Remaining::UntilClose,
            State::TunnelEnd => Remaining::Exactly(0),
            State::Tunnel | State::Dead => Remaining::Nothing,
        }
    }

    fn step(&mut self, buf: &mut BytesMut, method: &Method) -> Result<Option<ResponsePart>, DecodeError> {
        match &mut self.state {
            State::Dead => Err(DecodeError::Dead),
            State::Tunnel => Ok(None),
            State::TunnelEnd => {
                self.state = State::Tunnel;
                Ok(Some(ResponsePart::End))
            }
            State::Head { scanned, waiting } => {
                // RFC 9112 §2.2: empty lines before a start line are ignored
                // (some servers send a stray CRLF after a body).
                let mut skipped = false;
                loop {
                    match &buf[..] {
                        [b'\n', ..] => buf.advance(1),
                        [b'\r', b'\n', ..] => buf.advance(2),
                        _ => break,
                    }
                    skipped = true;
                }
                if skipped {
                    *scanned = 0;
                }
                let limit = self.limits.max_head_bytes;
                if *waiting {
                    // An earlier read held only part of this head: look for
                    // its end from where the last look stopped, so a head
                    // arriving byte by byte costs linear time, not quadratic.
                    match find_blank_line(buf, *scanned) {
                        BlankLine::EndsAt(end) if end > limit => return Err(DecodeError::HeadTooLarge { limit }),
                        BlankLine::EndsAt(_) => {}
                        BlankLine::NotYet { resume } => {
                            if buf.len() > limit {
                                return Err(DecodeError::HeadTooLarge { limit });
                            }
                            *scanned = resume;
                            return Ok(None);
                        }
                    }
                }
                // Heads are filled in place, in a box kept from the last
                // partial parse or made now: moved afterwards only as a
                // pointer.
                let mut head = self.spare.take().unwrap_or_default();
                let parsed = parse_head(buf, *waiting, method, &self.limits, &mut head);
                let (len, reason) = match parsed {
                    Ok(HeadParse::Complete { len, reason }) => (len, reason),
                    Err(e) => return Err(e),
                    // The empty line was found, so httparse can only
                    // disagree if a line ending is malformed.
                    Ok(HeadParse::Partial) if *waiting => {
                        return Err(DecodeError::MalformedHead(super::HeadSyntax::NewLine));
                    }
                    // Not complete, or an error whose kind waits for the
                    // head's end: the waiting path checks the limit once it
                    // knows where (or whether) the head ends within it.
                    Ok(HeadParse::Partial) => {
                        self.spare = Some(head);
                        *waiting = true;
                        *scanned = 0;
                        return self.step(buf, method);
                    }
                };
                finish(&mut head, buf.split_to(len).freeze(), reason);
                self.after_interim = head.is_interim();
                if head.is_interim() {
                    self.state = State::Head { scanned: 0, waiting: false };
                    return Ok(Some(ResponsePart::Interim(head)));
                }
                self.state = match head.framing {
                    Framing::Empty | Framing::Length(0) => State::Body(Body::Length { remaining: 0 }),
                    Framing::Length(n) => State::Body(Body::Length { remaining: n }),
                    Framing::Chunked => State::Body(Body::Chunked(Chunked::START)),
                    Framing::UntilClose => State::Body(Body::UntilClose),
                    Framing::Tunnel => State::TunnelEnd,
                };
                Ok(Some(ResponsePart::Head(head)))
            }
            State::Body(Body::Length { remaining: 0 }) => {
                self.state = State::Head { scanned: 0, waiting: false };
                Ok(Some(ResponsePart::End))
            }
            State::Body(Body::Length { remaining }) => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let take = usize::try_from(*remaining).unwrap_or(usize::MAX).min(buf.len());
                *remaining -= take as u64;
                Ok(Some(ResponsePart::Data(buf.split_to(take).freeze())))
            }
            State::Body(Body::UntilClose) => {
                if buf.is_empty() {
                    return Ok(None);
                }
                Ok(Some(ResponsePart::Data(buf.split().freeze())))
            }
            State::Body(Body::Chunked(chunked)) => match chunked.decode(buf, &self.limits)? {
                None => Ok(None),
                Some(ChunkedPart::Data(data)) => Ok(Some(ResponsePart::Data(data))),
                Some(ChunkedPart::Trailers(trailers)) => Ok(Some(ResponsePart::Trailers(trailers))),
                Some(ChunkedPart::End) => {
                    self.state = State::Head { scanned: 0, waiting: false };
                    Ok(Some(ResponsePart::End))
                }
            },
        }
    }
}
