//! Request encoding: what `encode_request` writes parses back with httparse
//! to the same request, and every invalid request is refused with its own
//! `EncodeError` before a single byte is written.

use bytes::Bytes;
use pipelining::ErrorKind;
use pipelining::h1::{Content, EncodeError, Header, Method, Request, encode_request, validate_request};

const HOST: &[u8] = b"example.com:8080";

/// A request as httparse reads it back.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    method: String,
    target: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
}

/// Parses one request from the front of `buf` with httparse, body included
/// (framed by its Content-Length, absent meaning none); returns it and the
/// bytes it took.
fn parse_one(buf: &[u8]) -> (Parsed, usize) {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut slots);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!("httparse: {other:?} on {:?}", String::from_utf8_lossy(buf)),
    };
    assert_eq!(req.version, Some(1), "HTTP/1.1 on the request line");
    let headers: Vec<(Vec<u8>, Vec<u8>)> =
        req.headers.iter().map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec())).collect();
    let lengths: Vec<usize> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"content-length"))
        .map(|(_, v)| std::str::from_utf8(v).unwrap().parse().unwrap())
        .collect();
    assert!(lengths.len() <= 1, "at most one Content-Length: {headers:?}");
    let body_len = lengths.first().copied().unwrap_or(0);
    let body = buf[head_len..head_len + body_len].to_vec();
    let parsed =
        Parsed { method: req.method.unwrap().to_owned(), target: req.path.unwrap().as_bytes().to_vec(), headers, body };
    (parsed, head_len + body_len)
}

/// Parses every request in `buf`, which must hold whole requests only.
fn parse_all(buf: &[u8]) -> Vec<Parsed> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let (parsed, used) = parse_one(&buf[at..]);
        out.push(parsed);
        at += used;
    }
    out
}

fn encode(request: &Request) -> Vec<u8> {
    let mut dst = Vec::new();
    encode_request(request, HOST, &mut dst).expect("valid request");
    dst
}

fn h(name: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
    (name.as_bytes().to_vec(), value.as_bytes().to_vec())
}

fn count(parsed: &Parsed, name: &str) -> usize {
    parsed.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).count()
}

// ---------------------------------------------------------------- round trip

#[test]
fn get_round_trips_with_host_first() {
    let request = Request::get("/a/b?c=d&e=%20f")
        .with_header("Accept", "*/*")
        .with_header("X-Custom", "  spaced value\t ")
        .with_header("X-Obs-Text", &b"caf\xc3\xa9"[..]);
    let out = encode(&request);
    let (parsed, used) = parse_one(&out);
    assert_eq!(used, out.len(), "nothing after a bodiless GET");
    assert_eq!(
        parsed,
        Parsed {
            method: "GET".into(),
            target: b"/a/b?c=d&e=%20f".to_vec(),
            headers: vec![
                h("Host", "example.com:8080"),
                h("Accept", "*/*"),
                h("X-Custom", "spaced value"),
                (b"X-Obs-Text".to_vec(), b"caf\xc3\xa9".to_vec()),
            ],
            body: Vec::new(),
        }
    );
}

#[test]
fn post_round_trips_with_content_length_last_and_body_after_head() {
    let body = Bytes::from_static(b"{\"a\":1}\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n");
    let request =
        Request::new(Method::POST, "/submit").with_header("Content-Type", "application/json").with_body(body.clone());
    let out = encode(&request);
    let (parsed, used) = parse_one(&out);
    assert_eq!(used, out.len());
    assert_eq!(parsed.method, "POST");
    assert_eq!(parsed.target, b"/submit");
    assert_eq!(
        parsed.headers,
        vec![
            h("Host", "example.com:8080"),
            h("Content-Type", "application/json"),
            h("Content-Length", &body.len().to_string()),
        ]
    );
    assert_eq!(parsed.body, body, "the body follows the head byte for byte");
    assert!(out.ends_with(&body));
}

