//! Response vectors: `Content-Length` framing.

use super::*;

/// RFC 9110 §8.6; RFC 9112 §6.3 rules 5 and 6.
pub(crate) fn content_length_vectors() -> Vec<Vector> {
    let cl = |value: &str| format!("HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\nhello");
    vec![
        v("Content-Length 5", cl("5")).gives([head(200, Length(5), KEEP), Data(b"hello"), End]),
        v("Content-Length 0 ends at once", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .gives([head(200, Length(0), KEEP), End]),
        v("Content-Length list of identical values", cl("5, 5")).gives([
            head(200, Length(5), KEEP),
            Data(b"hello"),
            End,
        ]),
        v("Content-Length list without spaces", cl("5,5,5")).gives([head(200, Length(5), KEEP), Data(b"hello"), End]),
        v(
            "two identical Content-Length fields",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        )
        .gives([head(200, Length(5), KEEP), Data(b"hello"), End]),
        v("Content-Length surrounded by OWS", "HTTP/1.1 200 OK\r\nContent-Length: \t 5 \t\r\n\r\nhello").gives([
            head(200, Length(5), KEEP),
            Data(b"hello"),
            End,
        ]),
        v("Content-Length with leading zeros", "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567").gives([
            head(200, Length(7), KEEP),
            Data(b"1234567"),
            End,
        ]),
        v("content beyond Content-Length stays unread", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello")
            .gives([head(200, Length(2), KEEP), Data(b"he"), End])
            .unread(b"llo"),
        v("Content-Length of 2^64-1 is accepted", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc")
            .eof()
            .gives([head(200, Length(u64::MAX), KEEP), Data(b"abc")])
            .fails(E::Truncated),
        v(
            "differing Content-Length fields conflict",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        )
        .fails(E::ConflictingContentLength { first: 5, second: 6 }),
        v("differing Content-Length list elements conflict", cl("5, 6"))
            .fails(E::ConflictingContentLength { first: 5, second: 6 }),
        v("Content-Length with a plus sign", cl("+5")).fails(E::InvalidContentLength),
        v("negative Content-Length", cl("-1")).fails(E::InvalidContentLength),
        v("hexadecimal Content-Length", cl("0x5")).fails(E::InvalidContentLength),
        v("empty Content-Length", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n").fails(E::InvalidContentLength),
        v("Content-Length overflowing 64 bits", cl("99999999999999999999")).fails(E::InvalidContentLength),
        v("Content-Length with an inner space", cl("5 5")).fails(E::InvalidContentLength),
        v("decimal-point Content-Length", cl("5.0")).fails(E::InvalidContentLength),
    ]
}
