//! `pipelining bench` end to end (docs/DESIGN.md C2): the real binary against
//! counting servers in this process — the JSON object's exact shape, the
//! request count agreeing with the server's, `--compare`, `--batch`'s whole
//! windows, and the human `requests/s` line.

mod support;

use pipelining_tests::hyper_server::HyperServer;
use pipelining_tests::raw::{self, RawServer, Step};
use serde_json::Value;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use support::{object_keys, pipelining, refused_port, wait_until};

/// The C2 keys of one measurement, at nesting `depth`.
fn measurement_keys(depth: usize) -> Vec<(usize, String)> {
    let top = ["requests", "seconds", "rps", "bytes_per_sec", "errors", "depth", "connections", "latency_ms"];
    let mut keys: Vec<(usize, String)> = top.iter().map(|k| (depth, (*k).to_owned())).collect();
    keys.extend(["p50", "p90", "p99", "max"].iter().map(|k| (depth + 1, (*k).to_owned())));
    keys
}

fn parse(stdout: &str) -> Value {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object: {stdout}");
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn number(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {v}"))
}

/// Checks one measurement's numbers against each other: `requests` answered
/// with no errors, `depth` and `connections` echoed, rates consistent with
/// the (rounded) seconds, latencies ordered.
#[track_caller]
fn check_measurement(m: &Value, requests: u64, depth: u64, connections: u64, body_len: f64) {
    assert_eq!(m["requests"], requests, "{m}");
    assert_eq!(m["errors"], 0, "{m}");
    assert_eq!(m["depth"], depth, "{m}");
    assert_eq!(m["connections"], connections, "{m}");
    let seconds = number(m, "seconds");
    let rps = number(m, "rps");
    assert!(seconds > 0.0005, "{m}");
    // `seconds` is rounded to 3 decimals, `rps` to 1, `bytes_per_sec` to 0.
    let (low, high) = (requests as f64 / (seconds + 0.0005), requests as f64 / (seconds - 0.0005));
    assert!(rps >= low - 0.05 && rps <= high + 0.05, "rps {rps} vs {requests} requests in {seconds} s");
    let bytes_per_sec = number(m, "bytes_per_sec");
    assert!((bytes_per_sec - rps * body_len).abs() <= 0.05 * body_len + 0.5, "{m}");
    let latency = &m["latency_ms"];
    let (p50, p90, p99, max) =
        (number(latency, "p50"), number(latency, "p90"), number(latency, "p99"), number(latency, "max"));
    assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, "{latency}");
    assert!(max <= seconds * 1000.0 + 1.0, "a latency longer than the run: {m}");
}

#[test]
fn json_request_count_agrees_with_the_server() {
    let server = HyperServer::start();
    let url = server.url("/bytes/512");
    let run = pipelining(&["bench", "--json", "-n", "300", "--depth", "8", "--connections", "2", &url]);
    run.expect_code(0);
    assert_eq!(object_keys(run.stdout.trim_end()), measurement_keys(1), "{}", run.stdout);
    let m = parse(&run.stdout);
    check_measurement(&m, 300, 8, 2, 512.0);
    wait_until("the server counted every request", || server.stats().total_received() >= 300);
    let stats = server.stats();
    assert_eq!(stats.total_received(), 300, "exactly COUNT requests sent");
    assert!(stats.connections() <= 2, "{} connections", stats.connections());
    assert!(stats.max_unanswered() <= 8, "depth {} seen", stats.max_unanswered());
}