#[test]
fn exact_bytes_of_a_simple_request() {
    let out = encode(&Request::new(Method::PUT, "/x").with_header("A", "b").with_body("hi"));
    assert_eq!(out, b"PUT /x HTTP/1.1\r\nHost: example.com:8080\r\nA: b\r\nContent-Length: 2\r\n\r\nhi");
}

#[test]
fn requests_back_to_back_parse_in_order() {
    let requests = [
        Request::get("/1"),
        Request::new(Method::POST, "/2").with_body("two"),
        Request::new(Method::HEAD, "/3").with_header("host", "other.example"),
        Request::new(Method::PUT, "/4"),
        Request::new(Method::DELETE, "/5").with_header("X-Id", "5"),
        Request::new(Method::PATCH, "/6").with_header("content-length", "3").with_body("six"),
        Request::new(Method::OPTIONS, "*"),
        Request::new(Method::from_bytes(b"PURGE").unwrap(), "/8"),
        Request::new(Method::CONNECT, "example.com:443"),
        Request::new(Method::TRACE, "/10").with_body(vec![0u8, 1, 2, 255]),
    ];
    let mut out = b"prefix kept".to_vec();
    for r in &requests {
        encode_request(r, HOST, &mut out).unwrap();
    }
    assert!(out.starts_with(b"prefix kept"), "encoding appends");
    let parsed = parse_all(&out[b"prefix kept".len()..]);
    assert_eq!(parsed.len(), requests.len());
    for (r, p) in requests.iter().zip(&parsed) {
        assert_eq!(p.method, r.method.as_str());
        assert_eq!(p.target, r.target);
        assert_eq!(p.body, r.body.full().map_or(&[][..], |b| &b[..]));
        assert_eq!(count(p, "host"), 1, "{p:?}");
    }
    assert_eq!(parsed[2].headers, vec![h("host", "other.example")]);
}

// ---------------------------------------------------------------- Host

#[test]
fn host_is_added_only_when_absent() {
    let (added, _) = parse_one(&encode(&Request::get("/")));
    assert_eq!(added.headers, vec![h("Host", "example.com:8080")]);

    for name in ["Host", "host", "HOST", "hOsT"] {
        let request = Request::get("/").with_header("Accept", "*/*").with_header(name, "caller.example");
        let (parsed, _) = parse_one(&encode(&request));
        assert_eq!(parsed.headers, vec![h("Accept", "*/*"), h(name, "caller.example")], "caller's Host kept in place");
    }
}

#[test]
fn empty_caller_host_is_kept_not_replaced() {
    // RFC 9112 §3.2 allows an empty Host (no authority); the caller decided.
    let (parsed, _) = parse_one(&encode(&Request::get("/").with_header("Host", "")));
    assert_eq!(parsed.headers, vec![h("Host", "")]);
}

// ---------------------------------------------------------------- Content-Length

#[test]
fn empty_post_put_patch_get_content_length_zero() {
    for method in [Method::POST, Method::PUT, Method::PATCH] {
        let out = encode(&Request::new(method.clone(), "/"));
        assert!(out.ends_with(b"\r\nContent-Length: 0\r\n\r\n"), "{method}");
        let (parsed, used) = parse_one(&out);
        assert_eq!(used, out.len());
        assert_eq!(parsed.headers, vec![h("Host", "example.com:8080"), h("Content-Length", "0")], "{method}");
    }
    for method in [Method::POST, Method::PUT, Method::PATCH] {
        let (parsed, _) = parse_one(&encode(&Request::new(method.clone(), "/").with_body("")));
        assert_eq!(count(&parsed, "content-length"), 1, "{method}");
    }
}

#[test]
fn bodiless_get_and_friends_get_no_content_length() {
    let ext = Method::from_bytes(b"PROPFIND").unwrap();
    for method in [Method::GET, Method::HEAD, Method::DELETE, Method::OPTIONS, Method::TRACE, ext] {
        let (parsed, _) = parse_one(&encode(&Request::new(method.clone(), "/")));
        assert_eq!(count(&parsed, "content-length"), 0, "{method}");
    }
}

