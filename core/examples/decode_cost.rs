//! Instructions per response, for `valgrind --tool=callgrind`: decodes the
//! same 16 pipelined nginx-style 1 KiB responses `K` times with one of
//!
//! - `decoder`: our `h1::ResponseDecoder` (the bytes are first appended to
//!   its `BytesMut`, as a driver's read would);
//! - `connection`: our whole `Connection<H1Codec>` path at depth 16 (submit
//!   16 GETs, `poll_transmit`, `handle_written`, `handle_received`, every
//!   event drained);
//! - `httparse`: raw `httparse::Response::parse` per head, the body skipped
//!   by its Content-Length, straight from the input slice (no copy);
//! - `httpnet-raw`: `http_net::parse_response_head` per head, the body
//!   skipped by its framing, straight from the input slice;
//! - `httpnet-conn`: `http_net::ClientConn` at depth 16 (`send_request` ×
//!   16, `feed`, `poll` until idle);
//! - `copy`: only the append of the 16 responses to a `BytesMut`, which
//!   `decoder` includes;
//! - `none`: start-up only.
//!
//! Run with two values of K and divide the difference by 16·(K2 − K1), so
//! start-up cancels (bindings/cli/bench/run.sh does this):
//!
//! ```sh
//! cargo build --release -p pipelining --example decode_cost
//! valgrind --tool=callgrind target/release/examples/decode_cost decoder 1000
//! ```

use bytes::BytesMut;
use pipelining::h1::{H1Codec, Limits, Method, Request, ResponseDecoder, ResponsePart};
use pipelining::{Capability, Connection, ConnectionConfig, Event, Instant, RequestOptions};
use std::hint::black_box;

#[allow(dead_code, reason = "each user takes the parts it needs")]
#[path = "../benches/support/nginx.rs"]
mod nginx;

const RESPONSES: usize = 16;
const PATH: &str = "/static/1k.txt";

fn input() -> Vec<u8> {
    nginx::plain_responses(RESPONSES)
}

/// Responses and body bytes seen.
type Seen = (usize, usize);

fn decoder(input: &[u8], k: usize) -> Seen {
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut buf = BytesMut::new();
    let (mut ends, mut body) = (0, 0);
    for _ in 0..k {
        buf.extend_from_slice(black_box(input));
        while let Some(part) = decoder.decode(&mut buf, &Method::GET).expect("valid input") {
            match part {
                ResponsePart::Data(data) => body += data.len(),
                ResponsePart::End => ends += 1,
                other => {
                    black_box(&other);
                }
            }
        }
    }
    (ends, body)
}

fn copy(input: &[u8], k: usize) -> Seen {
    let mut buf = BytesMut::new();
    let mut body = 0;
    for _ in 0..k {
        buf.extend_from_slice(black_box(input));
        body += black_box(buf.split()).len();
    }
    (k * RESPONSES, body - k * RESPONSES * (nginx::head("Content-Length: 1024").len()))
}

fn connection(input: &[u8], k: usize) -> Seen {
    let mut config = ConnectionConfig::default();
    config.depth = RESPONSES;
    config.capability = Capability::Pipelining;
    let now = Instant::from_millis(1);
    let mut conn = Connection::new(H1Codec::new("example.test", Limits::default()), config, now);
    let mut out = Vec::new();
    let (mut ends, mut body) = (0, 0);
    for _ in 0..k {
        for _ in 0..RESPONSES {
            conn.submit(now, Request::get(PATH), RequestOptions::DEFAULT).expect("room");
        }
        out.clear();
        let n = conn.poll_transmit(now, &mut out).expect("a window");
        black_box(&out[..]);
        conn.handle_written(now, n);
        conn.handle_received(now, black_box(input));
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Response { part: ResponsePart::Data(data), .. } => body += data.len(),
                Event::Response { end: true, .. } => ends += 1,
                other => {
                    black_box(&other);
                }
            }
        }
    }
    (ends, body)
}

