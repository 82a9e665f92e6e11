//! Response vectors: `Transfer-Encoding` framing.

use super::*;

/// RFC 9112 §6.1, §6.3 rules 3 and 4, §7.
pub(crate) fn transfer_encoding_vectors() -> Vec<Vector> {
    let te = |value: &str| format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {value}\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    vec![
        v("chunked", te("chunked")).gives([head(200, Chunked, KEEP), Data(b"hello"), End]),
        v("chunked is matched case-insensitively", te("Chunked")).gives([
            head(200, Chunked, KEEP),
            Data(b"hello"),
            End,
        ]),
        v("CHUNKED is matched case-insensitively", te("CHUNKED")).gives([
            head(200, Chunked, KEEP),
            Data(b"hello"),
            End,
        ]),
        v("gzip then chunked is chunked, content left coded", te("gzip, chunked")).gives([
            head(200, Chunked, KEEP).field("Transfer-Encoding", b"gzip, chunked"),
            Data(b"hello"),
            End,
        ]),
        v(
            "codings across two fields, chunked last",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        .gives([head(200, Chunked, KEEP), Data(b"hello"), End]),
        v("empty list elements around chunked are ignored", te(" , chunked , ")).gives([
            head(200, Chunked, KEEP),
            Data(b"hello"),
            End,
        ]),
        v("chunked not last is read to close", te("chunked, gzip")).eof().gives([
            head(200, UntilClose, CLOSE),
            Data(b"5\r\nhello\r\n0\r\n\r\n"),
            End,
        ]),
        v("identity alone is read to close", te("identity")).eof().gives([
            head(200, UntilClose, CLOSE),
            Data(b"5\r\nhello\r\n0\r\n\r\n"),
            End,
        ]),
        v("empty Transfer-Encoding is read to close", te("")).eof().gives([
            head(200, UntilClose, CLOSE),
            Data(b"5\r\nhello\r\n0\r\n\r\n"),
            End,
        ]),
        v("chunked twice in one field", te("chunked, chunked")).fails(E::InvalidTransferEncoding),
        v(
            "chunked twice in two fields",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .fails(E::InvalidTransferEncoding),
        v(
            "Transfer-Encoding with Content-Length",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        .fails(E::TransferEncodingWithContentLength),
        v(
            "Content-Length with Transfer-Encoding",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        .fails(E::TransferEncodingWithContentLength),
        v(
            "Transfer-Encoding in HTTP/1.0 is read to close",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        .eof()
        .gives([head10(200, UntilClose, CLOSE), Data(b"5\r\nhello\r\n0\r\n\r\n"), End]),
        v(
            "Transfer-Encoding with Content-Length in HTTP/1.0",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
        )
        .fails(E::TransferEncodingWithContentLength),
    ]
}
