//! Proxies on both drivers, against the scripted peer standing in for an
//! HTTP proxy: it answers every request itself and says what it got, so
//! each test sees exactly what the client wrote to the proxy — the
//! absolute-form target, `Host`, `Proxy-Authorization`, `CONNECT`, and how
//! many requests were outstanding at once. The origins are `.invalid`
//! names (RFC 6761) that never resolve: only the proxy can answer for them.
//! Squid, a real proxy, is in `real_squid.rs`.

use bytes::Bytes;
use pipelining_driver::{Builder, Client, Error, ErrorKind, Glue, Origin, Proxy};
use pipelining_tests::raw::{self, RawServer, Request, Step};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A builder with short timeouts and `proxy` as the proxy.
fn through<G: Glue>(proxy: &str) -> Builder<G> {
    Client::<G>::builder()
        .connect_timeout(Duration::from_secs(2))
        .stall_timeout(Duration::from_secs(3))
        .proxy(Proxy::parse(proxy).expect("proxy URL"))
}

/// What the stand-in proxy answers a forwarded request with: the request
/// line and the two fields a proxy cares about, so a body proves what
/// reached the proxy.
fn report(r: &Request) -> String {
    let field = |name: &str| r.parsed.headers.iter().find(|(n, _)| n == name).map_or("-", |(_, v)| v.as_str());
    format!("{} {} host={} auth={}", r.method(), r.target(), field("host"), field("proxy-authorization"))
}

/// A stand-in proxy answering each request with [`report`] after `pause`.
fn reporting_proxy(pause: Duration) -> RawServer {
    RawServer::start(move |r| vec![Step::Sleep(pause), Step::Write(raw::ok(report(r)))])
}

fn proxy_url(server: &RawServer) -> String {
    format!("http://127.0.0.1:{}", server.addr().port())
}

/// GETs `url`: the status and the whole body.
async fn get<G: Glue>(client: &Client<G>, url: &str) -> Result<(u16, Bytes), Error> {
    let response = client.get(url).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().bytes().await?))
}

#[track_caller]
fn expect_body(got: &Result<(u16, Bytes), Error>, status: u16, body: &str) {
    match got {
        Ok((s, b)) => assert_eq!((*s, String::from_utf8_lossy(b).as_ref()), (status, body)),
        Err(e) => panic!("expected {status} {body:?}, got {e}"),
    }
}

/// `http://` origins go to the proxy in absolute form with the origin's
/// `Host`, on the proxy's connections (the pool knows only the proxy's
/// origin), one request at a time by default.
async fn http_goes_to_the_proxy_in_absolute_form_one_at_a_time<G: Glue>() {
    let proxy = reporting_proxy(Duration::from_millis(5));
    let client = through::<G>(&proxy_url(&proxy)).depth(8).connections(1).build().expect("client");
    let urls: Vec<String> = (0..6).map(|i| format!("http://Origin.invalid:8080/a/{i}?q=1")).collect();
    let got = futures_util::future::join_all(urls.iter().map(|u| get(&client, u))).await;
    for (i, got) in got.iter().enumerate() {
        let target = format!("http://origin.invalid:8080/a/{i}?q=1");
        expect_body(got, 200, &format!("GET {target} host=origin.invalid:8080 auth=-"));
        assert_eq!(proxy.stats().received("GET", &target), 1);
    }
    // The default port is left out of the target and Host.
    expect_body(
        &get(&client, "http://origin.invalid/").await,
        200,
        "GET http://origin.invalid/ host=origin.invalid auth=-",
    );
    let stats = proxy.stats();
    assert_eq!(stats.connections(), 1, "{stats:?}");
    assert_eq!(stats.max_unanswered(), 1, "no pipelining through a proxy by default: {stats:?}");
    assert_eq!(
        client.origins(),
        [Origin::new("http", "127.0.0.1", proxy.addr().port())],
        "what is learned is the proxy's"
    );
}

/// A proxy trusted to pipeline gets several requests outstanding at once.
async fn a_proxy_trusted_to_pipeline_gets_pipelined_requests<G: Glue>() {
    let proxy = reporting_proxy(Duration::from_millis(20));
    let trusted = Proxy::parse(&proxy_url(&proxy)).expect("proxy URL").with_pipelining(true);
    let client = through::<G>("unused:1").proxy(trusted).depth(8).connections(1).build().expect("client");
    let urls: Vec<String> = (0..8).map(|i| format!("http://origin.invalid/p/{i}")).collect();
    let got = futures_util::future::join_all(urls.iter().map(|u| get(&client, u))).await;
    for (url, got) in urls.iter().zip(&got) {
        expect_body(got, 200, &format!("GET {url} host=origin.invalid auth=-"));
    }
    let stats = proxy.stats();
    assert_eq!(stats.connections(), 1, "{stats:?}");
    assert!(stats.max_unanswered() > 1, "pipelined through a trusted proxy: {stats:?}");
}

