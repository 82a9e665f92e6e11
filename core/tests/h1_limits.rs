//! Every decoder limit of `Limits` (docs/DESIGN.md P4): at the limit the response
//! decodes, one byte or one field over it fails with the limit's own error,
//! whether the input comes whole or byte by byte.

use bytes::BytesMut;
use pipelining::ErrorKind;
use pipelining::h1::{DecodeError, HeadSyntax, Header, Limits, Method, ResponseDecoder, ResponsePart};

/// What a whole input decodes to: every part, then the error if any.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    parts: Vec<ResponsePart>,
    error: Option<DecodeError>,
}

/// Decodes `input` given whole.
fn decode_whole(limits: Limits, input: &[u8]) -> Outcome {
    let mut decoder = ResponseDecoder::new(limits);
    let mut buf = BytesMut::from(input);
    let mut parts = Vec::new();
    loop {
        match decoder.decode(&mut buf, &Method::GET) {
            Ok(Some(part)) => parts.push(part),
            Ok(None) => return Outcome { parts, error: None },
            Err(e) => {
                assert_eq!(decoder.decode(&mut buf, &Method::GET), Err(DecodeError::Dead), "dead after {e:?}");
                return Outcome { parts, error: Some(e) };
            }
        }
    }
}

/// Decodes `input` one byte at a time; also returns how many bytes had been
/// given when the error came.
fn decode_bytewise(limits: Limits, input: &[u8]) -> (Outcome, usize) {
    let mut decoder = ResponseDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut parts = Vec::new();
    for (i, &b) in input.iter().enumerate() {
        buf.extend_from_slice(&[b]);
        loop {
            match decoder.decode(&mut buf, &Method::GET) {
                Ok(Some(part)) => parts.push(part),
                Ok(None) => break,
                Err(e) => return (Outcome { parts, error: Some(e) }, i + 1),
            }
        }
    }
    (Outcome { parts, error: None }, input.len())
}

/// Parts with consecutive `Data` merged, so whole and byte-wise runs compare.
fn merged(parts: &[ResponsePart]) -> Vec<ResponsePart> {
    let mut out: Vec<ResponsePart> = Vec::new();
    for part in parts {
        match (out.last_mut(), part) {
            (Some(ResponsePart::Data(acc)), ResponsePart::Data(more)) => {
                let mut joined = acc.to_vec();
                joined.extend_from_slice(more);
                *acc = joined.into();
            }
            _ => out.push(part.clone()),
        }
    }
    out
}

/// Asserts `input` decodes fully (whole and byte by byte, same parts) and
/// returns the parts.
#[track_caller]
fn assert_decodes(limits: Limits, input: &[u8]) -> Vec<ResponsePart> {
    let whole = decode_whole(limits, input);
    assert_eq!(whole.error, None);
    assert_eq!(whole.parts.last(), Some(&ResponsePart::End));
    let (bytewise, _) = decode_bytewise(limits, input);
    assert_eq!(bytewise.error, None);
    assert_eq!(merged(&bytewise.parts), merged(&whole.parts));
    whole.parts
}

/// Asserts `input` fails with `error`, whole and byte by byte; returns how
/// many bytes the byte-wise run had been given at the error.
#[track_caller]
fn assert_fails(limits: Limits, input: &[u8], error: DecodeError) -> usize {
    let whole = decode_whole(limits, input);
    assert_eq!(whole.error.as_ref(), Some(&error));
    let (bytewise, at) = decode_bytewise(limits, input);
    assert_eq!(bytewise.error.as_ref(), Some(&error));
    at
}

fn head(parts: &[ResponsePart]) -> &pipelining::h1::ResponseHead {
    parts
        .iter()
        .find_map(|p| match p {
            ResponsePart::Head(h) => Some(h),
            _ => None,
        })
        .expect("a head")
}

