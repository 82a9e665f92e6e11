//! HTTPS scenarios: hyper behind rustls with a generated certificate,
//! trusted or not, and a TLS handshake that never completes.

use super::support::*;
use crate::hyper_server::{HyperOptions, HyperServer};
use crate::pattern;
use crate::raw::{RawServer, Step};
use pipelining_driver::{ErrorKind, Glue};
use std::time::Duration;

/// HTTPS to hyper behind rustls with a generated certificate trusted via
/// `add_root_certificate`: pipelined, limits held, bodies checked.
pub(crate) async fn https_trusted_pipelines<G: Glue>() {
    let pki = crate::tls::generate();
    let server = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let client = build(builder::<G>().depth(4).connections(2).add_root_certificate(pki.ca_der.clone()));
    let results = gets(&client, |t| server.url(t), "tls", "?delay=1", 30).await;
    for (target, got) in &results {
        expect_echo("GET", target, got);
    }
    let (post, big) = futures_util::join!(
        fetch(&client, "POST", server.url("/p"), "secret"),
        fetch(&client, "GET", server.url("/bytes/300000"), ""),
    );
    expect_ok("POST /p", &post, 200, b"POST /p secret");
    expect_ok("GET /bytes/300000", &big, 200, &pattern(300_000));
    let stats = server.stats();
    assert_limits(&stats, 4, 2);
    assert!(stats.connections() <= 2);
    assert_eq!(stats.handled("POST", "/p"), 1);
}

/// HTTPS to a server whose certificate is not trusted fails with `connect`.
pub(crate) async fn https_untrusted_is_connect<G: Glue>() {
    let pki = crate::tls::generate();
    let server = HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config.clone()) });
    let client = build(builder::<G>().max_tries(2));
    let got = fetch(&client, "GET", server.url("/x"), "").await;
    let e = expect_err("GET /x (untrusted)", &got, ErrorKind::Connect);
    assert_eq!(e.attempts(), 0);
    // Another CA does not help either.
    let other = crate::tls::generate();
    let client = build(builder::<G>().max_tries(1).add_root_certificate(other.ca_der));
    let got = fetch(&client, "GET", server.url("/y"), "").await;
    expect_err("GET /y (other CA)", &got, ErrorKind::Connect);
    assert_eq!(server.stats().total_received(), 0);
}

/// A TLS handshake that never completes (the peer accepts TCP and says
/// nothing) is a failed connect once the connect timeout fires.
pub(crate) async fn https_handshake_timeout_is_connect<G: Glue>() {
    let server = RawServer::start(|_| vec![Step::Silent]);
    let url = format!("https://localhost:{}/x", server.addr().port());
    let client = build(builder::<G>().connect_timeout(Duration::from_millis(200)).max_tries(2));
    let got = fetch(&client, "GET", url, "").await;
    let e = expect_err("GET /x (silent TLS peer)", &got, ErrorKind::Connect);
    assert_eq!(e.attempts(), 0);
    assert_eq!(server.stats().connections(), 2, "one connect per try");
}
