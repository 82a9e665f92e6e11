//! The platform's trust store (`Builder::platform_roots`), given through
//! `SSL_CERT_FILE` to a client in a child process (`tls_client`): the
//! variable is the process's, which a test can set only for a child. The
//! server is an in-process hyper behind rustls with a generated CA.

use pipelining_tests::echo_body;
use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::real::TempDir;
use pipelining_tests::tls::TestCa;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The one-request client.
const CLIENT: &str = env!("CARGO_BIN_EXE_tls_client");

/// The longest one run of the client may take.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Runs the client for `url` with `flags`, `SSL_CERT_FILE` set to
/// `cert_file` (or removed), `SSL_CERT_DIR` removed; returns what it
/// printed.
fn run(url: &str, flags: &[&str], cert_file: Option<&Path>) -> String {
    let mut command = Command::new(CLIENT);
    command.arg(url).args(flags).env_remove("SSL_CERT_DIR").stdin(Stdio::null()).stdout(Stdio::piped());
    match cert_file {
        Some(path) => command.env("SSL_CERT_FILE", path),
        None => command.env_remove("SSL_CERT_FILE"),
    };
    let mut child = command.spawn().expect("start tls_client");
    let started = Instant::now();
    while child.try_wait().expect("wait for tls_client").is_none() {
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tls_client {url} {flags:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().expect("tls_client output");
    String::from_utf8(output.stdout).expect("UTF-8 output").trim_end().to_owned()
}

#[test]
fn ssl_cert_file_is_the_platform_store() {
    let ca = TestCa::new("platform store test CA");
    let other = TestCa::new("some other CA");
    let server = HyperServer::with(HyperOptions {
        pipeline_flush: true,
        tls: Some(pipelining_tests::tls::server_config(
            &ca.server_leaf(),
            None,
            pipelining_tests::tls::Versions::Default,
        )),
    });
    let dir = TempDir::new("platform-roots");
    let ca_file = dir.path().join("ca.pem");
    let other_file = dir.path().join("other.pem");
    std::fs::write(&ca_file, ca.pem()).expect("write ca.pem");
    std::fs::write(&other_file, other.pem()).expect("write other.pem");
    let url = server.url("/platform");
    let ok = format!("ok 200 {}", echo_body("GET", "/platform"));

    // The platform's store, as SSL_CERT_FILE names it, alone or with the
    // Mozilla roots.
    assert_eq!(run(&url, &["--platform-roots", "--without-webpki-roots"], Some(&ca_file)), ok);
    assert_eq!(run(&url, &["--platform-roots"], Some(&ca_file)), ok);
    assert_eq!(server.stats().total_received(), 2);

    // Another CA in the store: the server is not trusted.
    let out = run(&url, &["--platform-roots", "--without-webpki-roots"], Some(&other_file));
    assert!(out.starts_with("error connect "), "{out}");
    // The variable alone changes nothing: the platform's store is opt-in.
    let out = run(&url, &[], Some(&ca_file));
    assert!(out.starts_with("error connect "), "{out}");
    // The distribution's bundle (or none) does not hold the test CA.
    let out = run(&url, &["--platform-roots", "--without-webpki-roots"], None);
    assert!(out.starts_with("error "), "{out}");
    assert!(!out.starts_with("ok"), "{out}");
    assert_eq!(server.stats().total_received(), 2, "no untrusted request reached the server");

    // A store that cannot be read fails the build: nothing is sent.
    let connections = server.stats().connections();
    let missing = dir.path().join("missing.pem");
    let out = run(&url, &["--platform-roots"], Some(&missing));
    assert!(out.starts_with("error invalid_request platform root certificates:"), "{out}");
    assert!(out.contains("missing.pem"), "the error names the file: {out}");
    assert_eq!(server.stats().connections(), connections, "no connection was made");
}
