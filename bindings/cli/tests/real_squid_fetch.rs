//! `pipelining fetch --json` — the real binary, as a child process — through
//! Squid, a real proxy the test starts: chosen by `http_proxy`, by
//! `HTTP_PROXY` outside a CGI program, and by `--proxy`, every body checked
//! and every request in Squid's access log; `https://` through Squid's
//! `CONNECT` tunnel.

mod support;

use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::real::{Squid, SquidConfig};
use pipelining_tests::{echo_body, pattern};
use support::{expect_failure, ok_line, pipelining_with_env, temp_dir};

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
    let urls: Vec<String> = (0..4).map(|i| format!("https://127.0.0.1:{port}/secure/{i}")).collect();
    // Without the test CA the origin's certificate, which came through the
    // tunnel, is refused.
    let mut args = vec!["fetch", "--json", "--max-tries", "1"];
    args.push(&urls[0]);
    let run = pipelining_with_env(&args, &[("https_proxy", &squid.url())]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let line = expect_failure(lines[0], &urls[0], "GET", "connect", 0);
    let error = line["error"].as_str().unwrap_or_default();
    assert!(error.contains("certificate"), "the origin's certificate came through the tunnel: {error}");
    // With it (`--cacert`), TLS inside the tunnel, pipelined, bodies right.
    let ca = temp_dir("squid-ca").join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("write the CA");
    let ca = ca.to_str().expect("UTF-8 path").to_owned();
    let mut args = vec!["fetch", "--json", "--cacert", &ca];
    args.extend(urls.iter().map(String::as_str));
    let run = pipelining_with_env(&args, &[("https_proxy", &squid.url())]);
    run.expect_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    for (url, line) in urls.iter().zip(&lines) {
        let target = url.trim_start_matches(&format!("https://127.0.0.1:{port}"));
        assert_eq!(*line, ok_line(url, "GET", 200, pipelining_tests::echo_body("GET", target).as_bytes(), 1));
    }
    assert_eq!(origin.stats().total_received(), 4, "every request reached the origin once, through the tunnel");
    let tunnels = squid.wait_for_log(2, |l| l.method == "CONNECT");
    assert!(tunnels.len() >= 2, "{tunnels:?}");
    for tunnel in &tunnels {
        assert_eq!((tunnel.result.as_str(), tunnel.url.as_str()), ("TCP_TUNNEL/200", &*format!("127.0.0.1:{port}")));
    }
}