#[test]
fn compare_adds_a_depth_1_baseline_and_the_speedup() {
    let server = HyperServer::start();
    let url = server.url("/bytes/100");
    let run = pipelining(&["bench", "--json", "-n", "120", "--depth", "4", "--compare", &url]);
    run.expect_code(0);
    let mut keys = measurement_keys(1);
    keys.push((1, "baseline".to_owned()));
    keys.extend(measurement_keys(2));
    keys.push((1, "speedup".to_owned()));
    assert_eq!(object_keys(run.stdout.trim_end()), keys, "{}", run.stdout);
    let m = parse(&run.stdout);
    check_measurement(&m, 120, 4, 1, 100.0);
    let baseline = &m["baseline"];
    check_measurement(baseline, 120, 1, 1, 100.0);
    let (rps, base_rps, speedup) = (number(&m, "rps"), number(baseline, "rps"), number(&m, "speedup"));
    let tolerance = 0.006 + speedup * (0.05 / rps + 0.05 / base_rps);
    assert!((speedup - rps / base_rps).abs() <= tolerance, "speedup {speedup} vs {rps} / {base_rps}");
    wait_until("the server counted every request", || server.stats().total_received() >= 240);
    assert_eq!(server.stats().total_received(), 240, "COUNT requests in each measurement");
}

fn requests_per_second_lines(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            line.split_once(' ').is_some_and(|(n, rest)| {
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with("requests/s")
            })
        })
        .count()
}

#[test]
fn human_output_has_a_requests_per_second_line() {
    let server = HyperServer::start();
    let url = server.url("/bytes/64");
    let run = pipelining(&["bench", "-n", "50", &url]);
    run.expect_code(0);
    assert_eq!(requests_per_second_lines(&run.stdout), 1, "{}", run.stdout);
    assert!(run.stdout.contains("50 requests in"), "{}", run.stdout);
    let run = pipelining(&["bench", "-n", "20", "--depth", "4", "--compare", &url]);
    run.expect_code(0);
    assert_eq!(requests_per_second_lines(&run.stdout), 2, "{}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.trim_start().starts_with("speedup ")), "{}", run.stdout);
}

#[test]
fn duration_runs_that_long_with_the_default_depth_and_connections() {
    let server = HyperServer::start();
    let url = server.url("/bytes/10");
    let run = pipelining(&["bench", "--json", "--duration", "0.3", &url]);
    run.expect_code(0);
    let m = parse(&run.stdout);
    let requests = m["requests"].as_u64().unwrap();
    assert!(requests > 0, "{m}");
    check_measurement(&m, requests, 16, 1, 10.0);
    let seconds = number(&m, "seconds");
    assert!((0.3..3.0).contains(&seconds), "{m}");
    wait_until("the server counted every request", || server.stats().total_received() as u64 >= requests);
    assert_eq!(server.stats().total_received() as u64, requests);
}

#[test]
fn inconsistent_bodies_and_failures_count_as_errors() {
    // Chunked bodies of alternating length on one connection: half differ
    // from the first.
    let server = RawServer::start(|r| {
        let body = if r.index % 2 == 0 { "0123456789" } else { "0123456789A" };
        vec![Step::Write(raw::chunked(&[body.as_bytes()], &[]))]
    });
    let run = pipelining(&["bench", "--json", "-n", "10", "--depth", "4", &server.url("/")]);
    run.expect_code(1);
    let m = parse(&run.stdout);
    assert_eq!((m["requests"].as_u64(), m["errors"].as_u64()), (Some(5), Some(5)), "{m}");
    assert_eq!(server.stats().connections(), 1);
    // Nothing listening: every request is an error.
    let url = format!("http://127.0.0.1:{}/", refused_port());
    let run = pipelining(&["bench", "--json", "-n", "5", &url]);
    run.expect_code(1);
    let m = parse(&run.stdout);
    assert_eq!((m["requests"].as_u64(), m["errors"].as_u64()), (Some(0), Some(5)), "{m}");
}

#[test]
fn usage_errors_exit_2() {
    let server = RawServer::echo();
    let url = server.url("/");
    for args in [
        vec!["bench", "ftp://127.0.0.1/"],
        vec!["bench", "-n", "5", "--duration", "1", &url],
        vec!["bench", "-n", "0", &url],
        vec!["bench", "--depth", "0", &url],
        vec!["bench"],
    ] {
        let run = pipelining(&args);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.stats().connections(), 0);
}

/// For each request the server is about to answer, the requests it had read
/// by then on that connection. Each answer is followed by a pause, so the
/// client has sent whatever that answer let it send before the next entry.
struct ReadAtEachAnswer {
    server: Arc<RawServer>,
    seen: Arc<Mutex<Vec<usize>>>,
}

/// The pause after each answer: long enough for the client to send what the
/// answer lets it send.
const PAUSE: Duration = Duration::from_millis(10);

impl ReadAtEachAnswer {
    fn start() -> Self {
        let handle: Arc<OnceLock<Weak<RawServer>>> = Arc::default();
        let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
        let script = {
            let (handle, seen) = (handle.clone(), seen.clone());
            move |r: &raw::Request| {
                // The script runs when the server turns to this request:
                // every earlier one is answered, and the pause after the
                // last answer is over.
                if let Some(server) = handle.get().and_then(Weak::upgrade) {
                    let read = server.stats().conns[r.conn].received;
                    seen.lock().unwrap().push(read);
                }
                vec![Step::Write(r.echo()), Step::Sleep(PAUSE)]
            }
        };
        let server = Arc::new(RawServer::start(script));
        handle.set(Arc::downgrade(&server)).expect("set once");
        ReadAtEachAnswer { server, seen }
    }

    /// Runs `pipelining bench -n COUNT --depth DEPTH` (plus `extra`) against the server and
    /// returns what it saw, after checking every request was answered.
    fn bench(&self, count: usize, depth: usize, extra: &[&str]) -> Vec<usize> {
        let (n, d) = (count.to_string(), depth.to_string());
        let mut args = vec!["bench", "--json", "-n", &n, "--depth", &d, "--connections", "1"];
        args.extend_from_slice(extra);
        let url = self.server.url("/");
        args.push(&url);
        let run = pipelining(&args);
        run.expect_code(0);
        assert_eq!(parse(&run.stdout)["requests"], count, "{}", run.stdout);
        let stats = self.server.stats();
        assert_eq!((stats.connections(), stats.total_received()), (1, count), "one connection, COUNT requests");
        let seen = self.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), count, "one entry per request answered");
        seen
    }
}

