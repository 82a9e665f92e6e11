//! Response vectors for the HTTP/1.1 decoder, written from RFC 9112 §§2–7
//! and RFC 9110 §§8, 15: each input with the items or the exact error it must
//! give. Every vector runs whole, one byte at a time and split at every
//! offset (see `support`), and must also leave exactly the expected bytes
//! unread.

mod support;

use pipelining::h1::{
    ConnectionSignals, DecodeError, Framing, HeadSyntax, Limits, Method, ResponseDecoder, ResponseHead, ResponsePart,
    Version,
};
use std::collections::HashSet;

use DecodeError as E;
use Framing::{Chunked, Empty, Length, Tunnel, UntilClose};

// ---------------------------------------------------------------------------
// The table's vocabulary.

/// HTTP/1.1, persistent: confirms the server can pipeline.
const KEEP: ConnectionSignals = ConnectionSignals {
    persistent: true,
    confirms_pipelining: true,
    keep_alive_max: None,
    keep_alive_timeout_secs: None,
};
/// HTTP/1.0 with keep-alive: persistent, but never pipelined to.
const KEEP_10: ConnectionSignals = ConnectionSignals {
    persistent: true,
    confirms_pipelining: false,
    keep_alive_max: None,
    keep_alive_timeout_secs: None,
};
/// The connection ends after this response.
const CLOSE: ConnectionSignals = ConnectionSignals {
    persistent: false,
    confirms_pipelining: false,
    keep_alive_max: None,
    keep_alive_timeout_secs: None,
};

/// What a head must look like. Status, version, framing and connection
/// signals are always checked for final heads; the reason and fields only
/// when named.
#[derive(Clone, Debug)]
struct HeadExp {
    interim: bool,
    version: Version,
    status: u16,
    reason: Option<&'static [u8]>,
    framing: Option<Framing>,
    connection: Option<ConnectionSignals>,
    fields: Vec<(&'static str, &'static [u8])>,
    absent: Vec<&'static str>,
}

/// One expected item.
#[derive(Clone, Debug)]
enum Exp {
    Head(HeadExp),
    /// All content of one response, transfer coding removed, concatenated.
    Data(&'static [u8]),
    Trailers(Vec<(&'static str, &'static [u8])>),
    End,
}

use Exp::{Data, End};

fn final_head(version: Version, status: u16, framing: Framing, connection: ConnectionSignals) -> Exp {
    Exp::Head(HeadExp {
        interim: false,
        version,
        status,
        reason: None,
        framing: Some(framing),
        connection: Some(connection),
        fields: Vec::new(),
        absent: Vec::new(),
    })
}

/// An HTTP/1.1 final head.
fn head(status: u16, framing: Framing, connection: ConnectionSignals) -> Exp {
    final_head(Version::Http11, status, framing, connection)
}

/// An HTTP/1.0 final head.
fn head10(status: u16, framing: Framing, connection: ConnectionSignals) -> Exp {
    final_head(Version::Http10, status, framing, connection)
}

/// An HTTP/1.1 interim (1xx) head.
fn interim(status: u16) -> Exp {
    Exp::Head(HeadExp {
        interim: true,
        version: Version::Http11,
        status,
        reason: None,
        framing: None,
        connection: None,
        fields: Vec::new(),
        absent: Vec::new(),
    })
}

fn trailers(fields: &[(&'static str, &'static [u8])]) -> Exp {
    Exp::Trailers(fields.to_vec())
}

impl Exp {
    fn head_mut(&mut self) -> &mut HeadExp {
        match self {
            Exp::Head(h) => h,
            other => panic!("not a head: {other:?}"),
        }
    }

    /// The reason phrase must be exactly `reason`.
    fn reason(mut self, reason: &'static [u8]) -> Exp {
        self.head_mut().reason = Some(reason);
        self
    }

    /// The first field called `name` must have exactly `value`.
    fn field(mut self, name: &'static str, value: &'static [u8]) -> Exp {
        self.head_mut().fields.push((name, value));
        self
    }

    /// No field may be called `name`.
    fn no_field(mut self, name: &'static str) -> Exp {
        self.head_mut().absent.push(name);
        self
    }

