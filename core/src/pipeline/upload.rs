//! A request content the caller supplies a piece at a time, after the head
//! (`docs/DESIGN.md` P5, P8): where it stands between the connection and the
//! caller.

use super::RequestId;
use bytes::Bytes;

/// The streamed content of the one request written alone on a connection.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) id: RequestId,
    /// Exactly this many bytes, if known.
    pub(crate) length: Option<u64>,
    /// Content bytes the caller handed over so far.
    pub(crate) sent: u64,
    /// Wait for the server's go-ahead (`100 Continue`) first.
    pub(crate) expect_continue: bool,
    /// Where the head ends in the output stream.
    pub(crate) head_end: u64,
    pub(crate) phase: UploadPhase,
}

/// Where a streamed content is.
#[derive(Debug)]
pub(crate) enum UploadPhase {
    /// The head is not all accepted by the transport yet.
    Head,
    /// Waiting for the server's `100` (or a final response, or the continue
    /// timeout, RFC 9110 §10.1.1).
    AwaitingContinue,
    /// The caller was asked for the next piece.
    Wanted,
    /// A piece waits for the next transmit.
    Queued { piece: Bytes, end: bool },
    /// A piece was handed out in a transmit that ends at this offset of the
    /// output stream.
    InTransit { until: u64, end: bool },
    /// All of it was written.
    Done,
    /// A final response came before all of it was written: the rest is
    /// never sent, and the connection closes after that response (the
    /// request's framing is incomplete).
    Abandoned,
}

impl Upload {
    /// Whether the rest of the content will never be written.
    pub(crate) fn is_unfinished(&self) -> bool {
        !matches!(self.phase, UploadPhase::Done)
    }
}
