//! The command's proxy settings end to end: the real binary run as a child
//! process with the proxy variables set (and every other proxy variable
//! cleared), `--proxy` and `--noproxy`, against the scripted peer standing
//! in for a proxy. It answers every request itself, saying what it got, so
//! a body shows what reached the proxy. Origins are `.invalid` names (RFC
//! 6761) that never resolve: only the proxy can answer for them. Squid, a
//! real proxy, is in `real_squid_fetch.rs`.

mod support;

use pipelining_tests::raw::{self, RawServer, Request, Step};
use support::{expect_failure, ok_line, pipelining_with_env, refused_port};

fn report(r: &Request) -> String {
    let field = |name: &str| r.parsed.headers.iter().find(|(n, _)| n == name).map_or("-", |(_, v)| v.as_str());
    format!("{} {} host={} auth={}", r.method(), r.target(), field("host"), field("proxy-authorization"))
}

/// A stand-in proxy: [`report`] for every request, 403 for `CONNECT`.
fn stand_in_proxy() -> RawServer {
    RawServer::start(|r| {
        if r.method() == "CONNECT" {
            vec![Step::Write(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".to_vec()), Step::Close]
        } else {
            vec![Step::Write(raw::ok(report(r)))]
        }
    })
}

fn url_of(server: &RawServer) -> String {
    format!("http://127.0.0.1:{}", server.addr().port())
}

#[test]
fn each_proxy_variable_sends_fetch_through_the_proxy() {
    let proxy = stand_in_proxy();
    for (n, variable) in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"].into_iter().enumerate() {
        let url = format!("http://origin.invalid:8080/{variable}?n={n}");
        let run = pipelining_with_env(&["fetch", "--json", &url], &[(variable, &url_of(&proxy))]);
        run.expect_code(0);
        let body = format!("GET {url} host=origin.invalid:8080 auth=-");
        assert_eq!(run.lines(), [ok_line(&url, "GET", 200, body.as_bytes(), 1)], "{variable}");
    }
    assert_eq!(proxy.stats().total_received(), 4);
}

#[test]
fn credentials_in_the_variable_become_proxy_authorization() {
    let proxy = stand_in_proxy();
    let with_user = format!("http://user:p%40ss@127.0.0.1:{}", proxy.addr().port());
    let url = "http://origin.invalid/auth";
    let run = pipelining_with_env(&["fetch", "--json", url], &[("http_proxy", &with_user)]);
    run.expect_code(0);
    let body = format!("GET {url} host=origin.invalid auth=Basic dXNlcjpwQHNz");
    assert_eq!(run.lines(), [ok_line(url, "GET", 200, body.as_bytes(), 1)]);
}

#[test]
fn upper_case_http_proxy_is_ignored_in_a_cgi_program() {
    let proxy = stand_in_proxy();
    let origin = RawServer::echo();
    let url = origin.url("/cgi");
    let run =
        pipelining_with_env(&["fetch", "--json", &url], &[("HTTP_PROXY", &url_of(&proxy)), ("REQUEST_METHOD", "GET")]);
    run.expect_code(0);
    assert_eq!(run.lines(), [ok_line(&url, "GET", 200, b"GET /cgi", 1)], "reached directly");
    assert_eq!(proxy.stats().total_received(), 0);
    // The lower-case variable still applies there.
    let run =
        pipelining_with_env(&["fetch", "--json", &url], &[("http_proxy", &url_of(&proxy)), ("REQUEST_METHOD", "GET")]);
    run.expect_code(0);
    let body = format!("GET {url} host=127.0.0.1:{} auth=-", origin.addr().port());
    assert_eq!(run.lines(), [ok_line(&url, "GET", 200, body.as_bytes(), 1)], "through the proxy");
    assert_eq!(origin.stats().total_received(), 1, "only the first run reached the origin");
}

#[test]
fn the_proxy_flag_overrides_the_environment() {
    let proxy = stand_in_proxy();
    let dead = format!("http://127.0.0.1:{}", refused_port());
    let url = "http://origin.invalid/flag";
    let env = [("http_proxy", dead.as_str()), ("HTTPS_PROXY", "socks5://ignored")];
    let run = pipelining_with_env(&["fetch", "--json", "--proxy", &url_of(&proxy), url], &env);
    run.expect_code(0);
    let body = format!("GET {url} host=origin.invalid auth=-");
    assert_eq!(run.lines(), [ok_line(url, "GET", 200, body.as_bytes(), 1)]);
}

#[test]
fn no_proxy_and_noproxy_reach_origins_directly() {
    let proxy = stand_in_proxy();
    let origin = RawServer::echo();
    let url = origin.url("/direct");
    let expected = [ok_line(&url, "GET", 200, b"GET /direct", 1)];
    // The environment's exceptions…
    let run = pipelining_with_env(
        &["fetch", "--json", &url],
        &[("http_proxy", &url_of(&proxy)), ("no_proxy", "127.0.0.0/8")],
    );
    run.expect_code(0);
    assert_eq!(run.lines(), expected);
    // …the flag's, which replace them…
    let env = [("http_proxy", url_of(&proxy)), ("NO_PROXY", "nothing.invalid".to_owned())];
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let run = pipelining_with_env(&["fetch", "--json", "--noproxy", "localhost,127.0.0.1", &url], &env);
    run.expect_code(0);
    assert_eq!(run.lines(), expected);
    // …and `*`, which turns proxies off, a broken variable included.
    let run = pipelining_with_env(&["fetch", "--json", "--noproxy", "*", &url], &[("http_proxy", "socks5://broken")]);
    run.expect_code(0);
    assert_eq!(run.lines(), expected);
    assert_eq!(proxy.stats().total_received(), 0);
    assert_eq!(origin.stats().total_received(), 3);
}

#[test]
fn bad_proxies_are_usage_errors_and_nothing_is_sent() {
    let proxy = stand_in_proxy();
    let origin = RawServer::echo();
    let url = origin.url("/never");
    let socks = format!("socks5://127.0.0.1:{}", proxy.addr().port());
    let run = pipelining_with_env(&["fetch", "--json", "--proxy", &socks, &url], &[]);
    run.expect_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("--proxy: unsupported proxy scheme \"socks5\""), "{}", run.stderr);

    let run = pipelining_with_env(&["fetch", "--json", &url], &[("http_proxy", "http://user:s3cret@pro xy:3128")]);
    run.expect_code(2);
    assert!(run.stderr.contains("http_proxy: malformed proxy URL: invalid host"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret"), "a password is never shown: {}", run.stderr);

    for args in [["bench", "--proxy", "http://proxy:0", &url], ["bench", "--proxy", "socks4://proxy", &url]] {
        let run = pipelining_with_env(&args, &[]);
        run.expect_code(2);
        assert!(run.stderr.contains("--proxy: "), "{}", run.stderr);
    }
    assert_eq!(proxy.stats().connections(), 0, "nothing was sent to the proxy");
    assert_eq!(origin.stats().connections(), 0, "nor to the origin");
}

#[test]
fn a_refused_connect_is_error_kind_connect_naming_the_status() {
    let proxy = stand_in_proxy();
    let url = "https://secure.invalid/x";
    let run = pipelining_with_env(&["fetch", "--json", "--max-tries", "1", url], &[("https_proxy", &url_of(&proxy))]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let line = expect_failure(lines[0], url, "GET", "connect", 0);
    let error = line["error"].as_str().unwrap_or_default();
    let expected = format!("proxy 127.0.0.1:{} refused CONNECT: 403 Forbidden", proxy.addr().port());
    assert!(error.contains(&expected), "{error}");
    assert_eq!(proxy.stats().received("CONNECT", "secure.invalid:443"), 1);
}

#[test]
fn bench_goes_through_the_proxy() {
    let proxy = stand_in_proxy();
    let url = "http://origin.invalid/bench";
    let run = pipelining_with_env(&["bench", url, "-n", "20", "--json", "--proxy", &url_of(&proxy)], &[]);
    run.expect_code(0);
    let v: serde_json::Value =
        serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!((v["requests"].as_u64(), v["errors"].as_u64()), (Some(20), Some(0)), "{v}");
    let stats = proxy.stats();
    assert_eq!(stats.received("GET", url), 20, "{stats:?}");
    assert_eq!(stats.max_unanswered(), 1, "one at a time through a proxy");
    // And from the environment.
    let run = pipelining_with_env(&["bench", url, "-n", "5", "--json"], &[("http_proxy", &url_of(&proxy))]);
    run.expect_code(0);
    assert_eq!(proxy.stats().received("GET", url), 25);
}