fn httparse_raw(input: &[u8], k: usize) -> Seen {
    let mut slots = [httparse::EMPTY_HEADER; 100];
    let (mut ends, mut body) = (0, 0);
    for _ in 0..k {
        let bytes = black_box(input);
        let mut at = 0;
        while at < bytes.len() {
            let mut response = httparse::Response::new(&mut slots);
            let head_len = match response.parse(&bytes[at..]) {
                Ok(httparse::Status::Complete(n)) => n,
                other => panic!("httparse: {other:?}"),
            };
            black_box(response.code);
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| std::str::from_utf8(h.value).unwrap().parse::<usize>().unwrap())
                .expect("framed by Content-Length");
            at += head_len;
            body += black_box(&bytes[at..at + length]).len();
            at += length;
            ends += 1;
        }
    }
    (ends, body)
}

fn httpnet_raw(input: &[u8], k: usize) -> Seen {
    use http_net::{Asked, BodyFraming, FieldSpan, Parsed, parse_response_head};
    let limits = http_net::Limits::new();
    let asked = Asked { head: false, connect: false };
    let mut fields = [FieldSpan::default(); 100];
    let (mut ends, mut body) = (0, 0);
    for _ in 0..k {
        let bytes = black_box(input);
        let mut at = 0;
        while at < bytes.len() {
            let (length, head_len) = match parse_response_head(&bytes[at..], &limits, asked, &mut fields) {
                Ok(Parsed::Complete { head, len }) => {
                    let view = head.view();
                    black_box(view.status());
                    match view.framing() {
                        BodyFraming::Length(n) => (n as usize, len),
                        other => panic!("http-net framing: {other:?}"),
                    }
                }
                Ok(other) => panic!("http-net: {other:?}"),
                Err(e) => panic!("http-net: {e:?}"),
            };
            at += head_len;
            body += black_box(&bytes[at..at + length]).len();
            at += length;
            ends += 1;
        }
    }
    (ends, body)
}

fn httpnet_conn(input: &[u8], k: usize) -> Seen {
    use http_net::{ClientConn, ClientEvent};
    let mut conn = ClientConn::with_limits(http_net::Limits::new().with_pipeline_depth(RESPONSES as u8));
    let mut out = Vec::new();
    let (mut ends, mut body) = (0, 0);
    for _ in 0..k {
        out.clear();
        for _ in 0..RESPONSES {
            let request = http_net::Request::get(PATH).header("host", "example.test");
            conn.send_request(&request, &mut out).expect("room");
        }
        black_box(&out[..]);
        let mut fed = 0;
        let bytes = black_box(input);
        loop {
            fed += conn.feed(&bytes[fed..]);
            match conn.poll().expect("valid input") {
                ClientEvent::Body(data) => body += data.len(),
                ClientEvent::ResponseEnd => ends += 1,
                ClientEvent::Idle => break,
                ClientEvent::NeedInput if fed == bytes.len() => panic!("http-net: input ended early"),
                other => {
                    black_box(&other);
                }
            }
        }
    }
    (ends, body)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let variant = args.next().unwrap_or_else(|| "decoder".into());
    let k: usize = args.next().map_or(1000, |k| k.parse().expect("K is a number"));
    let input = input();
    let seen = match variant.as_str() {
        "decoder" => decoder(&input, k),
        "connection" => connection(&input, k),
        "httparse" => httparse_raw(&input, k),
        "httpnet-raw" => httpnet_raw(&input, k),
        "httpnet-conn" => httpnet_conn(&input, k),
        "copy" => copy(&input, k),
        "none" => (k * RESPONSES, k * RESPONSES * nginx::BODY),
        other => {
            eprintln!(
                "unknown variant {other:?}: decoder, connection, httparse, httpnet-raw, httpnet-conn, copy, none"
            );
            std::process::exit(2);
        }
    };
    assert_eq!(seen, (k * RESPONSES, k * RESPONSES * nginx::BODY), "{variant}: every response and byte");
    println!("{variant} K={k}: {} responses, {} body bytes", seen.0, seen.1);
}