/// Where `read` (requests read when request `i` was about to be answered)
/// shows the client running ahead of whole windows: request `i` belongs to
/// window `i / depth`, and the next window may only be sent once this one is
/// answered, so at most the end of this window can have been read.
fn ahead_of_window(read: &[usize], depth: usize, count: usize) -> Vec<(usize, usize)> {
    read.iter().enumerate().filter(|&(i, &r)| r > ((i / depth + 1) * depth).min(count)).map(|(i, &r)| (i, r)).collect()
}

#[test]
fn batch_sends_whole_windows_and_waits_for_each() {
    let (count, depth) = (42, 4);
    let server = ReadAtEachAnswer::start();
    let read = server.bench(count, depth, &["--batch"]);
    // Never a request of the next window before this one is answered.
    assert_eq!(ahead_of_window(&read, depth, count), [], "read at each answer: {read:?}");
    // Windows are sent whole: the full depth was outstanding, and the last,
    // short window (42 = 10 × 4 + 2) too.
    let outstanding: Vec<usize> = read.iter().enumerate().map(|(i, &r)| r - i).collect();
    assert_eq!(outstanding.iter().max(), Some(&depth), "outstanding at each answer: {outstanding:?}");
    assert_eq!(outstanding[40], 2, "the last window holds the 2 left: {outstanding:?}");
}

#[test]
fn the_window_check_catches_a_sliding_window() {
    // The same check fails for the default mode, which sends a request as
    // soon as any answer arrives: the check can fail.
    let (count, depth) = (42, 4);
    let server = ReadAtEachAnswer::start();
    let read = server.bench(count, depth, &[]);
    assert!(!ahead_of_window(&read, depth, count).is_empty(), "a sliding window looked batched: {read:?}");
}
