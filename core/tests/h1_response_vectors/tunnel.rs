//! Response vectors: `101 Switching Protocols` and `CONNECT` 2xx: HTTP ends on the connection.

use super::*;

/// RFC 9110 §9.3.6, §15.2.2; RFC 9112 §6.3 rule 2.
pub(crate) fn tunnel_vectors() -> Vec<Vector> {
    vec![
        v(
            "101 Switching Protocols ends HTTP and leaves the new protocol's bytes unread",
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        )
        .gives([head(101, Tunnel, CLOSE).field("Upgrade", b"websocket"), End])
        .unread(b"\x81\x05hello"),
        v("2xx to CONNECT is a tunnel", b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01\x02\x00")
            .to(Method::CONNECT)
            .gives([head(200, Tunnel, CLOSE), End])
            .unread(b"\x16\x03\x01\x02\x00"),
        v(
            "2xx to CONNECT ignores Content-Length and Transfer-Encoding",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello",
        )
        .to(Method::CONNECT)
        .gives([head(200, Tunnel, CLOSE), End])
        .unread(b"hello"),
        v("interim before a CONNECT 2xx", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\ntls")
            .to(Method::CONNECT)
            .gives([interim(100), head(200, Tunnel, CLOSE), End])
            .unread(b"tls"),
        v(
            "non-2xx to CONNECT is framed as usual",
            "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\ndeny",
        )
        .to(Method::CONNECT)
        .gives([head(407, Length(4), KEEP), Data(b"deny"), End]),
        v(
            "bytes after a 101 are never read as HTTP, and EOF in the tunnel is clean",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        )
        .methods(&[Method::GET, Method::GET])
        .eof()
        .gives([head(101, Tunnel, CLOSE), End])
        .unread(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ]
}
