//! `pipelining fetch --json` — the real binary, as a child process — through
//! Squid, a real proxy the test starts: chosen by `http_proxy`, by
//! `HTTP_PROXY` outside a CGI program, and by `--proxy`, every body checked
//! and every request in Squid's access log; `https://` through Squid's
//! `CONNECT` tunnel.

mod support;

use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::real::{Squid, SquidConfig};
use pipelining_tests::{echo_body, pattern};
use support::{expect_failure, ok_line, pipelining_with_env};

/// How a run chooses the proxy: its flags and environment.
struct Mode<'a> {
    name: &'a str,
    flags: Vec<&'a str>,
    env: Vec<(&'a str, &'a str)>,
}

#[test]
#[ignore = "needs squid"]
fn fetch_goes_through_squid_by_http_proxy_upper_case_http_proxy_and_the_flag() {
    let origin = HyperServer::start();
    let mut squid = Squid::start(&SquidConfig::default());
    let base = format!("http://127.0.0.1:{}", origin.addr().port());
    let proxy = squid.url();
    let modes = [
        Mode { name: "http_proxy", flags: vec![], env: vec![("http_proxy", &proxy)] },
        Mode { name: "HTTP_PROXY", flags: vec![], env: vec![("HTTP_PROXY", &proxy)] },
        Mode { name: "flag", flags: vec!["--proxy", &proxy], env: vec![] },
    ];
    let mut sent = 0;
    for Mode { name: mode, flags, env } in &modes {
        let mut expected = Vec::new();
        let mut urls = Vec::new();
        for i in 0..20 {
            let target = format!("/echo/{i}?via={mode}");
            expected.push(ok_line(&format!("{base}{target}"), "GET", 200, echo_body("GET", &target).as_bytes(), 1));
            urls.push(format!("{base}{target}"));
        }
        for size in [0, 100_000] {
            let url = format!("{base}/bytes/{size}?via={mode}");
            expected.push(ok_line(&url, "GET", 200, &pattern(size), 1));
            urls.push(url);
        }
        let mut args = vec!["fetch", "--json"];
        args.extend(flags.iter().copied());
        args.extend(urls.iter().map(String::as_str));
        let run = pipelining_with_env(&args, env);
        run.expect_code(0);
        assert_eq!(run.lines(), expected, "{mode}");
        let logged = squid.wait_for_log(urls.len(), |l| l.method == "GET" && l.url.ends_with(&format!("via={mode}")));
        for url in &urls {
            assert!(logged.iter().any(|l| &l.url == url && l.result.ends_with("/200")), "{mode}: {url} in {logged:?}");
        }
        sent += urls.len();
    }
    assert_eq!(origin.stats().total_received(), sent, "every request reached the origin once, through Squid");
}

#[test]
#[ignore = "needs squid"]
fn https_goes_through_a_squid_connect_tunnel() {
    let pki = pipelining_tests::tls::generate();
    let origin = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let port = origin.addr().port();
    let mut squid = Squid::start(&SquidConfig { connect_ports: vec![port] });
    let url = format!("https://127.0.0.1:{port}/secure");
    // The command cannot trust the test CA yet (no --cacert): the tunnel
    // opens and TLS runs inside it up to the certificate check, which is
    // what this test can see from outside — the origin's handshake through
    // Squid, refused by the client for its issuer.
    let run = pipelining_with_env(&["fetch", "--json", "--max-tries", "1", &url], &[("https_proxy", &squid.url())]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let line = expect_failure(lines[0], &url, "GET", "connect", 0);
    let error = line["error"].as_str().unwrap_or_default();
    assert!(error.contains("certificate"), "the origin's certificate came through the tunnel: {error}");
    assert_eq!(origin.stats().connections(), 1, "one TLS handshake reached the origin");
    let tunnels = squid.wait_for_log(1, |l| l.method == "CONNECT");
    assert_eq!(tunnels.len(), 1, "{tunnels:?}");
    assert_eq!(
        (tunnels[0].result.as_str(), tunnels[0].url.as_str()),
        ("TCP_TUNNEL/200", &*format!("127.0.0.1:{port}"))
    );
}