#[test]
fn a_body_on_any_method_gets_its_content_length() {
    for method in [Method::GET, Method::DELETE, Method::from_bytes(b"X").unwrap()] {
        let (parsed, _) = parse_one(&encode(&Request::new(method.clone(), "/").with_body("abcd")));
        assert_eq!(parsed.headers.last(), Some(&h("Content-Length", "4")), "{method}");
        assert_eq!(parsed.body, b"abcd");
    }
}

#[test]
fn matching_caller_content_length_is_kept_and_not_duplicated() {
    let cases: [(Request, &str, &[u8]); 5] = [
        (Request::new(Method::POST, "/").with_header("Content-Length", "3").with_body("abc"), "3", b"abc"),
        (Request::new(Method::POST, "/").with_header("content-length", " 3\t").with_body("abc"), "3", b"abc"),
        (Request::new(Method::PUT, "/").with_header("CONTENT-LENGTH", "0"), "0", b""),
        (Request::new(Method::GET, "/").with_header("Content-Length", "0"), "0", b""),
        (Request::new(Method::POST, "/").with_header("Content-Length", "0").with_body(""), "0", b""),
    ];
    for (request, value, body) in cases {
        let out = encode(&request);
        let (parsed, used) = parse_one(&out);
        assert_eq!(used, out.len());
        assert_eq!(count(&parsed, "content-length"), 1, "{request:?}");
        let caller_name = request.headers[0].name.to_vec();
        assert_eq!(parsed.headers[1], (caller_name, value.as_bytes().to_vec()), "kept where the caller put it");
        assert_eq!(parsed.body, body);
    }
}

#[test]
fn repeated_identical_content_length_goes_out_once() {
    let request = Request::new(Method::POST, "/")
        .with_header("Content-Length", "3")
        .with_header("X", "y")
        .with_header("content-length", " 3 ")
        .with_body("abc");
    let out = encode(&request);
    assert_eq!(out, b"POST / HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 3\r\nX: y\r\n\r\nabc");
}

// ---------------------------------------------------------------- rejections

/// Encodes `request` onto a non-empty buffer, expecting `expected`; checks
/// that nothing was appended and that `validate_request` agrees.
#[track_caller]
fn assert_rejected(request: &Request, expected: EncodeError) {
    let mut dst = b"already queued".to_vec();
    let capacity = dst.capacity();
    let got = encode_request(request, HOST, &mut dst);
    assert_eq!(got, Err(expected.clone()), "{request:?}");
    assert_eq!(dst, b"already queued", "nothing appended on error");
    assert_eq!(dst.capacity(), capacity, "not even reserved");
    assert_eq!(validate_request(request), Err(expected.clone()));
    assert_eq!(expected.kind(), ErrorKind::InvalidRequest);
}

#[test]
fn targets_that_would_break_the_request_line_are_refused() {
    let cases: [(&[u8], u8, usize); 12] = [
        (b"/a\rb", b'\r', 2),
        (b"/a\nb", b'\n', 2),
        (b"/a\r\nHost: evil\r\n\r\nGET /x", b'\r', 2),
        (b"/a\0", 0, 2),
        (b"/a b", b' ', 2),
        (b" /", b' ', 0),
        (b"/\t", b'\t', 1),
        (b"/\x7f", 0x7f, 1),
        (b"/\x01", 0x01, 1),
        (b"/caf\xc3\xa9", 0xc3, 4),
        (b"\xff", 0xff, 0),
        (b"/ok/then\x80", 0x80, 8),
    ];
    for (target, byte, offset) in cases {
        assert_rejected(&Request::get(Bytes::copy_from_slice(target)), EncodeError::InvalidTarget { byte, offset });
    }
}

#[test]
fn empty_target_is_refused() {
    assert_rejected(&Request::get(""), EncodeError::InvalidTarget { byte: 0, offset: 0 });
}

