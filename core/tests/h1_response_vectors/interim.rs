//! Response vectors: interim (1xx) responses before the final one.

use super::*;

/// RFC 9110 §15.2, RFC 9112 §6.3 rule 1.
pub(crate) fn interim_vectors() -> Vec<Vector> {
    vec![
        v(
            "100 Continue is reported before the final response",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        )
        .to(Method::POST)
        .gives([interim(100).reason(b"Continue"), head(200, Length(2), KEEP), Data(b"ok"), End]),
        v(
            "103 Early Hints carries its own fields",
            "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\nX-Hint: 1\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        )
        .gives([
            interim(103).field("Link", b"</s.css>; rel=preload").field("X-Hint", b"1"),
            head(200, Length(0), KEEP).no_field("Link").no_field("X-Hint"),
            End,
        ]),
        v(
            "several interim responses precede one final response",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\
             HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        )
        .gives([interim(100), interim(102), interim(103).field("Link", b"</a>"), head(204, Empty, KEEP), End]),
        v("an unknown 1xx status is interim too", "HTTP/1.1 199 Later\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").gives([
            interim(199).reason(b"Later"),
            head(204, Empty, KEEP),
            End,
        ]),
        v(
            "interim response to HEAD, then a bodiless final head",
            "HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        )
        .to(Method::HEAD)
        .gives([interim(103), head(200, Empty, KEEP), End]),
        v(
            "Content-Length on an interim response frames nothing",
            "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        )
        .gives([interim(100).field("Content-Length", b"5"), head(200, Length(2), KEEP), Data(b"ok"), End]),
        v(
            "Transfer-Encoding with Content-Length on an interim response is not an error",
            "HTTP/1.1 103 Early Hints\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        )
        .gives([interim(103), head(200, Length(2), KEEP), Data(b"ok"), End]),
        v("EOF after an interim response truncates the response", "HTTP/1.1 100 Continue\r\n\r\n")
            .to(Method::POST)
            .eof()
            .gives([interim(100)])
            .fails(E::Truncated),
    ]
}
