//! Response vectors: limits, each with its own error.

use super::*;

/// docs/DESIGN.md P4 and Defaults: each limit has its own error.
pub(crate) fn limit_vectors() -> Vec<Vector> {
    // 38 bytes: 17 for the status line, 19 for the field, 2 for the end.
    let head38 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let te = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    vec![
        v("head at the head limit", head38).limits(|l| l.max_head_bytes = 38).gives([head(200, Length(0), KEEP), End]),
        v("head over the head limit", head38).limits(|l| l.max_head_bytes = 37).fails(E::HeadTooLarge { limit: 37 }),
        v("endless head hits the head limit", "HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            .limits(|l| l.max_head_bytes = 32)
            .fails(E::HeadTooLarge { limit: 32 }),
        v("as many fields as the limit", "HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n")
            .limits(|l| l.max_headers = 2)
            .gives([head(200, Length(0), KEEP), End]),
        v("more fields than the limit", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n")
            .limits(|l| l.max_headers = 2)
            .fails(E::TooManyHeaders { limit: 2 }),
        v("chunk-size line at the limit", format!("{te}5;abcd\r\nhello\r\n0\r\n\r\n"))
            .limits(|l| l.max_chunk_line_bytes = 8)
            .gives([head(200, Chunked, KEEP), Data(b"hello"), End]),
        v("chunk-size line over the limit", format!("{te}5;abcde\r\nhello\r\n0\r\n\r\n"))
            .limits(|l| l.max_chunk_line_bytes = 8)
            .gives([head(200, Chunked, KEEP)])
            .fails(E::ChunkLineTooLong { limit: 8 }),
        v("trailers at the trailer limit", format!("{te}0\r\nX-Sum: 12345\r\n\r\n"))
            .limits(|l| l.max_trailer_bytes = 16)
            .gives([head(200, Chunked, KEEP), trailers(&[("X-Sum", b"12345")]), End]),
        v("trailers over the trailer limit", format!("{te}0\r\nX-Sum: 123456\r\n\r\n"))
            .limits(|l| l.max_trailer_bytes = 16)
            .gives([head(200, Chunked, KEEP)])
            .fails(E::TrailersTooLarge { limit: 16 }),
        v("more trailer fields than the limit", format!("{te}0\r\nA: 1\r\nB: 2\r\n\r\n"))
            .limits(|l| l.max_headers = 1)
            .gives([head(200, Chunked, KEEP)])
            .fails(E::TooManyHeaders { limit: 1 }),
    ]
}
