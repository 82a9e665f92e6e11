//! Response decoding speed: 16 pipelined nginx-style 1 KiB responses in one
//! buffer, decoded by `ResponseDecoder` and by a bare httparse baseline that
//! parses each head and skips its body.
//!
//! Both sides start every iteration from a fresh `BytesMut` copy of the input
//! (the decoder consumes its buffer), so the copy costs the same on both and
//! cancels in the ratio; `copy_only` measures it alone.
//!
//! Run: `cargo bench -p pipelining --bench decode`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pipelining::h1::{Limits, Method, ResponseDecoder, ResponsePart};
use std::hint::black_box;

#[allow(dead_code, reason = "each user takes the parts it needs")]
#[path = "support/nginx.rs"]
mod nginx;

const RESPONSES: usize = 16;

/// 16 responses framed by `Content-Length: 1024`; each head is 254 bytes.
fn plain_input() -> Vec<u8> {
    nginx::plain_responses(RESPONSES)
}

/// The same 16 responses with `Transfer-Encoding: chunked` (head 260 bytes),
/// each body one 1 KiB chunk then the last chunk, as nginx sends them.
fn chunked_input() -> Vec<u8> {
    let head = nginx::head("Transfer-Encoding: chunked");
    assert_eq!(head.len(), 260);
    let mut out = Vec::new();
    for i in 0..RESPONSES {
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(format!("{:x}\r\n", nginx::BODY).as_bytes());
        out.extend_from_slice(&nginx::body(i));
        out.extend_from_slice(b"\r\n0\r\n\r\n");
    }
    out
}

/// Ours: every part of every response, each part dropped as a caller would.
fn decode_ours(input: &[u8]) -> (usize, usize) {
    let mut buf = BytesMut::from(input);
    let mut decoder = ResponseDecoder::new(Limits::default());
    let (mut ends, mut body) = (0, 0);
    while let Some(part) = decoder.decode(&mut buf, &Method::GET).expect("valid input") {
        match part {
            ResponsePart::Data(data) => body += data.len(),
            ResponsePart::End => ends += 1,
            other => {
                black_box(&other);
            }
        }
    }
    (ends, body)
}

/// Baseline: `httparse::Response::parse` per head; the body is skipped by its
/// Content-Length, or chunk by chunk with `httparse::parse_chunk_size`.
fn decode_baseline(input: &[u8]) -> (usize, usize) {
    let buf = BytesMut::from(input);
    let bytes = &buf[..];
    let mut slots = [httparse::EMPTY_HEADER; 100];
    let (mut at, mut ends, mut body) = (0, 0, 0);
    while at < bytes.len() {
        let mut response = httparse::Response::new(&mut slots);
        let head_len = match response.parse(&bytes[at..]) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!("baseline: {other:?}"),
        };
        black_box(response.code);
        let mut length = None;
        let mut chunked = false;
        for h in response.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                length = Some(std::str::from_utf8(h.value).unwrap().parse::<usize>().unwrap());
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = h.value.eq_ignore_ascii_case(b"chunked");
            }
        }
        at += head_len;
        if chunked {
            loop {
                let (used, size) = match httparse::parse_chunk_size(&bytes[at..]) {
                    Ok(httparse::Status::Complete(c)) => c,
                    other => panic!("baseline chunk: {other:?}"),
                };
                at += used;
                if size == 0 {
                    assert_eq!(&bytes[at..at + 2], b"\r\n", "no trailers");
                    at += 2;
                    break;
                }
                body += black_box(&bytes[at..at + size as usize]).len();
                at += size as usize + 2;
            }
        } else {
            let n = length.expect("framed by Content-Length");
            body += black_box(&bytes[at..at + n]).len();
            at += n;
        }
        ends += 1;
    }
    (ends, body)
}

fn decode(c: &mut Criterion) {
    for (name, input) in [("plain", plain_input()), ("chunked", chunked_input())] {
        assert_eq!(decode_ours(&input), (RESPONSES, RESPONSES * nginx::BODY));
        assert_eq!(decode_baseline(&input), (RESPONSES, RESPONSES * nginx::BODY));
        let mut group = c.benchmark_group("decode_16x1KiB");
        group.throughput(Throughput::Elements(RESPONSES as u64));
        group.bench_with_input(BenchmarkId::new("pipelining", name), &input, |b, input| {
            b.iter(|| decode_ours(black_box(input)))
        });
        group.bench_with_input(BenchmarkId::new("httparse_baseline", name), &input, |b, input| {
            b.iter(|| decode_baseline(black_box(input)))
        });
        group.bench_with_input(BenchmarkId::new("copy_only", name), &input, |b, input| {
            b.iter(|| BytesMut::from(black_box(&input[..])))
        });
        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