#[test]
fn invalid_header_names_are_refused() {
    let names: [&[u8]; 12] =
        [b"", b"X Y", b" X", b"X ", b"X:Y", b"X:", b"Host:", b"X\r\nY", b"X\0", b"(comment)", b"a@b", b"caf\xc3\xa9"];
    for name in names {
        let request = Request::get("/").with_header("Accept", "*/*").with_header(Bytes::copy_from_slice(name), "v");
        assert_rejected(&request, EncodeError::InvalidHeaderName { index: 1 });
    }
    for delimiter in b"\"(),/:;<=>?@[\\]{}" {
        let name = [b'X', *delimiter];
        let request = Request::get("/").with_header(Bytes::copy_from_slice(&name), "v");
        assert_rejected(&request, EncodeError::InvalidHeaderName { index: 0 });
    }
}

#[test]
fn header_values_with_cr_lf_nul_or_controls_are_refused() {
    let cases: [(&[u8], u8); 8] = [
        (b"a\rb", b'\r'),
        (b"a\nb", b'\n'),
        (b"a\r\nX-Injected: 1", b'\r'),
        (b"a\r\n b", b'\r'),
        (b"\0", 0),
        (b"a\x01", 1),
        (b"a\x1b[0m", 0x1b),
        (b"a\x7f", 0x7f),
    ];
    for (value, byte) in cases {
        let request = Request::get("/")
            .with_header("A", "ok")
            .with_header("B", "ok")
            .with_header("X-Value", Bytes::copy_from_slice(value));
        assert_rejected(&request, EncodeError::InvalidHeaderValue { index: 2, byte });
    }
}

#[test]
fn tab_space_and_obs_text_in_values_are_fine() {
    let request = Request::get("/").with_header("X", &b"a\tb c \x80\xff"[..]);
    let (parsed, _) = parse_one(&encode(&request));
    assert_eq!(parsed.headers[1], (b"X".to_vec(), b"a\tb c \x80\xff".to_vec()));
}

#[test]
fn mismatched_or_non_numeric_content_length_is_refused() {
    let post = |cl: &'static str, body: &'static str| {
        Request::new(Method::POST, "/").with_header("Content-Length", cl).with_body(body)
    };
    assert_rejected(&post("4", "abc"), EncodeError::ContentLengthMismatch { declared: Some(4), actual: 3 });
    assert_rejected(&post("2", "abc"), EncodeError::ContentLengthMismatch { declared: Some(2), actual: 3 });
    assert_rejected(&post("1", ""), EncodeError::ContentLengthMismatch { declared: Some(1), actual: 0 });
    assert_rejected(
        &Request::get("/").with_header("Content-Length", "5"),
        EncodeError::ContentLengthMismatch { declared: Some(5), actual: 0 },
    );
    for bad in ["", " ", "abc", "+3", "-3", "3.0", "0x3", "3 3", "3,3", "3, 3", "99999999999999999999999"] {
        assert_rejected(&post(bad, "abc"), EncodeError::ContentLengthMismatch { declared: None, actual: 3 });
    }
    // A second, disagreeing Content-Length is refused too.
    let two = post("3", "abc").with_header("content-length", "4");
    assert_rejected(&two, EncodeError::ContentLengthMismatch { declared: Some(4), actual: 3 });
}

#[test]
fn any_caller_transfer_encoding_is_refused() {
    for (name, value) in [
        ("Transfer-Encoding", "chunked"),
        ("transfer-encoding", "gzip, chunked"),
        ("TRANSFER-ENCODING", "identity"),
        ("Transfer-Encoding", ""),
    ] {
        assert_rejected(
            &Request::new(Method::POST, "/").with_header(name, value).with_body("x"),
            EncodeError::TransferEncodingNotAllowed,
        );
        assert_rejected(&Request::get("/").with_header(name, value), EncodeError::TransferEncodingNotAllowed);
    }
}

#[test]
fn two_host_headers_are_refused() {
    assert_rejected(
        &Request::get("/").with_header("Host", "a.example").with_header("Host", "a.example"),
        EncodeError::DuplicateHost,
    );
    assert_rejected(
        &Request::get("/").with_header("host", "a").with_header("X", "y").with_header("HOST", "b"),
        EncodeError::DuplicateHost,
    );
}