/// Credentials in the proxy URL go in `Proxy-Authorization: Basic` on
/// every request; a proxy that wants them answers 407 without.
async fn credentials_go_in_proxy_authorization<G: Glue>() {
    const EXPECTED: &str = "Basic dXNlcjpwQHNz"; // user:p@ss
    let proxy = RawServer::start(|r| {
        let authorized = r.parsed.headers.iter().any(|(n, v)| n == "proxy-authorization" && v == EXPECTED);
        if authorized {
            vec![Step::Write(raw::ok(report(r)))]
        } else {
            vec![Step::Write(raw::response(407, &[("proxy-authenticate", "Basic realm=\"test\"")], "who are you?"))]
        }
    });
    let port = proxy.addr().port();
    let client = through::<G>(&format!("http://user:p%40ss@127.0.0.1:{port}")).build().expect("client");
    for path in ["/1", "/2"] {
        let url = format!("http://origin.invalid{path}");
        expect_body(&get(&client, &url).await, 200, &format!("GET {url} host=origin.invalid auth={EXPECTED}"));
    }
    let anonymous = through::<G>(&proxy_url(&proxy)).build().expect("client");
    expect_body(&get(&anonymous, "http://origin.invalid/3").await, 407, "who are you?");
}

/// `https://` origins ask the proxy for a tunnel with `CONNECT host:port`
/// (its `Host`, the credentials); a refusal is a `connect` error naming
/// the proxy and its status line, and nothing else is sent.
async fn a_refused_connect_is_a_connect_error_naming_the_proxy_and_its_status<G: Glue>() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let proxy = RawServer::start(move |r| {
        log.lock().unwrap_or_else(|p| p.into_inner()).push(r.parsed.clone());
        vec![Step::Write(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".to_vec()), Step::Close]
    });
    let port = proxy.addr().port();
    let client = through::<G>(&format!("http://u:pw@127.0.0.1:{port}")).max_tries(2).build().expect("client");
    let error = get(&client, "https://secure.invalid/x").await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    let expected = format!("proxy 127.0.0.1:{port} refused CONNECT: 403 Forbidden");
    assert!(error.message().contains(&expected), "{error}");
    assert_eq!(error.attempts(), 0);
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(seen.len(), 2, "one CONNECT per try, nothing else: {seen:?}");
    for request in &seen {
        assert_eq!((request.method.as_str(), request.target.as_str()), ("CONNECT", "secure.invalid:443"));
        let fields: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(fields, [("host", "secure.invalid:443"), ("proxy-authorization", "Basic dTpwdw==")]);
    }
}

/// A proxy nothing listens on is a `connect` error that names it, for
/// `http://` and `https://` origins alike.
async fn a_proxy_that_is_down_is_a_connect_error_naming_it<G: Glue>() {
    let port = pipelining_tests::real::free_port();
    let client = through::<G>(&format!("http://127.0.0.1:{port}")).max_tries(1).build().expect("client");
    for url in ["http://origin.invalid/", "https://origin.invalid/"] {
        let error = get(&client, url).await.expect_err("no proxy there");
        assert_eq!(error.kind(), ErrorKind::Connect, "{url}: {error}");
        assert!(error.message().contains(&format!("proxy 127.0.0.1:{port}")), "{url}: {error}");
    }
}

/// Origins in `no_proxy` are reached directly; the proxy hears nothing.
async fn no_proxy_origins_are_reached_directly<G: Glue>() {
    let proxy = reporting_proxy(Duration::ZERO);
    let origin = RawServer::echo();
    let client = through::<G>(&proxy_url(&proxy)).no_proxy("example.invalid, 127.0.0.0/8").build().expect("client");
    expect_body(&get(&client, &origin.url("/direct")).await, 200, "GET /direct");
    // Names under a listed name bypass it too; other names do not.
    let error = get(&client, "http://www.example.invalid/").await.expect_err("direct to a name that never resolves");
    assert_eq!(error.kind(), ErrorKind::Connect);
    expect_body(
        &get(&client, "http://other.invalid/").await,
        200,
        "GET http://other.invalid/ host=other.invalid auth=-",
    );
    assert_eq!(proxy.stats().total_received(), 1, "only other.invalid went through the proxy");
    assert_eq!(origin.stats().total_received(), 1);
}

/// `try_send` routes the same way as `send`.
async fn try_send_goes_through_the_proxy_too<G: Glue>() {
    let proxy = reporting_proxy(Duration::ZERO);
    let client = through::<G>(&proxy_url(&proxy)).build().expect("client");
    let request =
        http::Request::get("http://origin.invalid:81/t").body(http_body_util::Empty::<Bytes>::new()).expect("request");
    let response = client.try_send(request).map_err(|e| e.error).expect("room").await.expect("response");
    let body = response.into_body().bytes().await.expect("body");
    assert_eq!(&body[..], b"GET http://origin.invalid:81/t host=origin.invalid:81 auth=-");
}

/// Each scenario as a test on each runtime.
macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {
        mod tokio_driver {
            $(#[test]
            fn $name() {
                pipelining_tests::run_on_tokio(super::$name::<pipelining_tokio::Tokio>());
            })*
        }
        mod smol_driver {
            $(#[test]
            fn $name() {
                pipelining_tests::run_on_smol(super::$name::<pipelining_smol::Smol>());
            })*
        }
    };
}

on_both_runtimes!(
    http_goes_to_the_proxy_in_absolute_form_one_at_a_time,
    a_proxy_trusted_to_pipeline_gets_pipelined_requests,
    credentials_go_in_proxy_authorization,
    a_refused_connect_is_a_connect_error_naming_the_proxy_and_its_status,
    a_proxy_that_is_down_is_a_connect_error_naming_it,
    no_proxy_origins_are_reached_directly,
    try_send_goes_through_the_proxy_too,
);
