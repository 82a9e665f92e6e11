//! Response vectors: connection signals: version, `Connection` tokens, `Keep-Alive`.

use super::*;

/// RFC 9112 §9.3, §9.6; RFC 9110 §7.6.1; docs/DESIGN.md P6, P7.
pub(crate) fn connection_vectors() -> Vec<Vector> {
    let with = |fields: &str| format!("HTTP/1.1 200 OK\r\n{fields}Content-Length: 0\r\n\r\n");
    let with10 = |fields: &str| format!("HTTP/1.0 200 OK\r\n{fields}Content-Length: 0\r\n\r\n");
    vec![
        v("HTTP/1.1 is persistent and confirms pipelining", with("")).gives([head(200, Length(0), KEEP), End]),
        v("Connection: close", with("Connection: close\r\n")).gives([head(200, Length(0), CLOSE), End]),
        v("close token ignores case", with("Connection: Close\r\n")).gives([head(200, Length(0), CLOSE), End]),
        v("close wins over keep-alive", with("Connection: keep-alive, close\r\n"))
            .gives([head(200, Length(0), CLOSE), End]),
        v("close in a padded list", with("Connection: , close ,\r\n")).gives([head(200, Length(0), CLOSE), End]),
        v("close in a second Connection field", with("Connection: keep-alive\r\nConnection: close\r\n"))
            .gives([head(200, Length(0), CLOSE), End]),
        v("other Connection tokens keep the connection", with("Connection: upgrade, x-custom\r\n"))
            .gives([head(200, Length(0), KEEP), End]),
        v("Keep-Alive timeout and max are parsed", with("Keep-Alive: timeout=5, max=100\r\n"))
            .gives([head(200, Length(0), KEEP).keep_alive(Some(100), Some(5)), End]),
        v("quoted Keep-Alive parameters are parsed", with("Keep-Alive: timeout=\"30\", MAX=\"7\"\r\n"))
            .gives([head(200, Length(0), KEEP).keep_alive(Some(7), Some(30)), End]),
        v("unparsable Keep-Alive parameters are ignored", with("Keep-Alive: timeout=soon, max=-1, foo\r\n"))
            .gives([head(200, Length(0), KEEP), End]),
        v("HTTP/1.0 without keep-alive is not persistent", with10("")).gives([head10(200, Length(0), CLOSE), End]),
        v("HTTP/1.0 keep-alive is persistent but does not confirm pipelining", with10("Connection: keep-alive\r\n"))
            .gives([head10(200, Length(0), KEEP_10), End]),
        v("HTTP/1.0 keep-alive with Keep-Alive max", with10("Connection: Keep-Alive\r\nKeep-Alive: max=3\r\n"))
            .gives([head10(200, Length(0), KEEP_10).keep_alive(Some(3), None), End]),
        v("HTTP/1.0 keep-alive and close is not persistent", with10("Connection: keep-alive, close\r\n"))
            .gives([head10(200, Length(0), CLOSE), End]),
        v(
            "HTTP/1.0 keep-alive without framing is read to close",
            "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody",
        )
        .eof()
        .gives([head10(200, UntilClose, CLOSE), Data(b"body"), End]),
        v("chunked HTTP/1.1 is persistent", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            .gives([head(200, Chunked, KEEP), End]),
    ]
}