    /// `Keep-Alive: max` and `timeout` as parsed.
    fn keep_alive(mut self, max: Option<u64>, timeout_secs: Option<u64>) -> Exp {
        let connection = self.head_mut().connection.as_mut().expect("a final head");
        connection.keep_alive_max = max;
        connection.keep_alive_timeout_secs = timeout_secs;
        self
    }
}

/// One response vector.
struct Vector {
    name: &'static str,
    input: Vec<u8>,
    /// The methods of the requests being answered, oldest first.
    methods: Vec<Method>,
    /// The peer closes the connection after the input.
    eof: bool,
    limits: Limits,
    items: Vec<Exp>,
    error: Option<DecodeError>,
    /// What stays in the buffer after the last response (when no error).
    unread: &'static [u8],
}

/// A vector answering one GET, with default limits and no EOF.
fn v(name: &'static str, input: impl AsRef<[u8]>) -> Vector {
    Vector {
        name,
        input: input.as_ref().to_vec(),
        methods: vec![Method::GET],
        eof: false,
        limits: Limits::default(),
        items: Vec::new(),
        error: None,
        unread: b"",
    }
}

impl Vector {
    fn to(mut self, method: Method) -> Vector {
        self.methods = vec![method];
        self
    }

    fn methods(mut self, methods: &[Method]) -> Vector {
        self.methods = methods.to_vec();
        self
    }

    fn eof(mut self) -> Vector {
        self.eof = true;
        self
    }

    fn limits(mut self, set: impl FnOnce(&mut Limits)) -> Vector {
        set(&mut self.limits);
        self
    }

    fn gives(mut self, items: impl IntoIterator<Item = Exp>) -> Vector {
        self.items = items.into_iter().collect();
        self
    }

    fn fails(mut self, error: DecodeError) -> Vector {
        self.error = Some(error);
        self
    }

    fn unread(mut self, unread: &'static [u8]) -> Vector {
        self.unread = unread;
        self
    }
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn check_head(exp: &HeadExp, interim: bool, head: &ResponseHead) -> Result<(), String> {
    if exp.interim != interim {
        return Err(format!("expected interim={}, got interim={interim}", exp.interim));
    }
    if (exp.version, exp.status) != (head.version, head.status) {
        return Err(format!("expected {:?} {}, got {:?} {}", exp.version, exp.status, head.version, head.status));
    }
    if let Some(reason) = exp.reason {
        if head.reason != reason {
            return Err(format!("expected reason {:?}, got {:?}", show(reason), show(&head.reason)));
        }
    }
    if let Some(framing) = exp.framing {
        if head.framing != framing {
            return Err(format!("expected framing {framing:?}, got {:?}", head.framing));
        }
    }
    if let Some(connection) = exp.connection {
        if head.connection != connection {
            return Err(format!("expected {connection:?}, got {:?}", head.connection));
        }
    }
    for (name, value) in &exp.fields {
        match head.header(name) {
            Some(got) if got == *value => {}
            got => return Err(format!("expected field {name}: {:?}, got {:?}", show(value), got.map(show))),
        }
    }
    for name in &exp.absent {
        if head.header(name).is_some() {
            return Err(format!("field {name} should not be in the head"));
        }
    }
    Ok(())
}

fn check_item(exp: &Exp, got: &ResponsePart) -> Result<(), String> {
    match (exp, got) {
        (Exp::Head(h), ResponsePart::Head(head)) => check_head(h, false, head),
        (Exp::Head(h), ResponsePart::Interim(head)) => check_head(h, true, head),
        (Exp::Data(want), ResponsePart::Data(data)) if data == want => Ok(()),
        (Exp::Trailers(want), ResponsePart::Trailers(fields)) => {
            let got: Vec<(&[u8], &[u8])> = fields.iter().map(|f| (&f.name[..], &f.value[..])).collect();
            let want: Vec<(&[u8], &[u8])> = want.iter().map(|(n, v)| (n.as_bytes(), *v)).collect();
            if got == want { Ok(()) } else { Err(format!("expected trailers {want:?}, got {got:?}")) }
        }
        (Exp::End, ResponsePart::End) => Ok(()),
        _ => Err(format!("expected {exp:?}, got {got:?}")),
    }
}

/// Runs one vector every way and compares it with its expectations.
fn check_vector(v: &Vector) -> Result<(), String> {
    let out = support::decode_responses(v.name, &v.input, &v.methods, v.eof, v.limits);
    for (i, (exp, got)) in v.items.iter().zip(&out.items).enumerate() {
        check_item(exp, got).map_err(|e| format!("item {i}: {e}"))?;
    }
    if v.items.len() != out.items.len() {
        return Err(format!("expected {} items, got {}: {:?}", v.items.len(), out.items.len(), out.items));
    }
    if out.error != v.error {
        return Err(format!("expected error {:?}, got {:?}", v.error, out.error));
    }
    if let Some(after) = &out.after_error {
        if *after != Err(DecodeError::Dead) {
            return Err(format!("after the error the decoder answered {after:?}, not Dead"));
        }
    }
    if out.unread != v.unread {
        return Err(format!("expected unread {:?}, got {:?}", show(v.unread), show(&out.unread)));
    }
    Ok(())
}

fn check(vectors: &[Vector]) {
    let failures: Vec<String> =
        vectors.iter().filter_map(|v| check_vector(v).err().map(|e| format!("{}: {e}", v.name))).collect();
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), vectors.len(), failures.join("\n"));
}

