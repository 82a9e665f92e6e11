//! Response vectors: responses pipelined on one connection, decoded against the queue of request methods.

use super::*;

/// RFC 9112 §9.3.2 and docs/DESIGN.md P2: responses back to back, each decoded
/// with the method of the request it answers; `End` advances the queue.
pub(crate) fn pipelined_vectors() -> Vec<Vector> {
    use Method as M;
    vec![
        v(
            "GET, HEAD, 204, 304, POST with 100 Continue, GET; a partial next response stays unread",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\
             HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\
             HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n\
             HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n\
             HTTP/1.1 100 Continue\r\n\r\n\
             HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnew\r\n0\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
             HTTP/1.1 200 O",
        )
        .methods(&[M::GET, M::HEAD, M::GET, M::GET, M::POST, M::GET])
        .gives([
            head(200, Length(5), KEEP),
            Data(b"hello"),
            End,
            head(200, Empty, KEEP).field("Content-Length", b"1000"),
            End,
            head(204, Empty, KEEP),
            End,
            head(304, Empty, KEEP),
            End,
            interim(100),
            head(201, Chunked, KEEP),
            Data(b"new"),
            End,
            head(200, Length(2), KEEP),
            Data(b"ok"),
            End,
        ])
        .unread(b"HTTP/1.1 200 O"),
        v(
            "an interim response does not answer the request",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\
             HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        )
        .methods(&[M::POST, M::HEAD])
        .gives([interim(100), head(200, Length(2), KEEP), Data(b"ok"), End, head(200, Empty, KEEP), End]),
        v(
            "stray empty lines between responses are skipped",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb\n\
             HTTP/1.1 204 No Content\r\n\r\n",
        )
        .methods(&[M::GET, M::GET, M::GET])
        .gives([
            head(200, Chunked, KEEP),
            Data(b"a"),
            End,
            head(200, Length(1), KEEP),
            Data(b"b"),
            End,
            head(204, Empty, KEEP),
            End,
        ]),
        v(
            "trailers and keep-alive signals stay with their own response",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nKeep-Alive: max=2\r\n\r\n0\r\nX-Sum: 0\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )
        .methods(&[M::GET, M::GET])
        .gives([
            head(200, Chunked, KEEP).keep_alive(Some(2), None),
            trailers(&[("X-Sum", b"0")]),
            End,
            head(200, Length(0), CLOSE).no_field("X-Sum"),
            End,
        ]),
        v(
            "HTTP/1.0 keep-alive responses back to back",
            "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nA\
             HTTP/1.0 404 Not Found\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        )
        .methods(&[M::GET, M::GET])
        .gives([head10(200, Length(1), KEEP_10), Data(b"A"), End, head10(404, Length(0), KEEP_10), End]),
        v(
            "a read-to-close response ends the pipeline at EOF",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
             HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
        )
        .methods(&[M::GET, M::GET, M::GET])
        .eof()
        .gives([
            head(200, Length(1), KEEP),
            Data(b"A"),
            End,
            head(200, UntilClose, CLOSE),
            Data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"),
            End,
        ]),
        v(
            "a CONNECT tunnel leaves everything after it unread",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
             HTTP/1.1 200 Connection Established\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
        )
        .methods(&[M::GET, M::CONNECT, M::GET])
        .gives([head(200, Length(1), KEEP), Data(b"A"), End, head(200, Tunnel, CLOSE), End])
        .unread(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"),
        v(
            "responses beyond the last request stay unread",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
             HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
        )
        .gives([head(200, Length(1), KEEP), Data(b"A"), End])
        .unread(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"),
        v(
            "a framing error in the second response keeps the first intact",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
             HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nB\
             HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        )
        .methods(&[M::GET, M::GET, M::GET])
        .gives([head(200, Length(1), KEEP), Data(b"A"), End])
        .fails(E::ConflictingContentLength { first: 1, second: 2 }),
    ]
}
