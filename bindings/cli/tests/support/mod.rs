//! Shared by the `pipelining` command's suites: runs the real binary as a
//! subprocess, bounded in time, and reads its JSON output exactly.

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest one run of the binary may take before it counts as hung.
pub(crate) const RUN_LIMIT: Duration = Duration::from_secs(20);

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    /// Its exit code.
    pub(crate) code: i32,
    /// Everything it wrote to stdout.
    pub(crate) stdout: String,
    /// Everything it wrote to stderr.
    pub(crate) stderr: String,
    /// How long it ran.
    pub(crate) elapsed: Duration,
}

impl Run {
    /// The stdout lines.
    pub(crate) fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts the exit code, showing the output otherwise.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\n--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}

/// Runs `pipelining ARGS` with stdin closed.
pub(crate) fn pipelining(args: &[&str]) -> Run {
    run(args, None)
}

/// Runs `pipelining ARGS` with `stdin` on its standard input.
pub(crate) fn pipelining_with_stdin(args: &[&str], stdin: &str) -> Run {
    run(args, Some(stdin))
}

/// The variables that choose a proxy (and `REQUEST_METHOD`, which makes
/// `HTTP_PROXY` ignored): cleared for [`pipelining_with_env`] runs.
pub(crate) const PROXY_VARS: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

/// Runs `pipelining ARGS` with stdin closed, the [`PROXY_VARS`] cleared and
/// then `env` set.
pub(crate) fn pipelining_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipelining"));
    for name in PROXY_VARS {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    run_command(command, args, None)
}

fn run(args: &[&str], stdin: Option<&str>) -> Run {
    run_command(Command::new(env!("CARGO_BIN_EXE_pipelining")), args, stdin)
}

fn run_command(mut command: Command, args: &[&str], stdin: Option<&str>) -> Run {
    let started = Instant::now();
    let mut child = command
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the pipelining binary");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let text = text.to_owned();
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let stdout = read_all(child.stdout.take().expect("stdout"));
    let stderr = read_all(child.stderr.take().expect("stderr"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for pipelining") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pipelining {args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    let code = status.code().unwrap_or_else(|| panic!("pipelining {args:?} was killed: {status}\n{stderr}"));
    Run { code, stdout, stderr, elapsed }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8(bytes).expect("UTF-8 output")
    })
}

/// A fresh, empty directory for one test.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// Writes `text` to a file in a fresh directory; returns its path.
pub(crate) fn input_file(name: &str, text: &str) -> String {
    let path = temp_dir(name).join("requests.txt");
    std::fs::write(&path, text).expect("write the input file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// SHA-256, lowercase hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The exact C1 line of a request that got a response.
pub(crate) fn ok_line(url: &str, method: &str, status: u16, body: &[u8], attempts: u32) -> String {
    format!(
        r#"{{"url":{},"method":"{method}","status":{status},"body_bytes":{},"body_sha256":"{}","attempts":{attempts},"error":null,"error_kind":null}}"#,
        serde_json::to_string(url).expect("JSON string"),
        body.len(),
        sha256(body)
    )
}

/// The C1 keys, in order.
pub(crate) const FETCH_KEYS: [&str; 8] =
    ["url", "method", "status", "body_bytes", "body_sha256", "attempts", "error", "error_kind"];

/// Checks a C1 failure line field by field; returns it parsed.
#[track_caller]
pub(crate) fn expect_failure(line: &str, url: &str, method: &str, kind: &str, attempts: u64) -> serde_json::Value {
    let keys: Vec<(usize, String)> = FETCH_KEYS.iter().map(|k| (1, (*k).to_owned())).collect();
    assert_eq!(object_keys(line), keys, "{line}");
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(v["url"], url, "{line}");
    assert_eq!(v["method"], method, "{line}");
    assert!(v["status"].is_null(), "{line}");
    assert!(v["body_bytes"].is_null(), "{line}");
    assert!(v["body_sha256"].is_null(), "{line}");
    assert_eq!(v["error_kind"], kind, "{line}");
    assert_eq!(v["attempts"], attempts, "{line}");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "an error names its cause: {line}");
    v
}

/// Every object key of a JSON text in document order, with its nesting
/// depth (1 for the top level): the exact shape, order included, which a
/// parsed `serde_json::Value` does not keep.
pub(crate) fn object_keys(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b'"' => {
                let start = i;
                i += 1;
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let rest = text[i + 1..].trim_start();
                if rest.starts_with(':') {
                    let key: String = serde_json::from_str(&text[start..=i]).expect("a JSON string");
                    keys.push((depth, key));
                }
            }
            _ => {}
        }
        i += 1;
    }
    keys
}

/// Waits (at most 5 s) until `condition` holds: a server's counters trail
/// the client's exit by a moment.
#[track_caller]
pub(crate) fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A loopback port nothing listens on.
pub(crate) fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
