//! `pipelining fetch --json` — the real binary — over nginx with
//! `keepalive_requests 3` and 1,000 URLs: every line has status 200 and the
//! right sha256, the lines are in request order, the exit code is 0, and
//! nginx answered every request exactly once, at most 3 per connection.
//!
//! This suite lives with the command so that Cargo builds the binary for it
//! (`CARGO_BIN_EXE_pipelining`: always the binary of this very build, in
//! the same target directory, with no extra build step); the nginx helpers
//! come from `pipelining_tests::real`.

use pipelining_tests::real::{LogSummary, Nginx, NginxConfig, TempDir};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest the command may run.
const LIMIT: Duration = Duration::from_secs(60);

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
#[ignore = "needs nginx"]
fn fetch_json_1000_urls_over_nginx_keepalive_requests_3() {
    let mut nginx = Nginx::start(&NginxConfig { keepalive_requests: 3, ..NginxConfig::default() });
    let paths = nginx.tree.paths_up_to(100_000);
    let mut targets: Vec<String> = (0..1000).map(|i| format!("{}?n={i}", paths[i % paths.len()])).collect();
    targets[500] = "/f/size-8388608.bin?n=500".to_owned();
    targets[700] = "/f/size-1048576.bin?n=700".to_owned();
    let urls: Vec<String> = targets.iter().map(|t| nginx.url(t)).collect();
    let dir = TempDir::new("cli-input");
    let input = dir.path().join("urls.txt");
    std::fs::write(&input, format!("# 1,000 URLs\n\n{}\n", urls.join("\n"))).expect("write the input");

    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipelining"))
        .args(["fetch", "--json", "--timeout", "20", "--input"])
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the pipelining binary");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pipelining fetch ran longer than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().expect("stdout reader").expect("stdout text");
    let stderr = err.join().expect("stderr reader").expect("stderr text");
    eprintln!("pipelining fetch: {:?} for {} URLs", started.elapsed(), urls.len());
    assert_eq!(status.code(), Some(0), "exit status; stderr:\n{stderr}");

    let digests: std::collections::HashMap<&str, String> =
        nginx.tree.files.iter().map(|(path, content)| (path.as_str(), sha256_hex(content))).collect();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), urls.len(), "one line per URL");
    for (i, (line, (url, target))) in lines.iter().zip(urls.iter().zip(&targets)).enumerate() {
        assert!(line.starts_with("{\"url\":"), "line {}: {line}", i + 1);
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1));
        let content = nginx.tree.content(target);
        assert_eq!(value["url"], url.as_str(), "line {} is out of order", i + 1);
        assert_eq!(value["method"], "GET", "line {}", i + 1);
        assert_eq!(value["status"], 200, "line {}: {line}", i + 1);
        assert_eq!(value["body_bytes"], content.len(), "line {}: {line}", i + 1);
        let digest = &digests[target.split('?').next().unwrap_or_default()];
        assert_eq!(value["body_sha256"], digest.as_str(), "line {}: {line}", i + 1);
        assert!(value["error"].is_null() && value["error_kind"].is_null(), "line {}: {line}", i + 1);
        assert!(value["attempts"].as_u64().is_some_and(|a| a >= 1), "line {}: {line}", i + 1);
    }

    // nginx answered each URL once, at most 3 on a connection.
    let log = nginx.access_log(urls.len());
    let summary = LogSummary::of(&log);
    for target in &targets {
        assert_eq!(
            summary.answered("GET", target),
            1,
            "GET {target} answered {} times",
            summary.answered("GET", target)
        );
    }
    assert_eq!(log.len(), urls.len(), "nginx answered {} requests", log.len());
    assert!(summary.max_per_connection() <= 3);
    assert!(summary.connections() >= 334, "{} connections", summary.connections());
    assert!(summary.pipelined > 0, "nginx never read a request pipelined");
}
