//! The demo end to end (DESIGN.md C3), and the delay line it relies on.

use pipelining_cli::demo::delay_line::{self, DelayConfig};
use pipelining_cli::demo::{DemoOptions, run};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "current_thread")]
async fn pipelined_beats_sequential_by_half_with_every_body_checked() {
    let options = DemoOptions { objects: 24, size: 1500, rtt: Duration::from_millis(20), ..DemoOptions::default() };
    let report = run(&options).await.expect("demo runs");
    assert_eq!(report.sequential.bodies_checked, 24);
    assert_eq!(report.pipelined.bodies_checked, 24);
    // The only timing assertion, with a wide margin (DESIGN.md "Tests and CI").
    assert!(
        report.pipelined.seconds < report.sequential.seconds / 2.0,
        "pipelined {:.3} s vs sequential {:.3} s",
        report.pipelined.seconds,
        report.sequential.seconds
    );
    // Sequential: one connection; pipelined: at most two.
    assert!(report.sequential.bars.iter().all(|b| b.lane == 0));
    assert!(report.pipelined.bars.iter().all(|b| b.lane < 2));
    let json = report.json();
    assert!(json.starts_with(r#"{"objects":24,"rtt_ms":20,"sequential_s":"#), "{json}");
    assert!(json.ends_with(r#""bodies_checked":48}"#), "{json}");

    let svg = report.svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // One bar per request in each run (the zoomed panel repeats the second).
    assert_eq!(svg.matches(r#"class="request""#).count(), 48);
    assert_eq!(svg.matches(r#"class="zoom""#).count(), 24);
    assert_well_formed(&svg);
}

/// Every tag opened is closed, in order (the picture is plain XML).
fn assert_well_formed(svg: &str) {
    let mut open: Vec<&str> = Vec::new();
    for tag in svg.split('<').skip(1) {
        let tag = tag.split('>').next().expect("tag closes");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().expect("tag name"));
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_delay_line_delivers_in_order_and_never_early() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let one_way = Duration::from_millis(30);
    let line = delay_line::start(upstream_addr, DelayConfig { one_way, bandwidth_bps: None }).await.unwrap();
    let mut client = tokio::net::TcpStream::connect(line.addr).await.unwrap();
    let (mut server, _) = upstream.accept().await.unwrap();

    // Ten chunks, 5 ms apart: each must arrive at least `one_way` after it
    // was sent, and the bytes in order.
    let sender = async {
        let mut sent = Vec::new();
        for i in 0u8..10 {
            sent.push(Instant::now());
            client.write_all(&[i; 100]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        client.shutdown().await.unwrap();
        sent
    };
    let receiver = async {
        let mut got = Vec::new();
        let mut arrivals = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                if got.len() % 100 == 0 {
                    arrivals.push(Instant::now());
                }
                got.push(b);
            }
        }
        (got, arrivals)
    };
    let (sent, (got, arrivals)) = tokio::join!(sender, receiver);
    let expected: Vec<u8> = (0u8..10).flat_map(|i| [i; 100]).collect();
    assert_eq!(got, expected, "bytes arrive complete and in order");
    for (i, (s, a)) in sent.iter().zip(&arrivals).enumerate() {
        assert!(a.duration_since(*s) >= one_way, "chunk {i} arrived after {:?}", a.duration_since(*s));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn bandwidth_spreads_a_burst_over_its_transfer_time() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    // 8 Mbit/s: 100 kB takes 100 ms on the link.
    let config = DelayConfig { one_way: Duration::from_millis(5), bandwidth_bps: Some(8e6) };
    let line = delay_line::start(upstream_addr, config).await.unwrap();
    let mut client = tokio::net::TcpStream::connect(line.addr).await.unwrap();
    let (mut server, _) = upstream.accept().await.unwrap();
    let start = Instant::now();
    client.write_all(&vec![7u8; 100_000]).await.unwrap();
    client.shutdown().await.unwrap();
    let mut got = Vec::new();
    server.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), 100_000);
    assert!(start.elapsed() >= Duration::from_millis(100), "took {:?}", start.elapsed());
}
