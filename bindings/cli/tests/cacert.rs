//! `--cacert FILE` on `pipelining fetch` and `pipelining bench`: the real
//! binary against an in-process hyper server behind rustls whose
//! certificate a generated CA signed. The file's certificates are trusted
//! instead of the built-in roots (as curl's `--cacert`); a file that cannot
//! be read or holds no certificate is a usage error with nothing sent.

mod support;

use pipelining_tests::echo_body;
use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::pattern;
use support::{expect_failure, ok_line, pipelining, temp_dir};

/// An HTTPS server, and a file holding its CA's certificate as PEM.
fn https_server(name: &str) -> (HyperServer, String) {
    let pki = pipelining_tests::tls::generate();
    let server = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let path = temp_dir(name).join("ca.pem");
    std::fs::write(&path, &pki.ca_pem).expect("write ca.pem");
    (server, path.to_str().expect("UTF-8 path").to_owned())
}

#[test]
fn fetch_trusts_the_cacert_file() {
    let (server, ca) = https_server("cacert-fetch");
    let urls = [server.url("/a"), server.url("/bytes/70000"), server.url("/c?x=1")];
    let run = pipelining(&["fetch", "--json", "--cacert", &ca, &urls[0], &urls[1], &urls[2]]);
    run.expect_code(0);
    assert_eq!(
        run.lines(),
        [
            ok_line(&urls[0], "GET", 200, echo_body("GET", "/a").as_bytes(), 1),
            ok_line(&urls[1], "GET", 200, &pattern(70_000), 1),
            ok_line(&urls[2], "GET", 200, echo_body("GET", "/c?x=1").as_bytes(), 1),
        ],
        "{}",
        run.stdout
    );
    assert_eq!(server.stats().total_received(), 3);

    // Without it, the test CA is not trusted.
    let run = pipelining(&["fetch", "--json", "--max-tries", "1", &urls[0]]);
    run.expect_code(1);
    expect_failure(run.lines()[0], &urls[0], "GET", "connect", 0);
    assert_eq!(server.stats().total_received(), 3);
}

#[test]
fn bench_trusts_the_cacert_file() {
    let (server, ca) = https_server("cacert-bench");
    let url = server.url("/bytes/256");
    let run = pipelining(&["bench", "--json", "-n", "40", "--depth", "8", "--cacert", &ca, &url]);
    run.expect_code(0);
    let m: serde_json::Value = serde_json::from_str(run.lines()[0]).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(m["requests"], 40, "{m}");
    assert_eq!(m["errors"], 0, "{m}");
    assert_eq!(server.stats().handled("GET", "/bytes/256"), 40);

    // Without it, every request fails.
    let run = pipelining(&["bench", "--json", "-n", "5", &url]);
    run.expect_code(1);
    let m: serde_json::Value = serde_json::from_str(run.lines()[0]).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!((m["requests"].as_u64(), m["errors"].as_u64()), (Some(0), Some(5)), "{m}");
    assert_eq!(server.stats().handled("GET", "/bytes/256"), 40);
}

#[test]
fn an_unusable_cacert_file_is_a_usage_error_and_nothing_is_sent() {
    let (server, _) = https_server("cacert-bad");
    let dir = temp_dir("cacert-bad-files");
    let missing = dir.join("missing.pem");
    let empty = dir.join("no-certificate.pem");
    std::fs::write(&empty, "just some text\n").expect("write the file");
    let key_only = dir.join("key-only.pem");
    std::fs::write(&key_only, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        .expect("write the file");
    let (missing, empty) = (missing.to_str().expect("UTF-8"), empty.to_str().expect("UTF-8"));
    let key_only = key_only.to_str().expect("UTF-8");
    let url = server.url("/never");
    for command in ["fetch", "bench"] {
        let count: &[&str] = if command == "bench" { &["-n", "3"] } else { &[] };
        for (file, says) in [(missing, "cannot read --cacert"), (empty, "neither PEM"), (key_only, "no CERTIFICATE")] {
            let mut args = vec![command, "--cacert", file];
            args.extend_from_slice(count);
            args.push(&url);
            let run = pipelining(&args);
            run.expect_code(2);
            assert!(run.stdout.is_empty(), "{command}: {}", run.stdout);
            assert!(run.stderr.contains(says), "{command} --cacert {file}: {}", run.stderr);
        }
    }
    assert_eq!(server.stats().connections(), 0, "nothing was sent");
}
