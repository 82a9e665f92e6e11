//! The state machine's cost per response: 10,000 GETs through a
//! `Connection<H1Codec>` at depth 16 against canned pipelined nginx-style
//! 1 KiB responses (submit, `poll_transmit`, `handle_written`,
//! `handle_received` with each batch's 16 responses, every event drained),
//! beside a bare httparse baseline that parses the same response bytes
//! (`httparse::Response::parse` per head, Content-Length bodies skipped).
//!
//! Run: `cargo bench -p pipelining --bench pipeline`. Criterion reports time
//! per 10,000 responses and the throughput in responses per second; ns per
//! response is the time divided by 10,000.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pipelining::h1::{H1Codec, Limits, Request, ResponsePart};
use pipelining::{Capability, Connection, ConnectionConfig, Event, Instant, RequestOptions};
use std::hint::black_box;

#[allow(dead_code, reason = "each user takes the parts it needs")]
#[path = "support/nginx.rs"]
mod nginx;

const REQUESTS: usize = 10_000;
const DEPTH: usize = 16;

/// One window's worth of responses, as the server sends them.
fn batch() -> Vec<u8> {
    nginx::plain_responses(DEPTH)
}

/// 10,000 GETs through a fresh connection; returns responses and content
/// bytes seen.
fn pipeline(batch: &[u8], out: &mut Vec<u8>) -> (usize, usize) {
    let mut config = ConnectionConfig::default();
    config.depth = DEPTH;
    config.capability = Capability::Pipelining;
    let now = Instant::from_millis(1);
    let mut conn = Connection::new(H1Codec::new("example.test", Limits::default()), config, now);
    let (mut ends, mut content) = (0, 0);
    for _ in 0..REQUESTS / DEPTH {
        for _ in 0..DEPTH {
            conn.submit(now, Request::get("/static/1k.txt"), RequestOptions::DEFAULT).expect("room");
        }
        out.clear();
        let n = conn.poll_transmit(now, out).expect("a window");
        black_box(&out[..]);
        conn.handle_written(now, n);
        conn.handle_received(now, batch);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Response { part: ResponsePart::Data(data), .. } => content += data.len(),
                Event::Response { end: true, .. } => ends += 1,
                other => {
                    black_box(&other);
                }
            }
        }
    }
    (ends, content)
}

/// The same response bytes parsed with httparse alone: one parse per head,
/// the body skipped by its Content-Length.
fn baseline(batch: &[u8]) -> (usize, usize) {
    let mut slots = [httparse::EMPTY_HEADER; 100];
    let (mut ends, mut content) = (0, 0);
    for _ in 0..REQUESTS / DEPTH {
        let bytes = black_box(batch);
        let mut at = 0;
        while at < bytes.len() {
            let mut response = httparse::Response::new(&mut slots);
            let head_len = match response.parse(&bytes[at..]) {
                Ok(httparse::Status::Complete(n)) => n,
                other => panic!("baseline: {other:?}"),
            };
            black_box(response.code);
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| std::str::from_utf8(h.value).unwrap().parse::<usize>().unwrap())
                .expect("framed by Content-Length");
            at += head_len;
            content += black_box(&bytes[at..at + length]).len();
            at += length;
            ends += 1;
        }
    }
    (ends, content)
}

fn bench(c: &mut Criterion) {
    let batch = batch();
    let mut out = Vec::new();
    assert_eq!(pipeline(&batch, &mut out), (REQUESTS, REQUESTS * nginx::BODY));
    assert_eq!(baseline(&batch), (REQUESTS, REQUESTS * nginx::BODY));
    let mut group = c.benchmark_group("pipeline_10k_gets_depth16_1KiB");
    group.throughput(Throughput::Elements(REQUESTS as u64));
    group.bench_function("connection", |b| b.iter(|| pipeline(black_box(&batch), &mut out)));
    group.bench_function("httparse_baseline", |b| b.iter(|| baseline(black_box(&batch))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
