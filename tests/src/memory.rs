//! Measuring a client's memory: its resident set read from `/proc`, in a
//! child process of its own so that the test's servers, threads and
//! allocations are not counted with it.
//!
//! The child is the `client_memory` binary of this crate
//! (`tests/src/bin/client_memory.rs`): it runs one workload and prints
//! `key=value` lines, which [`run_child`] collects and [`Report`] reads.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that selects the full sizes of the long tests
/// (`PIPELINING_FULL=1`); without it they run their CI sizes.
pub const FULL_SIZE: &str = "PIPELINING_FULL";

/// `full` when [`FULL_SIZE`] is set to `1`, `ci` otherwise.
pub fn size(ci: usize, full: usize) -> usize {
    if std::env::var(FULL_SIZE).is_ok_and(|v| v == "1") { full } else { ci }
}

/// The resident set size of this process, in bytes (`VmRSS` of
/// `/proc/self/status`, the resident pages of `/proc/self/statm` in bytes).
///
/// # Panics
///
/// Without a Linux `/proc` (the memory tests run on Linux only).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

/// Bytes as MiB, for messages.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// What a child printed: its lines, each `word key=value key=value…`.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every line, in order.
    pub lines: Vec<String>,
}

impl Report {
    /// The fields of every line starting with `word`, in order.
    pub fn all(&self, word: &str) -> Vec<HashMap<String, String>> {
        self.lines
            .iter()
            .filter_map(|line| {
                let mut parts = line.split_whitespace();
                (parts.next() == Some(word)).then(|| {
                    parts
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect::<HashMap<_, _>>()
                })
            })
            .collect()
    }

    /// The fields of the one line starting with `word`.
    ///
    /// # Panics
    ///
    /// When there is not exactly one.
    pub fn one(&self, word: &str) -> HashMap<String, String> {
        let mut all = self.all(word);
        assert_eq!(all.len(), 1, "expected one `{word}` line in:\n{}", self.lines.join("\n"));
        all.remove(0)
    }

    /// A number of a line's fields.
    ///
    /// # Panics
    ///
    /// When the field is missing or not a number.
    pub fn number(fields: &HashMap<String, String>, key: &str) -> u64 {
        fields.get(key).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no number {key} in {fields:?}"))
    }
}

/// Runs the `client_memory` binary at `program` with `args`, kills it if it
/// runs longer than `limit`, and returns what it printed.
///
/// # Panics
///
/// When it cannot start, runs too long, or fails (its output is in the
/// message).
pub fn run_child(program: &str, args: &[&str], limit: Duration) -> Report {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    // Read both pipes on their own threads, so a chatty child never blocks.
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    match status {
        None => panic!("{program} {args:?} ran over {limit:?}; it printed:\n{out}\n{err}"),
        Some(status) if !status.success() => panic!("{program} {args:?} failed ({status}):\n{out}\n{err}"),
        Some(_) => Report { lines: out.lines().map(str::to_owned).collect() },
    }
}
