//! The client's memory over time (issue 18's soak and slow-reader tests),
//! measured in a child process of its own (`client_memory`) against a
//! server in this one, so the resident set read is the client's alone.
//!
//! CI sizes by default; the full sizes with `PIPELINING_FULL=1` (see
//! docs/BENCHMARKS.md, "Long tests: memory and bounds"):
//!
//! ```sh
//! PIPELINING_FULL=1 cargo test -p pipelining-tests --release --test driver_memory --test driver_bounds
//! ```

#![cfg(target_os = "linux")]

use pipelining_tests::hyper_server::HyperServer;
use pipelining_tests::memory::{Report, mib, run_child, size};
use pipelining_tests::pattern_server::PatternServer;
use std::time::{Duration, Instant};

const CHILD: &str = env!("CARGO_BIN_EXE_client_memory");
const MIB: u64 = 1024 * 1024;

/// 100,000 requests (1,000,000 in full) through one client, depth 16 on
/// one connection, small bodies: the resident set at the last checkpoint
/// is within 4 MiB of the one after warm-up (a tenth of the requests), so
/// nothing the client keeps grows with the number of requests.
#[test]
fn soak_resident_set_does_not_grow_with_requests() {
    let requests = size(100_000, 1_000_000);
    let server = HyperServer::start();
    let started = Instant::now();
    let report = run_child(CHILD, &["soak", &server.url(""), &requests.to_string()], Duration::from_secs(600));
    let checkpoints: Vec<(u64, u64)> =
        report.all("checkpoint").iter().map(|c| (Report::number(c, "requests"), Report::number(c, "rss"))).collect();
    let done = report.one("done");
    eprintln!("soak: {requests} requests in {:?}; checkpoints (requests, RSS MiB):", started.elapsed());
    for (n, rss) in &checkpoints {
        eprintln!("  {n:>9} {:8.2}", mib(*rss));
    }
    eprintln!("  {done:?}");
    assert_eq!(Report::number(&done, "requests"), requests as u64);
    assert_eq!(Report::number(&done, "outstanding"), 0, "responses left behind");
    assert_eq!(Report::number(&done, "pending"), 0, "requests left behind");
    // The first checkpoint after warm-up: a tenth of the way.
    let warm = checkpoints.iter().find(|(n, _)| *n as usize >= requests / 10).expect("a checkpoint after warm-up");
    let last = checkpoints.last().expect("checkpoints");
    assert_eq!(last.0, requests as u64, "the last checkpoint is at the end");
    let growth = last.1.saturating_sub(warm.1);
    assert!(
        growth <= 4 * MIB,
        "the resident set grew by {:.2} MiB from {} to {} requests ({:.2} → {:.2} MiB)",
        mib(growth),
        warm.0,
        last.0,
        mib(warm.1),
        mib(last.1)
    );
    let stats = server.stats();
    assert_eq!(stats.connections(), 1, "one connection throughout");
    assert_eq!(stats.total_received(), requests, "every request reached the server once");
    assert_eq!(stats.max_unanswered(), 16, "the server saw the pipeline 16 deep");
}

/// A 256 MiB response, written by the server as fast as the socket takes
/// it, of which the caller reads 16 MiB at 4 MiB/s — with one full stop of
/// 3 s half-way, three times the 1 s stall timeout — and then drops the
/// body. The client's resident set grows by less than 8 MiB (it does not
/// read the connection while the caller is behind), the stop is not taken
/// for a stalled server (no `timeout`), every byte read is the server's,
/// and dropping the body closes the connection (P9: the rest is too large
/// to read and drop).
#[test]
fn slow_reader_costs_bounded_memory_and_is_no_stall() {
    const LENGTH: u64 = 256 * MIB;
    const READ: u64 = 16 * MIB;
    const RATE: u64 = 4 * MIB;
    const PAUSE_MS: u64 = 3_000;
    const STALL_MS: u64 = 1_000;
    let server = PatternServer::start(LENGTH);
    let report = run_child(
        CHILD,
        &[
            "slow-reader",
            &server.url("/large"),
            &READ.to_string(),
            &RATE.to_string(),
            &PAUSE_MS.to_string(),
            &STALL_MS.to_string(),
        ],
        Duration::from_secs(60),
    );
    eprintln!("slow reader:\n  {}", report.lines.join("\n  "));
    assert!(report.all("error").is_empty(), "the response failed: {:?}", report.all("error"));
    let head = report.one("head");
    assert_eq!(head.get("status").map(String::as_str), Some("200"));
    assert_eq!(Report::number(&head, "content_length"), LENGTH);
    let read = report.one("read");
    assert!(Report::number(&read, "bytes") >= READ, "read less than asked: {read:?}");
    assert_eq!(Report::number(&read, "wrong"), 0, "bytes read that the server did not write there");
    // Reading at the rate, plus the stop: the reader was behind throughout.
    let expected_ms = READ * 1000 / RATE + PAUSE_MS;
    assert!(Report::number(&read, "millis") >= expected_ms - 100, "read too fast to be slow: {read:?}");
    let growth = Report::number(&read, "max_rss").saturating_sub(Report::number(&read, "baseline"));
    assert!(growth < 8 * MIB, "the client's resident set grew by {:.2} MiB while its reader was behind", mib(growth));
    let dropped = report.one("dropped");
    assert_eq!(Report::number(&dropped, "connections"), 0, "the connection stayed open after the body was dropped");
    assert_eq!(Report::number(&dropped, "outstanding"), 0);
    // The server wrote what was read, what the client holds (its body
    // buffer) and what the kernel's socket buffers took — far from all.
    let written = server.written();
    eprintln!("the server's socket took {:.2} MiB of the {} MiB body", mib(written), LENGTH / MIB);
    assert!(written < READ + 64 * MIB, "the server could write {:.2} MiB: the client kept reading", mib(written));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.was_cut() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(server.was_cut(), "the server's connection did not end");
}
