//! `request_encode`: arbitrary request parts (method, target, header fields,
//! content) given to `encode_request`. Checked:
//!
//! * it accepts exactly the requests an independent reading of RFC 9110 /
//!   RFC 9112 calls valid (token method and names, visible-ASCII target,
//!   field values without controls, no caller `Transfer-Encoding`, at most
//!   one `Host`, every `Content-Length` equal to the content's length), and
//!   `validate_request` agrees;
//! * on refusal it writes nothing;
//! * what it writes parses back with `httparse::Request` to the same method,
//!   target, fields (plus `Host` and `Content-Length` where added, a
//!   repeated `Content-Length` once) and content, with no byte left over.

use crate::script::MethodChoice;
use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use pipelining::h1::{Content, EncodeError, Header, Method, Request, encode_request, validate_request};

#[derive(Arbitrary, Debug)]
enum MethodPick {
    Known(MethodChoice),
    Token(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum TargetPick {
    Path(u16),
    Raw(Vec<u8>),
    Asterisk,
    Absolute,
}

#[derive(Arbitrary, Debug)]
enum NamePick {
    Host,
    ContentLength,
    ContentLengthUpper,
    TransferEncoding,
    Accept,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum ValuePick {
    Raw(Vec<u8>),
    BodyLength,
    PaddedBodyLength,
    Number(u64),
    Text,
}

#[derive(Arbitrary, Debug)]
struct HeaderPick {
    name: NamePick,
    value: ValuePick,
}

#[derive(Arbitrary, Debug)]
enum HostPick {
    Name,
    Port,
    Ipv6,
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: MethodPick,
    target: TargetPick,
    headers: Vec<HeaderPick>,
    body: Option<Vec<u8>>,
    host: HostPick,
}

/// Runs the target on `data`; panics only on a violated property.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else { return };
    let method = match &input.method {
        MethodPick::Known(m) => m.method(),
        MethodPick::Token(bytes) => match Method::from_bytes(bytes) {
            Ok(m) => m,
            Err(_) => return,
        },
    };
    let target: Bytes = match &input.target {
        TargetPick::Path(n) => format!("/p/{n}?q={n}").into(),
        TargetPick::Raw(bytes) => bytes.clone().into(),
        TargetPick::Asterisk => "*".into(),
        TargetPick::Absolute => "http://fuzz.example/x".into(),
    };
    let body_len = input.body.as_ref().map_or(0, Vec::len);
    let headers: Vec<Header> = input
        .headers
        .iter()
        .take(24)
        .map(|h| {
            let name: Bytes = match &h.name {
                NamePick::Host => "Host".into(),
                NamePick::ContentLength => "Content-Length".into(),
                NamePick::ContentLengthUpper => "CONTENT-LENGTH".into(),
                NamePick::TransferEncoding => "Transfer-Encoding".into(),
                NamePick::Accept => "Accept".into(),
                NamePick::Raw(bytes) => bytes.clone().into(),
            };
            let value: Bytes = match &h.value {
                ValuePick::Raw(bytes) => bytes.clone().into(),
                ValuePick::BodyLength => body_len.to_string().into(),
                ValuePick::PaddedBodyLength => format!(" \t{body_len} ").into(),
                ValuePick::Number(n) => n.to_string().into(),
                ValuePick::Text => "text/plain; q=0.5".into(),
            };
            Header::new(name, value)
        })
        .collect();
    let host: &[u8] = match input.host {
        HostPick::Name => b"fuzz.example",
        HostPick::Port => b"fuzz.example:8080",
        HostPick::Ipv6 => b"[::1]:8080",
    };
    let request =
        Request { method, target, headers, body: input.body.map(Bytes::from).map_or(Content::None, Content::Full) };
    check(&request, host);
}

fn check(request: &Request, host: &[u8]) {
    const PREFIX: &[u8] = b"earlier bytes";
    let mut out = PREFIX.to_vec();
    let result = encode_request(request, host, &mut out);
    crate::trace!("{request:?} → {result:?}");
    assert_eq!(validate_request(request), result, "validate_request and encode_request disagree");
    let valid = is_valid(request);
    match result {
        Err(e) => {
            assert_eq!(out, PREFIX, "a refused request wrote bytes");
            assert!(!valid, "a valid request was refused: {e:?} ({request:?})");
            check_error(request, &e);
        }
        Ok(()) => {
            assert!(valid, "an invalid request was encoded: {request:?}");
            parse_back(request, host, &out[PREFIX.len()..]);
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80
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

fn decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// An independent reading of what may be sent.
fn is_valid(request: &Request) -> bool {
    let body_len = request.body.full().map_or(0, |b| b.len() as u64);
    !request.target.is_empty()
        && request.target.iter().all(|&b| (0x21..0x7f).contains(&b))
        && request.method.as_str().bytes().all(is_tchar)
        && request.headers.iter().all(|h| !h.name.is_empty() && h.name.iter().all(|&b| is_tchar(b)))
        && request.headers.iter().all(|h| h.value.iter().all(|&b| is_value_byte(b)))
        && !request.headers.iter().any(|h| h.name.eq_ignore_ascii_case(b"transfer-encoding"))
        && request.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(b"host")).count() <= 1
        && request
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(b"content-length"))
            .all(|h| decimal(trim(&h.value)) == Some(body_len))
}

/// The error names something that is really wrong.
fn check_error(request: &Request, error: &EncodeError) {
    match *error {
        EncodeError::InvalidTarget { byte, offset } => {
            if request.target.is_empty() {
                assert_eq!((byte, offset), (0, 0));
            } else {
                assert_eq!(request.target.get(offset), Some(&byte), "InvalidTarget offset");
                assert!(!(0x21..0x7f).contains(&byte), "InvalidTarget names a valid byte");
            }
        }
        EncodeError::InvalidHeaderName { index } => {
            let name = &request.headers[index].name;
            assert!(name.is_empty() || !name.iter().all(|&b| is_tchar(b)), "InvalidHeaderName names a valid name");
        }
        EncodeError::InvalidHeaderValue { index, byte } => {
            assert!(request.headers[index].value.contains(&byte) && !is_value_byte(byte));
        }
        EncodeError::TransferEncodingNotAllowed => {
            assert!(request.headers.iter().any(|h| h.name.eq_ignore_ascii_case(b"transfer-encoding")));
        }
        EncodeError::DuplicateHost => {
            assert!(request.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(b"host")).count() > 1);
        }
        EncodeError::ContentLengthMismatch { declared, actual } => {
            assert_eq!(actual, request.body.full().map_or(0, |b| b.len() as u64));
            assert_ne!(declared, Some(actual));
        }
        EncodeError::InvalidMethod => panic!("Method only holds tokens"),
        ref other => panic!("unexpected error {other:?}"),
    }
}

/// The bytes parse back to the request.
fn parse_back(request: &Request, host: &[u8], bytes: &[u8]) {
    let mut slots = vec![httparse::EMPTY_HEADER; request.headers.len() + 2];
    let mut parsed = httparse::Request::new(&mut slots);
    let head = match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!("encoded request does not parse: {other:?}: {:?}", String::from_utf8_lossy(bytes)),
    };
    assert_eq!(parsed.method, Some(request.method.as_str()), "method");
    assert_eq!(parsed.path.map(str::as_bytes), Some(&request.target[..]), "target");
    assert_eq!(parsed.version, Some(1), "version");

    let mut expected: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    if !request.headers.iter().any(|h| h.is("host")) {
        expected.push((b"Host".to_vec(), host.to_vec()));
    }
    let mut seen_length = false;
    for h in &request.headers {
        if h.is("content-length") {
            if seen_length {
                continue;
            }
            seen_length = true;
        }
        expected.push((h.name.to_vec(), trim(&h.value).to_vec()));
    }
    let body: &[u8] = request.body.full().map_or(&[][..], |b| &b[..]);
    if !seen_length && (request.body != Content::None || request.method.expects_content()) {
        expected.push((b"Content-Length".to_vec(), body.len().to_string().into_bytes()));
    }
    let got: Vec<(Vec<u8>, Vec<u8>)> =
        parsed.headers.iter().map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec())).collect();
    assert_eq!(got, expected, "header fields");
    assert_eq!(&bytes[head..], body, "content");
}
