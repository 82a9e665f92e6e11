//! What the peer records of each request it receives.

use crate::request::Request;

/// A request as the peer received it: the request itself, and where and
/// when it arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Its position among everything the peer received, from 0.
    pub index: usize,
    /// Its method, as written.
    pub method: String,
    /// Its request-target, as written.
    pub target: String,
    /// The minor HTTP version: 1 for HTTP/1.1.
    pub version: u8,
    /// Its header fields in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Its content.
    pub body: Vec<u8>,
    /// The peer was still answering when it arrived: not after it closed,
    /// reset or stalled. A request that arrives later is read but never
    /// acted on.
    pub processed: bool,
    /// The driver's tag of the write that completed it (see
    /// [`Peer::set_transmit`](crate::Peer::set_transmit)).
    pub transmit: usize,
    /// Requests received and not yet answered right after it arrived,
    /// itself included: the pipeline depth the peer saw.
    pub outstanding: usize,
}

impl Received {
    pub(crate) fn new(request: Request, index: usize, processed: bool, transmit: usize, outstanding: usize) -> Self {
        let Request { method, target, version, headers, body } = request;
        Received { index, method, target, version, headers, body, processed, transmit, outstanding }
    }

    /// The first value of a header field (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// How many fields named `name` (in any case) its head has.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).count()
    }
}
