//! Response vectors: status lines (RFC 9112 §4), and what may come before them.

use super::*;

/// RFC 9112 §2.2, §2.3, §4; RFC 9110 §15.
pub(crate) fn status_line_vectors() -> Vec<Vector> {
    let mh = |s| E::MalformedHead(s);
    vec![
        v("reason phrase is kept", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .gives([head(200, Length(0), KEEP).reason(b"OK"), End]),
        v("multi-word reason phrase is kept whole", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .gives([head(404, Length(0), KEEP).reason(b"Not Found"), End]),
        v("empty reason after the space", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")
            .gives([head(200, Length(0), KEEP).reason(b""), End]),
        v("missing reason and space", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")
            .gives([head(200, Length(0), KEEP).reason(b""), End]),
        v("obs-text reason is kept as bytes", b"HTTP/1.1 200 Tr\xe8s bien\r\nContent-Length: 0\r\n\r\n")
            .gives([head(200, Length(0), KEEP).reason(b"Tr\xe8s bien"), End]),
        v("UTF-8 reason is kept as bytes", "HTTP/1.1 404 Não encontrado\r\nContent-Length: 0\r\n\r\n")
            .gives([head(404, Length(0), KEEP).reason("Não encontrado".as_bytes()), End]),
        v("reason may hold a tab", "HTTP/1.1 200 O\tK\r\nContent-Length: 0\r\n\r\n")
            .gives([head(200, Length(0), KEEP).reason(b"O\tK"), End]),
        v("HTTP/1.0 status line", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi").gives([
            head10(200, Length(2), CLOSE),
            Data(b"hi"),
            End,
        ]),
        v("status 599 is accepted", "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n")
            .gives([head(599, Length(0), KEEP), End]),
        v("status 099 is rejected although three digits", "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n")
            .fails(E::InvalidStatus { code: 99 }),
        v("status 000 is rejected", "HTTP/1.1 000 Zero\r\n\r\n").fails(E::InvalidStatus { code: 0 }),
        v("four-digit status is rejected", "HTTP/1.1 1000 Big\r\n\r\n").fails(mh(HeadSyntax::Status)),
        v("two-digit status is rejected", "HTTP/1.1 20 OK\r\n\r\n").fails(mh(HeadSyntax::Status)),
        v("status with letters is rejected", "HTTP/1.1 2OO OK\r\n\r\n").fails(mh(HeadSyntax::Status)),
        v("two spaces before the status are rejected", "HTTP/1.1  200 OK\r\n\r\n").fails(mh(HeadSyntax::Status)),
        v("HTTP/2 status line is rejected", "HTTP/2 200 OK\r\n\r\n").fails(mh(HeadSyntax::Version)),
        v("lowercase protocol name is rejected", "http/1.1 200 OK\r\n\r\n").fails(mh(HeadSyntax::Version)),
        v("space before the status line is rejected", " HTTP/1.1 200 OK\r\n\r\n").fails(mh(HeadSyntax::Version)),
        v("a line that is not a status line is rejected", "hello world\r\n\r\n").fails(mh(HeadSyntax::Version)),
        v("bare CR inside the status line is rejected", "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n")
            .fails(mh(HeadSyntax::Status)),
        v("bare CR ending the status line is rejected", "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n")
            .fails(mh(HeadSyntax::Status)),
        v("bare LF line endings are accepted", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi").gives([
            head(200, Length(2), KEEP).reason(b"OK"),
            Data(b"hi"),
            End,
        ]),
        v("empty CRLF lines before the status line are skipped", "\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
            .gives([head(204, Empty, KEEP), End]),
        v("empty LF lines before the status line are skipped", "\n\nHTTP/1.1 204 No Content\r\n\r\n")
            .gives([head(204, Empty, KEEP), End]),
    ]
}
