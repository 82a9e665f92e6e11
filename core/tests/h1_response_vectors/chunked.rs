//! Response vectors: the chunked coding and trailer sections.

use super::*;

/// RFC 9112 §7.1.
pub(crate) fn chunked_vectors() -> Vec<Vector> {
    let chunked = |body: &str| format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
    let ok = || head(200, Chunked, KEEP);
    vec![
        v("chunks are concatenated", chunked("2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n")).gives([ok(), Data(b"hello"), End]),
        v("an empty chunked body has no data", chunked("0\r\n\r\n")).gives([ok(), End]),
        v("chunk extensions are ignored", chunked("5;name=value\r\nhello\r\n0;last\r\n\r\n")).gives([
            ok(),
            Data(b"hello"),
            End,
        ]),
        v("quoted chunk extension", chunked("5;name=\"a b; c\"\r\nhello\r\n0\r\n\r\n")).gives([
            ok(),
            Data(b"hello"),
            End,
        ]),
        v("whitespace before a chunk extension", chunked("5 ;x\r\nhello\r\n0\r\n\r\n")).gives([
            ok(),
            Data(b"hello"),
            End,
        ]),
        v("uppercase hex chunk size", chunked("A\r\n0123456789\r\n0\r\n\r\n")).gives([ok(), Data(b"0123456789"), End]),
        v("lowercase hex chunk size", chunked("a\r\n0123456789\r\n0\r\n\r\n")).gives([ok(), Data(b"0123456789"), End]),
        v("chunk sizes with leading zeros", chunked("0005\r\nhello\r\n000\r\n\r\n")).gives([ok(), Data(b"hello"), End]),
        v("bare LF line endings in a chunked body", chunked("5\nhello\n0\n\n")).gives([ok(), Data(b"hello"), End]),
        v(
            "trailers are reported apart from the head",
            chunked("5\r\nhello\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n"),
        )
        .gives([
            ok().no_field("X-Checksum").no_field("Expires"),
            Data(b"hello"),
            trailers(&[("Expires", b"never"), ("X-Checksum", b"abc")]),
            End,
        ]),
        v("trailers with bare LF line endings", chunked("0\nX-Sum: 1\n\n")).gives([
            ok(),
            trailers(&[("X-Sum", b"1")]),
            End,
        ]),
        v("obs-fold in a trailer is replaced by spaces", chunked("0\r\nX-Folded: a\r\n b\r\n\r\n")).gives([
            ok(),
            trailers(&[("X-Folded", b"a   b")]),
            End,
        ]),
        v("chunk size of 2^64-1 is accepted", chunked("ffffffffffffffff\r\nabc"))
            .eof()
            .gives([ok(), Data(b"abc")])
            .fails(E::Truncated),
        v("empty chunk-size line", chunked("\r\n5\r\nhello\r\n0\r\n\r\n")).gives([ok()]).fails(E::EmptyChunkSize),
        v("0x prefix on a chunk size", chunked("0x10\r\n0123456789abcdef\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("chunk size overflowing 64 bits", chunked("10000000000000000\r\n")).gives([ok()]).fails(E::ChunkSizeOverflow),
        v("negative chunk size", chunked("-5\r\nhello\r\n0\r\n\r\n")).gives([ok()]).fails(E::InvalidChunkSize),
        v("space before a chunk size", chunked(" 5\r\nhello\r\n0\r\n\r\n")).gives([ok()]).fails(E::InvalidChunkSize),
        v("control byte in a chunk extension", chunked("5;\x01\r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("chunk data not followed by CRLF", chunked("5\r\nhelloX\r\n0\r\n\r\n"))
            .gives([ok(), Data(b"hello")])
            .fails(E::InvalidChunkEnd),
        v("bare CR after chunk data", chunked("5\r\nhello\r0\r\n\r\n"))
            .gives([ok(), Data(b"hello")])
            .fails(E::InvalidChunkEnd),
        v("chunk longer than its size", chunked("3\r\nhello\r\n0\r\n\r\n"))
            .gives([ok(), Data(b"hel")])
            .fails(E::InvalidChunkEnd),
        // RFC 9112 §7.1: whitespace only before an extension, an
        // extension always named, its value present and terminated.
        v("whitespace after a chunk size with no extension", chunked("5 \r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("tab after a chunk size with no extension", chunked("5\t\r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("a semicolon with no extension name", chunked("5;\r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("an extension value missing", chunked("5\r\nhello\r\n0;x=\r\n\r\n"))
            .gives([ok(), Data(b"hello")])
            .fails(E::InvalidChunkSize),
        v("an unterminated quoted extension value", chunked("5;x=\"open\r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("whitespace inside an extension value", chunked("5;x=y z\r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("malformed trailer field name", chunked("0\r\nBad Name: x\r\n\r\n"))
            .gives([ok()])
            .fails(E::MalformedTrailers),
    ]
}
