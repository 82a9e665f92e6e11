//! Response vectors: EOF: it ends read-to-close content and truncates anything else.

use super::*;

/// RFC 9112 §6.3 rule 8, §8; docs/DESIGN.md P6 (breaks versus server closes).
pub(crate) fn eof_vectors() -> Vec<Vector> {
    vec![
        v("no framing reads to close", "HTTP/1.1 200 OK\r\n\r\nabcdef").eof().gives([
            head(200, UntilClose, CLOSE),
            Data(b"abcdef"),
            End,
        ]),
        v("no framing with keep-alive still reads to close", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nab")
            .eof()
            .gives([head(200, UntilClose, CLOSE), Data(b"ab"), End]),
        v("no framing and no content ends at EOF", "HTTP/1.1 200 OK\r\n\r\n")
            .eof()
            .gives([head(200, UntilClose, CLOSE), End]),
        v("no framing does not end before EOF", "HTTP/1.1 200 OK\r\n\r\nabc")
            .gives([head(200, UntilClose, CLOSE), Data(b"abc")]),
        v("HTTP/1.0 without framing reads to close", "HTTP/1.0 200 OK\r\n\r\nold").eof().gives([
            head10(200, UntilClose, CLOSE),
            Data(b"old"),
            End,
        ]),
        v("EOF with nothing received is clean", "").eof(),
        v("EOF inside the status line", "HTTP/1.1 20").eof().fails(E::Truncated),
        v("EOF inside the head", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n").eof().fails(E::Truncated),
        v("EOF before the head's last LF", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r").eof().fails(E::Truncated),
        v("EOF right after the head", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
            .eof()
            .gives([head(200, Length(5), KEEP)])
            .fails(E::Truncated),
        v("EOF inside Content-Length content", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe")
            .eof()
            .gives([head(200, Length(5), KEEP), Data(b"he")])
            .fails(E::Truncated),
        v("EOF inside a chunk-size line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5")
            .eof()
            .gives([head(200, Chunked, KEEP)])
            .fails(E::Truncated),
        v("EOF inside chunk data", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
            .eof()
            .gives([head(200, Chunked, KEEP), Data(b"hel")])
            .fails(E::Truncated),
        v("EOF before the CRLF after chunk data", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r")
            .eof()
            .gives([head(200, Chunked, KEEP), Data(b"hello")])
            .fails(E::Truncated),
        v("EOF after the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")
            .eof()
            .gives([head(200, Chunked, KEEP)])
            .fails(E::Truncated),
        v("EOF inside the trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Sum: 1\r\n")
            .eof()
            .gives([head(200, Chunked, KEEP)])
            .fails(E::Truncated),
        v(
            "EOF between responses is clean",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 204 No Content\r\n\r\n",
        )
        .methods(&[Method::GET, Method::GET, Method::GET])
        .eof()
        .gives([head(200, Length(1), KEEP), Data(b"a"), End, head(204, Empty, KEEP), End]),
        v("EOF after a stray CRLF between responses is clean", "HTTP/1.1 204 No Content\r\n\r\n\r\n")
            .methods(&[Method::GET, Method::GET])
            .eof()
            .gives([head(204, Empty, KEEP), End]),
    ]
}
