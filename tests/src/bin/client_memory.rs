//! A client workload run in a process of its own, so that its resident set
//! is the client's alone: the memory tests (`tests/tests/driver_memory.rs`)
//! start it against a server in their own process and read what it prints
//! (`word key=value…` lines, see `pipelining_tests::memory`).
//!
//! ```text
//! client_memory soak URL REQUESTS
//! client_memory slow-reader URL READ_BYTES BYTES_PER_SECOND PAUSE_MS STALL_MS
//! ```
//!
//! `soak` sends REQUESTS GETs through one client (depth 16, one
//! connection), reads and checks every body, and prints a `checkpoint` with
//! the resident set every twentieth of the way. `slow-reader` streams one
//! large response, reads READ_BYTES of it at BYTES_PER_SECOND with one
//! full stop of PAUSE_MS half-way, checks every byte against
//! [`pattern`](pipelining_tests::pattern)'s, drops the body, and prints
//! the resident set before and at most during the reading.

use pipelining_tests::memory::rss_bytes;
use pipelining_tokio::Client;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The requests kept in flight by `soak`: enough for the connection's 16
/// and as many again waiting in the origin's queue.
const SOAK_WINDOW: usize = 32;
/// The checkpoints of `soak`, evenly spread.
const SOAK_CHECKPOINTS: usize = 20;
/// The distinct targets `soak` cycles through: every body says which one
/// it answers, so a mismatch is seen, while the server's per-target counts
/// stay small.
const SOAK_TARGETS: usize = 1000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["soak", url, requests] => runtime.block_on(soak(url, number(requests))),
        ["slow-reader", url, read, rate, pause, stall] => runtime.block_on(slow_reader(SlowReader {
            url,
            read: number(read),
            rate: number(rate),
            pause: Duration::from_millis(number(pause) as u64),
            stall: Duration::from_millis(number(stall) as u64),
        })),
        _ => {
            eprintln!("usage: client_memory soak URL REQUESTS | slow-reader URL READ RATE PAUSE_MS STALL_MS");
            std::process::exit(2);
        }
    }
}

fn number(text: &str) -> usize {
    text.parse().unwrap_or_else(|_| panic!("not a number: {text}"))
}

async fn soak(base: &str, requests: usize) {
    let client =
        Client::builder().depth(16).connections(1).stall_timeout(Duration::from_secs(10)).build().expect("client");
    let every = (requests / SOAK_CHECKPOINTS).max(1);
    println!("checkpoint requests=0 rss={}", rss_bytes());
    let mut window = VecDeque::with_capacity(SOAK_WINDOW);
    let mut sent = 0;
    let mut done = 0;
    let started = Instant::now();
    while done < requests {
        while sent < requests && window.len() < SOAK_WINDOW {
            let target = format!("/soak/{}", sent % SOAK_TARGETS);
            window.push_back((client.get(&format!("{base}{target}")), target));
            sent += 1;
        }
        let (response, target) = window.pop_front().expect("a request in flight");
        let response = response.await.unwrap_or_else(|e| panic!("request {done} ({target}) failed: {e}"));
        assert_eq!(response.status(), 200, "request {done} ({target})");
        let body = response.into_body().bytes().await.unwrap_or_else(|e| panic!("body {done} ({target}): {e}"));
        let expected = pipelining_tests::echo_body("GET", &target);
        assert_eq!(body, expected.as_bytes(), "request {done} got another's body");
        done += 1;
        if done % every == 0 {
            println!("checkpoint requests={done} rss={}", rss_bytes());
        }
    }
    let load = client.load();
    println!(
        "done requests={done} millis={} outstanding={} pending={} queued={}",
        started.elapsed().as_millis(),
        load.outstanding,
        load.pending,
        load.queued
    );
}

struct SlowReader<'a> {
    url: &'a str,
    read: usize,
    rate: usize,
    pause: Duration,
    stall: Duration,
}

async fn slow_reader(job: SlowReader<'_>) {
    let client = Client::builder().connections(1).stall_timeout(job.stall).build().expect("client");
    let baseline = rss_bytes();
    println!("baseline rss={baseline}");
    let response = match client.get(job.url).await {
        Ok(response) => response,
        Err(e) => {
            println!("error at=head kind={} message={:?}", e.kind().as_str(), e.message());
            return;
        }
    };
    let length = response.headers().get("content-length").and_then(|v| v.to_str().ok()).unwrap_or("none");
    println!("head status={} content_length={length}", response.status().as_u16());
    let mut body = response.into_body();
    let started = Instant::now();
    let mut read = 0usize;
    let mut wrong = 0usize;
    let mut max_rss = baseline;
    let mut paused = false;
    while read < job.read {
        let chunk = match body.chunk().await {
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => {
                println!("error at={read} kind={} message={:?}", e.kind().as_str(), e.message());
                break;
            }
            None => {
                println!("error at={read} kind=ended message=\"the body ended early\"");
                break;
            }
        };
        wrong += chunk.iter().enumerate().filter(|&(i, &b)| b != ((read + i) % 251) as u8).count();
        read += chunk.len();
        max_rss = max_rss.max(rss_bytes());
        if !paused && read >= job.read / 2 {
            // One full stop, longer than the stall timeout: the connection
            // is not read meanwhile, and that must not count as a stall.
            paused = true;
            tokio::time::sleep(job.pause).await;
            max_rss = max_rss.max(rss_bytes());
            println!("paused millis={} rss={}", job.pause.as_millis(), rss_bytes());
        }
        // Keep to the rate: the reader is behind the server throughout.
        let due =
            Duration::from_secs_f64(read as f64 / job.rate as f64) + if paused { job.pause } else { Duration::ZERO };
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    println!(
        "read bytes={read} wrong={wrong} millis={} baseline={baseline} max_rss={max_rss}",
        started.elapsed().as_millis()
    );
    // Dropping the body part-way cancels the request; the rest is too large
    // to read and drop, so the connection closes (P9).
    drop(body);
    let dropped = Instant::now();
    while client.load().connections > 0 && dropped.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let load = client.load();
    println!(
        "dropped connections={} outstanding={} millis={} rss={}",
        load.connections,
        load.outstanding,
        dropped.elapsed().as_millis(),
        rss_bytes()
    );
}
