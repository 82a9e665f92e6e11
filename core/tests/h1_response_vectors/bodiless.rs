//! Response vectors: responses without content: to HEAD, `204`, `304`.

use super::*;

/// RFC 9112 §6.3 rule 1; RFC 9110 §9.3.2, §15.3.5, §15.4.5.
pub(crate) fn bodiless_vectors() -> Vec<Vector> {
    vec![
        v("HEAD response with Content-Length has no content", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
            .to(Method::HEAD)
            .gives([head(200, Empty, KEEP).field("Content-Length", b"5"), End]),
        v("HEAD response with chunked has no content", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .to(Method::HEAD)
            .gives([head(200, Empty, KEEP), End]),
        v(
            "HEAD response with both Transfer-Encoding and Content-Length is not an error",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        )
        .to(Method::HEAD)
        .gives([head(200, Empty, KEEP), End]),
        v("HTTP/1.0 HEAD response has no content", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n")
            .to(Method::HEAD)
            .gives([head10(200, Empty, CLOSE), End]),
        v("HEAD response without framing fields is persistent, not read to close", "HTTP/1.1 200 OK\r\n\r\n")
            .to(Method::HEAD)
            .eof()
            .gives([head(200, Empty, KEEP), End]),
        v(
            "204 with Content-Length has no content; following bytes are not its body",
            "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
        )
        .gives([head(204, Empty, KEEP), End])
        .unread(b"hello"),
        v("204 with an invalid Content-Length is not an error", "HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n")
            .gives([head(204, Empty, KEEP), End]),
        v("304 with Content-Length has no content", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n")
            .gives([head(304, Empty, KEEP).field("Content-Length", b"100"), End]),
        v(
            "304 with chunked has no content",
            "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        )
        .gives([head(304, Empty, KEEP), End])
        .unread(b"0\r\n\r\n"),
    ]
}
