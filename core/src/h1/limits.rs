//! Size limits on what a peer may send (docs/DESIGN.md P4, Defaults).

/// Bounds on a response, each enforced with its own error
/// ([`DecodeError`](super::DecodeError)) so a hostile or broken server costs
/// bounded memory and never an unbounded read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes in a response head, from the status line to the empty line that
    /// ends it, inclusive. Default 64 KiB.
    pub max_head_bytes: usize,
    /// Header fields in one head, and fields in one trailer section.
    /// Default 100.
    pub max_headers: usize,
    /// Bytes in one chunk-size line, extensions and line ending included.
    /// Default 4 KiB.
    pub max_chunk_line_bytes: usize,
    /// Bytes in a trailer section, its final empty line included.
    /// Default 16 KiB.
    pub max_trailer_bytes: usize,
    /// Bytes of content buffered for one response in whole-response mode.
    /// Default 64 MiB.
    pub max_body_bytes: u64,
}

impl Limits {
    /// The defaults of docs/DESIGN.md.
    pub const DEFAULT: Limits = Limits {
        max_head_bytes: 64 * 1024,
        max_headers: 100,
        max_chunk_line_bytes: 4 * 1024,
        max_trailer_bytes: 16 * 1024,
        max_body_bytes: 64 * 1024 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