#[test]
fn invalid_methods_cannot_be_built() {
    for bad in [&b""[..], b"GET ", b"G\rET", b"GET\n", b"(GET)", b"G\xc3\xa9T"] {
        assert!(Method::from_bytes(bad).is_err(), "{bad:?}");
    }
    assert_eq!(EncodeError::InvalidMethod.kind(), ErrorKind::InvalidRequest);
}

#[test]
fn first_problem_in_order_is_reported() {
    // Target before headers, headers in list order.
    let request = Request::get("/a b").with_header("X Y", "v").with_header("Transfer-Encoding", "chunked");
    assert_rejected(&request, EncodeError::InvalidTarget { byte: b' ', offset: 2 });
    let request = Request::get("/").with_header("Transfer-Encoding", "chunked").with_header("X Y", "v");
    assert_rejected(&request, EncodeError::TransferEncodingNotAllowed);
    let request = Request::get("/").with_header("X", "\r").with_header("Transfer-Encoding", "chunked");
    assert_rejected(&request, EncodeError::InvalidHeaderValue { index: 0, byte: b'\r' });
}

// ---------------------------------------------------------------- property

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TCHARS: &[u8] = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Bytes mostly from `alphabet`, now and then any byte at all.
fn bytes_from(rng: &mut Rng, alphabet: &[u8], max_len: usize, wild_one_in: usize) -> Vec<u8> {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| if rng.chance(wild_one_in) { rng.next() as u8 } else { *rng.pick(alphabet) }).collect()
}

fn random_request(rng: &mut Rng) -> Request {
    let method = if rng.chance(2) {
        rng.pick(&[
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
            Method::OPTIONS,
        ])
        .clone()
    } else {
        let mut token = bytes_from(rng, TCHARS, 10, usize::MAX);
        if token.is_empty() {
            token.push(b'M');
        }
        Method::from_bytes(&token).expect("tchars make a method")
    };
    let visible: Vec<u8> = (0x21..0x7f).collect();
    let mut target = bytes_from(rng, &visible, 40, 30);
    if rng.chance(2) {
        target.insert(0, b'/');
    }
    if rng.chance(50) {
        target.clear();
    }
    let body = match rng.below(4) {
        0 => None,
        1 => Some(Bytes::new()),
        _ => Some(Bytes::from(bytes_from(rng, &(0..=255).collect::<Vec<u8>>(), 64, usize::MAX))),
    };
    let body_len = body.as_ref().map_or(0, |b| b.len());
    let value_bytes: Vec<u8> = (0x20..0x7f).chain([b'\t', 0x80, 0xa0, 0xc3, 0xff]).collect();
    let mut headers = Vec::new();
    for _ in 0..rng.below(7) {
        let name: Bytes = match rng.below(10) {
            0 => Bytes::from_static(b"Host"),
            1 => Bytes::from_static(b"content-length"),
            2 if rng.chance(4) => Bytes::from_static(b"Transfer-Encoding"),
            _ => Bytes::from(bytes_from(rng, TCHARS, 12, 40)),
        };
        let value: Bytes = if name.eq_ignore_ascii_case(b"content-length") {
            match rng.below(6) {
                0 => Bytes::from((body_len + 1).to_string()),
                1 => Bytes::from(bytes_from(rng, b"0123456789 \t,x", 4, usize::MAX)),
                2 => Bytes::from(format!(" {body_len}\t")),
                _ => Bytes::from(body_len.to_string()),
            }
        } else {
            Bytes::from(bytes_from(rng, &value_bytes, 30, 40))
        };
        headers.push(Header::new(name, value));
    }
    Request { method, target: Bytes::from(target), headers, body: body.map_or(Content::None, Content::Full) }
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// An independent statement of what the encoder must accept, and the first
/// reason to refuse otherwise.
fn model(request: &Request) -> Result<(), EncodeError> {
    if request.target.is_empty() {
        return Err(EncodeError::InvalidTarget { byte: 0, offset: 0 });
    }
    if let Some((offset, &byte)) = request.target.iter().enumerate().find(|(_, b)| !b.is_ascii_graphic()) {
        return Err(EncodeError::InvalidTarget { byte, offset });
    }
    let body_len = request.body.full().map_or(0, |b| b.len() as u64);
    let mut hosts = 0;
    for (index, header) in request.headers.iter().enumerate() {
        if header.name.is_empty() || !header.name.iter().all(|b| TCHARS.contains(b)) {
            return Err(EncodeError::InvalidHeaderName { index });
        }
        if let Some(&byte) = header.value.iter().find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(EncodeError::InvalidHeaderValue { index, byte });
        }
        let name = header.name.to_ascii_lowercase();
        if name == b"transfer-encoding" {
            return Err(EncodeError::TransferEncodingNotAllowed);
        }
        if name == b"host" {
            hosts += 1;
            if hosts == 2 {
                return Err(EncodeError::DuplicateHost);
            }
        }
        if name == b"content-length" {
            let text = trim(&header.value);
            let declared = if !text.is_empty() && text.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(text).unwrap().parse::<u64>().ok()
            } else {
                None
            };
            if declared != Some(body_len) {
                return Err(EncodeError::ContentLengthMismatch { declared, actual: body_len });
            }
        }
    }
    Ok(())
}