fn trailers(parts: &[ResponsePart]) -> &[Header] {
    parts
        .iter()
        .find_map(|p| match p {
            ResponsePart::Trailers(t) => Some(&t[..]),
            _ => None,
        })
        .expect("trailers")
}

fn limits(edit: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    edit(&mut l);
    l
}

// ---------------------------------------------------------------- head bytes

/// A `200` head of exactly `len` bytes (empty line included) with
/// `Content-Length: 0`, padded with one `X-Pad` field; `eol` is the line ending.
fn head_of_len(len: usize, eol: &str) -> Vec<u8> {
    let fixed = format!("HTTP/1.1 200 OK{eol}Content-Length: 0{eol}X-Pad: {eol}{eol}");
    assert!(len > fixed.len());
    let pad = "p".repeat(len - fixed.len());
    let out = format!("HTTP/1.1 200 OK{eol}Content-Length: 0{eol}X-Pad: {pad}{eol}{eol}").into_bytes();
    assert_eq!(out.len(), len);
    out
}

#[test]
fn defaults_are_those_of_the_design() {
    let l = Limits::default();
    assert_eq!(l, Limits::DEFAULT);
    assert_eq!(l.max_head_bytes, 64 * 1024);
    assert_eq!(l.max_headers, 100);
    assert_eq!(l.max_chunk_line_bytes, 4 * 1024);
    assert_eq!(l.max_trailer_bytes, 16 * 1024);
    assert_eq!(l.max_body_bytes, 64 * 1024 * 1024);
}

#[test]
fn head_of_exactly_the_limit_decodes_one_more_byte_fails() {
    let l = Limits::default();
    let limit = l.max_head_bytes;
    for eol in ["\r\n", "\n"] {
        let parts = assert_decodes(l, &head_of_len(limit, eol));
        let fixed = format!("HTTP/1.1 200 OK{eol}Content-Length: 0{eol}X-Pad: {eol}{eol}").len();
        assert_eq!(head(&parts).header("x-pad").map(|v| v.len()), Some(limit - fixed));
        assert_fails(l, &head_of_len(limit + 1, eol), DecodeError::HeadTooLarge { limit });
    }
}

#[test]
fn head_limit_counts_each_head_of_a_pipeline_alone() {
    let l = limits(|l| l.max_head_bytes = 300);
    let one = head_of_len(300, "\r\n");
    let mut input = Vec::new();
    for _ in 0..3 {
        input.extend_from_slice(&one);
    }
    let parts = assert_decodes(l, &input);
    assert_eq!(parts.iter().filter(|p| **p == ResponsePart::End).count(), 3);
    // Interim heads are heads too, each within the limit on its own.
    let interim = |len: usize| {
        let fixed = "HTTP/1.1 100 Continue\r\nX-Pad: \r\n\r\n".len();
        let out = format!("HTTP/1.1 100 Continue\r\nX-Pad: {}\r\n\r\n", "i".repeat(len - fixed)).into_bytes();
        assert_eq!(out.len(), len);
        out
    };
    let mut input = interim(300);
    input.extend_from_slice(&one);
    let parts = assert_decodes(l, &input);
    assert!(matches!(parts[0], ResponsePart::Interim(_)));
    let mut input = interim(301);
    input.extend_from_slice(&one);
    assert_fails(l, &input, DecodeError::HeadTooLarge { limit: 300 });
    // The second of two responses too large: the first is delivered.
    let mut input = one.clone();
    input.extend_from_slice(&head_of_len(301, "\r\n"));
    let whole = decode_whole(l, &input);
    assert_eq!(whole.error, Some(DecodeError::HeadTooLarge { limit: 300 }));
    assert_eq!(whole.parts.len(), 2, "Head and End of the first");
}

#[test]
fn empty_lines_before_a_head_do_not_count() {
    let l = limits(|l| l.max_head_bytes = 200);
    let mut input = b"\r\n\r\n\n".to_vec();
    input.extend_from_slice(&head_of_len(200, "\r\n"));
    assert_decodes(l, &input);
}

