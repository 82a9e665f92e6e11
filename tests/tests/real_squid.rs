//! Through Squid, a real proxy started by each test: `http://` in absolute
//! form, `https://` through a `CONNECT` tunnel to a local TLS server, and a
//! `CONNECT` Squid refuses. Bodies are checked byte for byte, and Squid's
//! access log shows every request went through it.

use bytes::Bytes;
use pipelining_driver::{Client, Error, ErrorKind, Glue, Proxy};
use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::real::{Squid, SquidConfig};
use pipelining_tests::{echo_body, pattern};
use std::time::Duration;

async fn get<G: Glue>(client: &Client<G>, url: &str) -> Result<(u16, Bytes), Error> {
    let response = client.get(url).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().bytes().await?))
}

fn client<G: Glue>(squid: &Squid, ca: Option<Vec<u8>>) -> Client<G> {
    let mut builder = Client::<G>::builder()
        .connect_timeout(Duration::from_secs(5))
        .stall_timeout(Duration::from_secs(5))
        .depth(4)
        .connections(2)
        .proxy(Proxy::parse(&squid.url()).expect("proxy URL"));
    if let Some(ca) = ca {
        builder = builder.add_root_certificate(ca);
    }
    builder.build().expect("client")
}

/// The paths each test fetches, and the body each must have.
fn paths() -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<(String, Vec<u8>)> =
        (0..12).map(|i| format!("/echo/{i}?x=y")).map(|p| (p.clone(), echo_body("GET", &p).into_bytes())).collect();
    for size in [0, 1, 70_000, 1_000_000] {
        paths.push((format!("/bytes/{size}"), pattern(size)));
    }
    paths
}

/// Fetches every path of [`paths`] from `base` at once; checks each body.
async fn fetch_all<G: Glue>(client: &Client<G>, base: &str) {
    let paths = paths();
    let urls: Vec<String> = paths.iter().map(|(p, _)| format!("{base}{p}")).collect();
    let got = futures_util::future::join_all(urls.iter().map(|url| get(client, url))).await;
    for ((path, body), got) in paths.iter().zip(got) {
        let (status, got) = got.unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(status, 200, "{path}");
        assert!(got == body[..], "{path}: {} bytes, expected {}", got.len(), body.len());
    }
}

/// `http://` through Squid: absolute form, every body right, every request
/// in Squid's log with its absolute URL.
async fn http_through_squid<G: Glue>() {
    let origin = HyperServer::start();
    let mut squid = Squid::start(&SquidConfig::default());
    let client = client::<G>(&squid, None);
    let base = format!("http://127.0.0.1:{}", origin.addr().port());
    fetch_all(&client, &base).await;
    let expected: Vec<String> = paths().into_iter().map(|(p, _)| format!("{base}{p}")).collect();
    let logged = squid.wait_for_log(expected.len(), |l| l.method == "GET" && l.url.starts_with(&base));
    for url in &expected {
        let line = logged.iter().find(|l| &l.url == url).unwrap_or_else(|| panic!("{url} not in {logged:?}"));
        assert!(line.result.ends_with("/200"), "{line:?}");
    }
    assert_eq!(origin.stats().total_received(), expected.len(), "each request reached the origin once");
}

/// `https://` through a `CONNECT` tunnel: TLS to the origin inside it,
/// bodies right, the tunnels in Squid's log once closed.
async fn https_through_a_squid_tunnel<G: Glue>() {
    let pki = pipelining_tests::tls::generate();
    let origin = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let port = origin.addr().port();
    let mut squid = Squid::start(&SquidConfig { connect_ports: vec![port] });
    let client = client::<G>(&squid, Some(pki.ca_der.clone()));
    fetch_all(&client, &format!("https://127.0.0.1:{port}")).await;
    let stats = origin.stats();
    assert_eq!(stats.total_received(), paths().len());
    let tunnels = stats.connections();
    assert!((1..=2).contains(&tunnels), "at most `connections` tunnels: {stats:?}");
    // Squid logs a tunnel when it closes.
    client.close().await;
    let logged = squid.wait_for_log(tunnels, |l| l.method == "CONNECT");
    for line in &logged {
        assert_eq!((line.result.as_str(), line.url.as_str()), ("TCP_TUNNEL/200", &*format!("127.0.0.1:{port}")));
    }
}

/// A `CONNECT` Squid's rules forbid is a `connect` error naming the proxy
/// and Squid's status line; the origin hears nothing.
async fn a_connect_squid_refuses_is_a_connect_error<G: Glue>() {
    let pki = pipelining_tests::tls::generate();
    let origin = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let port = origin.addr().port();
    // Tunnels allowed to another port only.
    let mut squid = Squid::start(&SquidConfig { connect_ports: vec![port.wrapping_add(1).max(1)] });
    let client = client::<G>(&squid, Some(pki.ca_der.clone()));
    let error = get(&client, &format!("https://127.0.0.1:{port}/x")).await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    let expected = format!("proxy 127.0.0.1:{} refused CONNECT: 403 Forbidden", squid.port());
    assert!(error.message().contains(&expected), "{error}");
    assert_eq!(origin.stats().connections(), 0, "the origin heard nothing");
    let denied = squid.wait_for_log(1, |l| l.method == "CONNECT");
    assert!(denied.iter().all(|l| l.result == "TCP_DENIED/403"), "{denied:?}");
}

macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {
        mod tokio_driver {
            $(#[test]
            #[ignore = "needs squid"]
            fn $name() {
                pipelining_tests::run_on_tokio(super::$name::<pipelining_tokio::Tokio>());
            })*
        }
        mod smol_driver {
            $(#[test]
            #[ignore = "needs squid"]
            fn $name() {
                pipelining_tests::run_on_smol(super::$name::<pipelining_smol::Smol>());
            })*
        }
    };
}

on_both_runtimes!(http_through_squid, https_through_a_squid_tunnel, a_connect_squid_refuses_is_a_connect_error);