/// The request httparse must read back from an accepted `request`.
fn expected_parse(request: &Request, host: &[u8]) -> Parsed {
    let mut headers = Vec::new();
    if !request.headers.iter().any(|h| h.is("host")) {
        headers.push((b"Host".to_vec(), host.to_vec()));
    }
    let mut lengths = 0;
    for header in &request.headers {
        // Identical Content-Length fields go out once.
        if header.is("content-length") {
            lengths += 1;
            if lengths > 1 {
                continue;
            }
        }
        headers.push((header.name.to_vec(), trim(&header.value).to_vec()));
    }
    let body = request.body.full().map_or(&[][..], |b| &b[..]).to_vec();
    let has_length = request.headers.iter().any(|h| h.is("content-length"));
    if !has_length && (request.body != Content::None || request.method.expects_content()) {
        headers.push((b"Content-Length".to_vec(), body.len().to_string().into_bytes()));
    }
    Parsed { method: request.method.as_str().to_owned(), target: request.target.to_vec(), headers, body }
}

#[test]
fn random_requests_round_trip_through_httparse() {
    let hosts: [&[u8]; 3] = [b"example.com", b"127.0.0.1:8080", b"[::1]:443"];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused) = (0, 0);
    let mut batch = Vec::new();
    let mut batch_expected = Vec::new();
    for case in 0..5000 {
        let request = random_request(&mut rng);
        let host = *rng.pick(&hosts);
        let expected = model(&request);
        assert_eq!(validate_request(&request), expected, "case {case}: {request:?}");
        let mut dst = Vec::new();
        let got = encode_request(&request, host, &mut dst);
        assert_eq!(got, expected, "case {case}: {request:?}");
        if got.is_err() {
            assert!(dst.is_empty(), "case {case}: nothing written on error");
            refused += 1;
            continue;
        }
        accepted += 1;
        let (parsed, used) = parse_one(&dst);
        assert_eq!(used, dst.len(), "case {case}: exactly one request written");
        let want = expected_parse(&request, host);
        assert_eq!(parsed, want, "case {case}: {request:?}");

        // The same request appended to a pipeline of earlier ones.
        encode_request(&request, host, &mut batch).unwrap();
        batch_expected.push(want);
        if batch_expected.len() == 16 {
            assert_eq!(parse_all(&batch), batch_expected, "batch ending at case {case}");
            batch.clear();
            batch_expected.clear();
        }
    }
    assert_eq!(parse_all(&batch), batch_expected);
    // The generator must exercise both sides.
    assert!(accepted > 1000 && refused > 1000, "accepted {accepted}, refused {refused}");
}