#[test]
fn head_without_end_fails_as_soon_as_it_passes_the_limit() {
    for limit in [64 * 1024, 1000, 100] {
        let l = limits(|l| l.max_head_bytes = limit);
        let mut endless = b"HTTP/1.1 200 OK\r\n".to_vec();
        while endless.len() < limit + 500 {
            endless.extend_from_slice(b"X-Many: header\r\n");
        }
        let at = assert_fails(l, &endless, DecodeError::HeadTooLarge { limit });
        assert_eq!(at, limit + 1, "byte by byte: failed on byte {at}");
        // Exactly the limit, unfinished: still waiting.
        let (waiting, _) = decode_bytewise(l, &endless[..limit]);
        assert_eq!(waiting, Outcome { parts: vec![], error: None });
    }
}

#[test]
fn head_over_the_limit_by_one_fails_byte_by_byte_before_its_end() {
    let l = limits(|l| l.max_head_bytes = 256);
    let at = assert_fails(l, &head_of_len(257, "\r\n"), DecodeError::HeadTooLarge { limit: 256 });
    assert_eq!(at, 257);
}

// ---------------------------------------------------------------- header count

/// A `200` head with `Content-Length: 0` and `n` fields in all.
fn head_with_fields(n: usize) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n".to_vec();
    for i in 1..n {
        out.extend_from_slice(format!("X-Field-{i}: {i}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn one_hundred_headers_decode_one_hundred_and_one_fail() {
    let l = Limits::default();
    let parts = assert_decodes(l, &head_with_fields(100));
    assert_eq!(head(&parts).headers.len(), 100);
    assert_fails(l, &head_with_fields(101), DecodeError::TooManyHeaders { limit: 100 });
}

#[test]
fn configured_header_counts_below_and_above_the_inline_slots() {
    for max in [0, 1, 5, 127, 128, 129, 200, 1000] {
        let l = limits(|l| l.max_headers = max);
        if max >= 1 {
            let parts = assert_decodes(l, &head_with_fields(max));
            assert_eq!(head(&parts).headers.len(), max);
        }
        assert_fails(l, &head_with_fields(max + 1), DecodeError::TooManyHeaders { limit: max });
    }
}

/// A chunked `200` with one data chunk and `n` trailer fields.
fn chunked_with_trailers(n: usize) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n".to_vec();
    for i in 0..n {
        out.extend_from_slice(format!("T-{i}: {i}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn trailer_field_count_has_the_same_limit() {
    let l = Limits::default();
    let parts = assert_decodes(l, &chunked_with_trailers(100));
    assert_eq!(trailers(&parts).len(), 100);
    assert_eq!(trailers(&parts)[99], Header::new("T-99", "99"));
    assert_fails(l, &chunked_with_trailers(101), DecodeError::TooManyHeaders { limit: 100 });

    let l = limits(|l| l.max_headers = 200);
    assert_eq!(trailers(&assert_decodes(l, &chunked_with_trailers(200))).len(), 200);
    assert_fails(l, &chunked_with_trailers(201), DecodeError::TooManyHeaders { limit: 200 });

    let l = limits(|l| l.max_headers = 2);
    assert_eq!(trailers(&assert_decodes(l, &chunked_with_trailers(2))).len(), 2);
    assert_fails(l, &chunked_with_trailers(3), DecodeError::TooManyHeaders { limit: 2 });
}

// ---------------------------------------------------------------- chunk-size line

const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// A chunk-size line for `size` of exactly `len` bytes, terminator included,
/// padded with an extension.
fn size_line(size: &str, len: usize, eol: &str) -> Vec<u8> {
    let fixed = size.len() + ";ext=".len() + eol.len();
    assert!(len >= fixed);
    let line = format!("{size};ext={}{eol}", "e".repeat(len - fixed)).into_bytes();
    assert_eq!(line.len(), len);
    line
}

fn chunked_body_with_lines(data_line: &[u8], last_line: &[u8]) -> Vec<u8> {
    let mut out = CHUNKED_HEAD.to_vec();
    out.extend_from_slice(data_line);
    out.extend_from_slice(b"hello\r\n");
    out.extend_from_slice(last_line);
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn chunk_size_line_of_exactly_the_limit_decodes_one_more_byte_fails() {
    for limit in [4 * 1024, 64, 10] {
        let l = limits(|l| l.max_chunk_line_bytes = limit);
        for eol in ["\r\n", "\n"] {
            let ok = chunked_body_with_lines(&size_line("5", limit, eol), &size_line("0", limit, eol));
            let parts = assert_decodes(l, &ok);
            assert_eq!(merged(&parts)[1], ResponsePart::Data("hello".into()));

            let err = DecodeError::ChunkLineTooLong { limit };
            // The data chunk's line too long.
            let long = chunked_body_with_lines(&size_line("5", limit + 1, eol), b"0\r\n");
            let at = assert_fails(l, &long, err.clone());
            assert_eq!(at, CHUNKED_HEAD.len() + limit, "fails once `limit` bytes hold no LF");
            // The last chunk's line too long.
            let long = chunked_body_with_lines(b"5\r\n", &size_line("0", limit + 1, eol));
            assert_fails(l, &long, err.clone());
        }
    }
}

#[test]
fn chunk_size_line_limit_with_leading_zeros_and_whitespace() {
    let l = limits(|l| l.max_chunk_line_bytes = 16);
    // 13 zeros, then "5", CRLF: 16 bytes.
    let line = format!("{}5\r\n", "0".repeat(13));
    assert_decodes(l, &chunked_body_with_lines(line.as_bytes(), b"0\r\n"));
    let line = format!("{}5\r\n", "0".repeat(14));
    assert_fails(l, &chunked_body_with_lines(line.as_bytes(), b"0\r\n"), DecodeError::ChunkLineTooLong { limit: 16 });
    let line = b"5  ; a=b ; c=d\r\n";
    assert_eq!(line.len(), 16);
    assert_decodes(l, &chunked_body_with_lines(line, b"0\r\n"));
}

// ---------------------------------------------------------------- trailer bytes

/// A chunked response whose trailer section (from after the last-chunk line
/// to its empty line inclusive) is exactly `len` bytes.
fn chunked_with_trailer_section(len: usize) -> Vec<u8> {
    let fixed = "X-Pad: \r\n\r\n".len();
    let mut out = CHUNKED_HEAD.to_vec();
    out.extend_from_slice(b"3\r\nabc\r\n0\r\n");
    let section = format!("X-Pad: {}\r\n\r\n", "t".repeat(len - fixed));
    assert_eq!(section.len(), len);
    out.extend_from_slice(section.as_bytes());
    out
}

#[test]
fn trailer_section_of_exactly_the_limit_decodes_one_more_byte_fails() {
    for limit in [16 * 1024, 100, 12] {
        let l = limits(|l| l.max_trailer_bytes = limit);
        let parts = assert_decodes(l, &chunked_with_trailer_section(limit));
        assert_eq!(trailers(&parts).len(), 1);
        let input = chunked_with_trailer_section(limit + 1);
        let at = assert_fails(l, &input, DecodeError::TrailersTooLarge { limit });
        assert_eq!(at, input.len(), "byte-wise: fails once limit + 1 bytes are in");
    }
}

#[test]
fn trailer_section_without_end_fails_past_the_limit() {
    let l = limits(|l| l.max_trailer_bytes = 50);
    let mut input = CHUNKED_HEAD.to_vec();
    input.extend_from_slice(b"0\r\n");
    let before = input.len();
    for i in 0..20 {
        input.extend_from_slice(format!("T-{i}: v\r\n").as_bytes());
    }
    let at = assert_fails(l, &input, DecodeError::TrailersTooLarge { limit: 50 });
    assert_eq!(at, before + 51);
}

#[test]
fn no_trailers_is_not_a_trailer_section() {
    let l = limits(|l| l.max_trailer_bytes = 0);
    let mut input = CHUNKED_HEAD.to_vec();
    input.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(assert_decodes(l, &input), vec![head_part(&input), ResponsePart::End]);
}

fn head_part(input: &[u8]) -> ResponsePart {
    decode_whole(Limits::default(), input).parts.remove(0)
}

// ---------------------------------------------------------------- kinds

#[test]
fn limit_errors_are_distinct_and_of_kind_limit() {
    let errors = [
        DecodeError::HeadTooLarge { limit: 1 },
        DecodeError::TooManyHeaders { limit: 1 },
        DecodeError::ChunkLineTooLong { limit: 1 },
        DecodeError::TrailersTooLarge { limit: 1 },
        DecodeError::BodyTooLarge { limit: 1 },
    ];
    for (i, a) in errors.iter().enumerate() {
        assert_eq!(a.kind(), ErrorKind::Limit, "{a:?}");
        assert!(a.is_response_fault());
        for b in &errors[i + 1..] {
            assert_ne!(std::mem::discriminant(a), std::mem::discriminant(b));
            assert_ne!(a.to_string(), b.to_string());
        }
    }
}

#[test]
fn every_other_decode_error_is_protocol_except_truncation() {
    let protocol = [
        DecodeError::MalformedHead(HeadSyntax::Version),
        DecodeError::MalformedHead(HeadSyntax::NewLine),
        DecodeError::InvalidStatus { code: 99 },
        DecodeError::InvalidContentLength,
        DecodeError::ConflictingContentLength { first: 1, second: 2 },
        DecodeError::TransferEncodingWithContentLength,
        DecodeError::InvalidTransferEncoding,
        DecodeError::EmptyChunkSize,
        DecodeError::InvalidChunkSize,
        DecodeError::ChunkSizeOverflow,
        DecodeError::InvalidChunkEnd,
        DecodeError::MalformedTrailers,
        DecodeError::Unsolicited { len: 1 },
        DecodeError::Dead,
    ];
    for e in protocol {
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e:?}");
    }
    assert_eq!(DecodeError::Truncated.kind(), ErrorKind::ConnectionLost);
}

#[test]
fn limit_errors_from_real_input_have_kind_limit_others_protocol() {
    let l = limits(|l| {
        l.max_head_bytes = 128;
        l.max_headers = 4;
        l.max_chunk_line_bytes = 8;
        l.max_trailer_bytes = 16;
    });
    let chunked = |rest: &str| [CHUNKED_HEAD, rest.as_bytes()].concat();
    let limit_inputs: Vec<Vec<u8>> = vec![
        head_of_len(129, "\r\n"),
        head_with_fields(5),
        chunked("1;abcdef\r\nx\r\n0\r\n\r\n"),
        chunked("0\r\nX-T: 0123456789\r\n\r\n"),
    ];
    let mut seen: Vec<DecodeError> = Vec::new();
    for input in &limit_inputs {
        let e = decode_whole(l, input).error.expect("an error");
        assert_eq!(e.kind(), ErrorKind::Limit, "{e:?}");
        assert!(seen.iter().all(|s| std::mem::discriminant(s) != std::mem::discriminant(&e)), "{e:?} twice");
        seen.push(e);
    }
    assert_eq!(
        seen,
        [
            DecodeError::HeadTooLarge { limit: 128 },
            DecodeError::TooManyHeaders { limit: 4 },
            DecodeError::ChunkLineTooLong { limit: 8 },
            DecodeError::TrailersTooLarge { limit: 16 },
        ]
    );

    let protocol_inputs: [&[u8]; 5] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
        b"HTTP/2.0 200 OK\r\n\r\n",
    ];
    for input in protocol_inputs {
        let e = decode_whole(l, input).error.expect("an error");
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e:?}");
    }
}