// ---------------------------------------------------------------------------
// The vectors.

/// RFC 9112 §2.2, §2.3, §4; RFC 9110 §15.
fn status_line_vectors() -> Vec<Vector> {
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

/// RFC 9110 §15.2, RFC 9112 §6.3 rule 1.
fn interim_vectors() -> Vec<Vector> {
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

/// RFC 9110 §9.3.6, §15.2.2; RFC 9112 §6.3 rule 2.
fn tunnel_vectors() -> Vec<Vector> {
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

/// RFC 9112 §6.3 rule 1; RFC 9110 §9.3.2, §15.3.5, §15.4.5.
fn bodiless_vectors() -> Vec<Vector> {
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

/// RFC 9110 §8.6; RFC 9112 §6.3 rules 5 and 6.
fn content_length_vectors() -> Vec<Vector> {
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

/// RFC 9112 §6.1, §6.3 rules 3 and 4, §7.
fn transfer_encoding_vectors() -> Vec<Vector> {
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

/// RFC 9112 §7.1.
fn chunked_vectors() -> Vec<Vector> {
    let chunked = |body: &str| format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
    let ok = || head(200, Chunked, KEEP);
    vec![
        v("chunks are concatenated", chunked("2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n")).gives([ok(), Data(b"hello"), End]),
        v("an empty chunked body has no data", chunked("0\r\n\r\n")).gives([ok(), End]),
        v("chunk extensions are ignored", chunked("5;name=value\r\nhello\r\n0;last\r\n\r\n")).gives([
            ok(),
            Data(b"hello"),
            End,
        ]),
        v("quoted chunk extension", chunked("5;name=\"a b; c\"\r\nhello\r\n0\r\n\r\n")).gives([
            ok(),
            Data(b"hello"),
            End,
        ]),
        v("whitespace before a chunk extension", chunked("5 ;x\r\nhello\r\n0\r\n\r\n")).gives([
            ok(),
            Data(b"hello"),
            End,
        ]),
        v("uppercase hex chunk size", chunked("A\r\n0123456789\r\n0\r\n\r\n")).gives([ok(), Data(b"0123456789"), End]),
        v("lowercase hex chunk size", chunked("a\r\n0123456789\r\n0\r\n\r\n")).gives([ok(), Data(b"0123456789"), End]),
        v("chunk sizes with leading zeros", chunked("0005\r\nhello\r\n000\r\n\r\n")).gives([ok(), Data(b"hello"), End]),
        v("bare LF line endings in a chunked body", chunked("5\nhello\n0\n\n")).gives([ok(), Data(b"hello"), End]),
        v(
            "trailers are reported apart from the head",
            chunked("5\r\nhello\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n"),
        )
        .gives([
            ok().no_field("X-Checksum").no_field("Expires"),
            Data(b"hello"),
            trailers(&[("Expires", b"never"), ("X-Checksum", b"abc")]),
            End,
        ]),
        v("trailers with bare LF line endings", chunked("0\nX-Sum: 1\n\n")).gives([
            ok(),
            trailers(&[("X-Sum", b"1")]),
            End,
        ]),
        v("obs-fold in a trailer is replaced by spaces", chunked("0\r\nX-Folded: a\r\n b\r\n\r\n")).gives([
            ok(),
            trailers(&[("X-Folded", b"a   b")]),
            End,
        ]),
        v("chunk size of 2^64-1 is accepted", chunked("ffffffffffffffff\r\nabc"))
            .eof()
            .gives([ok(), Data(b"abc")])
            .fails(E::Truncated),
        v("empty chunk-size line", chunked("\r\n5\r\nhello\r\n0\r\n\r\n")).gives([ok()]).fails(E::EmptyChunkSize),
        v("0x prefix on a chunk size", chunked("0x10\r\n0123456789abcdef\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("chunk size overflowing 64 bits", chunked("10000000000000000\r\n")).gives([ok()]).fails(E::ChunkSizeOverflow),
        v("negative chunk size", chunked("-5\r\nhello\r\n0\r\n\r\n")).gives([ok()]).fails(E::InvalidChunkSize),
        v("space before a chunk size", chunked(" 5\r\nhello\r\n0\r\n\r\n")).gives([ok()]).fails(E::InvalidChunkSize),
        v("control byte in a chunk extension", chunked("5;\x01\r\nhello\r\n0\r\n\r\n"))
            .gives([ok()])
            .fails(E::InvalidChunkSize),
        v("chunk data not followed by CRLF", chunked("5\r\nhelloX\r\n0\r\n\r\n"))
            .gives([ok(), Data(b"hello")])
            .fails(E::InvalidChunkEnd),
        v("bare CR after chunk data", chunked("5\r\nhello\r0\r\n\r\n"))
            .gives([ok(), Data(b"hello")])
            .fails(E::InvalidChunkEnd),
        v("chunk longer than its size", chunked("3\r\nhello\r\n0\r\n\r\n"))
            .gives([ok(), Data(b"hel")])
            .fails(E::InvalidChunkEnd),
        v("malformed trailer field name", chunked("0\r\nBad Name: x\r\n\r\n"))
            .gives([ok()])
            .fails(E::MalformedTrailers),
    ]
}

/// RFC 9112 §5 (field lines, obs-fold), RFC 9110 §5.5.
fn field_line_vectors() -> Vec<Vector> {
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

/// RFC 9112 §9.3, §9.6; RFC 9110 §7.6.1; DESIGN.md P6, P7.
fn connection_vectors() -> Vec<Vector> {
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

/// RFC 9112 §6.3 rule 8, §8; DESIGN.md P6 (breaks versus server closes).
fn eof_vectors() -> Vec<Vector> {
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

/// DESIGN.md P4 and Defaults: each limit has its own error.
fn limit_vectors() -> Vec<Vector> {
    // 38 bytes: 17 for the status line, 19 for the field, 2 for the end.
    let head38 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let te = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    vec![
        v("head at the head limit", head38).limits(|l| l.max_head_bytes = 38).gives([head(200, Length(0), KEEP), End]),
        v("head over the head limit", head38).limits(|l| l.max_head_bytes = 37).fails(E::HeadTooLarge { limit: 37 }),
        v("endless head hits the head limit", "HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            .limits(|l| l.max_head_bytes = 32)
            .fails(E::HeadTooLarge { limit: 32 }),
        v("as many fields as the limit", "HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n")
            .limits(|l| l.max_headers = 2)
            .gives([head(200, Length(0), KEEP), End]),
        v("more fields than the limit", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n")
            .limits(|l| l.max_headers = 2)
            .fails(E::TooManyHeaders { limit: 2 }),
        v("chunk-size line at the limit", format!("{te}5;abcd\r\nhello\r\n0\r\n\r\n"))
            .limits(|l| l.max_chunk_line_bytes = 8)
            .gives([head(200, Chunked, KEEP), Data(b"hello"), End]),
        v("chunk-size line over the limit", format!("{te}5;abcde\r\nhello\r\n0\r\n\r\n"))
            .limits(|l| l.max_chunk_line_bytes = 8)
            .gives([head(200, Chunked, KEEP)])
            .fails(E::ChunkLineTooLong { limit: 8 }),
        v("trailers at the trailer limit", format!("{te}0\r\nX-Sum: 12345\r\n\r\n"))
            .limits(|l| l.max_trailer_bytes = 16)
            .gives([head(200, Chunked, KEEP), trailers(&[("X-Sum", b"12345")]), End]),
        v("trailers over the trailer limit", format!("{te}0\r\nX-Sum: 123456\r\n\r\n"))
            .limits(|l| l.max_trailer_bytes = 16)
            .gives([head(200, Chunked, KEEP)])
            .fails(E::TrailersTooLarge { limit: 16 }),
        v("more trailer fields than the limit", format!("{te}0\r\nA: 1\r\nB: 2\r\n\r\n"))
            .limits(|l| l.max_headers = 1)
            .gives([head(200, Chunked, KEEP)])
            .fails(E::TooManyHeaders { limit: 1 }),
    ]
}

/// RFC 9112 §9.3.2 and DESIGN.md P2: responses back to back, each decoded
/// with the method of the request it answers; `End` advances the queue.
fn pipelined_vectors() -> Vec<Vector> {
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

fn all_vectors() -> Vec<Vector> {
    [
        status_line_vectors(),
        interim_vectors(),
        tunnel_vectors(),
        bodiless_vectors(),
        content_length_vectors(),
        transfer_encoding_vectors(),
        chunked_vectors(),
        field_line_vectors(),
        connection_vectors(),
        eof_vectors(),
        limit_vectors(),
        pipelined_vectors(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn status_lines_are_parsed_or_rejected_as_rfc_9112_section_4_says() {
    check(&status_line_vectors());
}

#[test]
fn interim_responses_are_reported_before_the_final_response() {
    check(&interim_vectors());
}

#[test]
fn switching_protocols_and_connect_2xx_end_http_on_the_connection() {
    check(&tunnel_vectors());
}

#[test]
fn head_204_and_304_responses_have_no_content_whatever_their_framing_fields() {
    check(&bodiless_vectors());
}

#[test]
fn content_length_is_digits_only_and_a_list_only_of_identical_values() {
    check(&content_length_vectors());
}

#[test]
fn transfer_encoding_is_chunked_only_when_chunked_is_last() {
    check(&transfer_encoding_vectors());
}

#[test]
fn chunked_bodies_are_decoded_strictly_with_trailers_apart() {
    check(&chunked_vectors());
}

#[test]
fn field_lines_are_unfolded_and_bad_bytes_rejected() {
    check(&field_line_vectors());
}

#[test]
fn connection_signals_follow_version_connection_tokens_and_keep_alive() {
    check(&connection_vectors());
}

#[test]
fn eof_ends_read_to_close_bodies_and_truncates_anything_else() {
    check(&eof_vectors());
}

#[test]
fn each_limit_is_enforced_with_its_own_error() {
    check(&limit_vectors());
}

#[test]
fn pipelined_responses_are_decoded_against_the_queue_of_request_methods() {
    check(&pipelined_vectors());
}

#[test]
fn the_table_holds_at_least_80_uniquely_named_vectors() {
    let vectors = all_vectors();
    let names: HashSet<&str> = vectors.iter().map(|v| v.name).collect();
    assert_eq!(names.len(), vectors.len(), "vector names must be unique");
    assert!(vectors.len() >= 80, "only {} vectors", vectors.len());
}

#[test]
fn the_decoder_refuses_every_call_after_a_framing_error() {
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut buf = bytes::BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nA"[..]);
    assert_eq!(
        decoder.decode(&mut buf, &Method::GET),
        Err(DecodeError::ConflictingContentLength { first: 1, second: 2 })
    );
    assert!(decoder.is_dead());
    let mut good = bytes::BytesMut::from(&b"HTTP/1.1 204 No Content\r\n\r\n"[..]);
    assert_eq!(decoder.decode(&mut good, &Method::GET), Err(DecodeError::Dead));
    assert_eq!(decoder.decode_eof(&mut good, &Method::GET), Err(DecodeError::Dead));
    assert_eq!(decoder.decode(&mut bytes::BytesMut::new(), &Method::GET), Err(DecodeError::Dead));
    assert_eq!(&good[..], b"HTTP/1.1 204 No Content\r\n\r\n", "a dead decoder reads nothing");
}

#[test]
fn after_an_interim_response_the_response_is_still_in_progress() {
    use pipelining::pipeline::Remaining;
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut buf = bytes::BytesMut::from(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]);
    assert!(decoder.is_between_responses());
    assert_eq!(decoder.remaining(&buf), Remaining::Head);
    assert!(matches!(decoder.decode(&mut buf, &Method::POST), Ok(Some(ResponsePart::Interim(_)))));
    assert_eq!(decoder.decode(&mut buf, &Method::POST), Ok(None));
    assert!(buf.is_empty());
    assert!(!decoder.is_between_responses(), "the final response is still due");
    assert_eq!(decoder.remaining(&buf), Remaining::Head);
    buf.extend_from_slice(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert!(matches!(decoder.decode(&mut buf, &Method::POST), Ok(Some(ResponsePart::Head(_)))));
    assert_eq!(decoder.decode(&mut buf, &Method::POST), Ok(Some(ResponsePart::End)));
    assert!(decoder.is_between_responses());
    assert_eq!(decoder.remaining(&buf), Remaining::Nothing);
    assert_eq!(decoder.decode_eof(&mut buf, &Method::GET), Ok(None), "EOF after the final response is clean");
}
