//! Response vectors: field lines: unfolding, and bytes that are refused.

use super::*;

/// RFC 9112 §5 (field lines, obs-fold), RFC 9110 §5.5.
pub(crate) fn field_line_vectors() -> Vec<Vector> {
    let mh = |s| E::MalformedHead(s);
    let with = |line: &[u8]| {
        let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
        input.extend_from_slice(line);
        input.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
        input
    };
    vec![
        v("obs-fold is replaced by spaces", with(b"X-Folded: first\r\n second"))
            .gives([head(200, Length(0), KEEP).field("X-Folded", b"first   second"), End]),
        v("obs-fold with a tab is replaced by spaces", with(b"X-Folded: first\r\n\tsecond"))
            .gives([head(200, Length(0), KEEP).field("X-Folded", b"first  \tsecond"), End]),
        v(
            "obs-fold inside Transfer-Encoding is unfolded before framing",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n0\r\n\r\n",
        )
        .gives([head(200, Chunked, KEEP), End]),
        v("OWS around a field value is trimmed", with(b"X-Pad: \t v \t"))
            .gives([head(200, Length(0), KEEP).field("X-Pad", b"v"), End]),
        v("empty field value", with(b"X-Empty:")).gives([head(200, Length(0), KEEP).field("X-Empty", b""), End]),
        v("obs-text in a field value is kept", with(b"X-Name: caf\xe9"))
            .gives([head(200, Length(0), KEEP).field("X-Name", b"caf\xe9"), End]),
        v(
            "field names are matched case-insensitively",
            "HTTP/1.1 200 OK\r\ncontent-LENGTH: 2\r\nCONNECTION: CLOSE\r\n\r\nhi",
        )
        .gives([head(200, Length(2), CLOSE), Data(b"hi"), End]),
        v("control byte in a field name", with(b"X\x01Bad: v")).fails(mh(HeadSyntax::HeaderName)),
        v("space inside a field name", with(b"X Bad: v")).fails(mh(HeadSyntax::HeaderName)),
        v("field line without a colon", with(b"NoColon")).fails(mh(HeadSyntax::HeaderName)),
        v("empty field name", with(b": v")).fails(mh(HeadSyntax::HeaderName)),
        v("whitespace before the first field line is rejected", "HTTP/1.1 200 OK\r\n X: y\r\n\r\n")
            .fails(mh(HeadSyntax::HeaderName)),
        v("NUL in a field value", with(b"X-Bad: a\0b")).fails(mh(HeadSyntax::HeaderValue)),
        v("bare CR in a field value", with(b"X-Bad: a\rb")).fails(mh(HeadSyntax::HeaderValue)),
    ]
}
