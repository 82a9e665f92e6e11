//! The TLS options on both drivers, against in-process servers on
//! loopback: client certificates (mutual TLS) presented to a server that
//! requires one, ALPN `http/1.1` as the server sees it offered, Redis over
//! TLS (`rediss://`), and bad certificates or keys refused at build time
//! with nothing sent.

use futures_util::future::join_all;
use pipelining_driver::redis::{Command, RedisClient, Value};
use pipelining_driver::{Builder, Client, Error, ErrorKind, Glue, Idempotency};
use pipelining_tests::hyper_server::{HyperOptions, HyperServer};
use pipelining_tests::tls::{MutualPki, TestCa, Versions};
use pipelining_tests::tls_probe::{Speak, TlsProbe};
use pipelining_tests::{echo_body, pattern};
use std::time::Duration;

/// A builder with short timeouts and one try, trusting `ca`.
fn builder<G: Glue>(ca: &TestCa) -> Builder<G> {
    Client::<G>::builder()
        .connect_timeout(Duration::from_secs(2))
        .stall_timeout(Duration::from_secs(3))
        .max_tries(1)
        .without_webpki_roots()
        .add_root_certificate(ca.pem())
}

/// GET `url`: status and body, or the error.
async fn get<G: Glue>(client: &Client<G>, url: String) -> Result<(u16, Vec<u8>), Error> {
    let response = client.get(url.as_str()).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().bytes().await?.to_vec()))
}

#[track_caller]
fn expect_kind(what: &str, got: &Result<(u16, Vec<u8>), Error>, kind: ErrorKind) -> Error {
    match got {
        Ok((status, body)) => panic!("{what}: expected {kind}, got {status} with {} bytes", body.len()),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{what}: {e}");
            e.clone()
        }
    }
}

/// A server that requires a client certificate answers a client that
/// presents one (PEM chain and key, as one file or two): pipelined GETs
/// and a large body, every body checked.
async fn client_certificate_is_presented<G: Glue>() {
    let pki = MutualPki::generate();
    let server =
        HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config(Versions::Default)) });
    let client = builder::<G>(&pki.server_ca)
        .depth(4)
        .connections(1)
        .client_certificate(pki.client.chain_pem.clone(), pki.client.key_pem.clone())
        .build()
        .expect("client");
    let targets: Vec<String> = (0..12).map(|i| format!("/mtls/{i}")).collect();
    let outcomes = join_all(targets.iter().map(|t| get(&client, server.url(t)))).await;
    for (target, got) in targets.iter().zip(&outcomes) {
        match got {
            Ok((status, body)) => {
                assert_eq!(*status, 200, "{target}");
                assert_eq!(body, echo_body("GET", target).as_bytes(), "{target}");
            }
            Err(e) => panic!("GET {target}: {e}"),
        }
    }
    let big = get(&client, server.url("/bytes/200000")).await.expect("GET /bytes/200000");
    assert!(big.1 == pattern(200_000), "the large body differs");
    let stats = server.stats();
    assert_eq!(stats.connections(), 1, "one connection carried every request");
    assert!(stats.conns[0].max_unanswered >= 2, "the requests were pipelined: {stats:?}");

    // One file holding the chain and the key serves as both.
    let combined = format!("{}{}", pki.client.chain_pem, pki.client.key_pem);
    let client = builder::<G>(&pki.server_ca).client_certificate(combined.clone(), combined).build().expect("client");
    let got = get(&client, server.url("/combined")).await.expect("GET /combined");
    assert_eq!(got, (200, echo_body("GET", "/combined").into_bytes()));
}

/// DER works as well as PEM, for the certificate, the key and the root.
async fn client_certificate_in_der<G: Glue>() {
    let pki = MutualPki::generate();
    let server =
        HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config(Versions::Default)) });
    let client = Client::<G>::builder()
        .max_tries(1)
        .connect_timeout(Duration::from_secs(2))
        .without_webpki_roots()
        .add_root_certificate(pki.server_ca.der())
        .client_certificate(pki.client.chain[0].to_vec(), pki.client.key_der.clone())
        .build()
        .expect("client");
    let got = get(&client, server.url("/der")).await.expect("GET /der");
    assert_eq!(got, (200, echo_body("GET", "/der").into_bytes()));
}

/// Without a client certificate, or with one the server's CA did not sign,
/// the handshake is refused: under TLS 1.2 the client's handshake fails
/// itself, a `connect` error with nothing written and nothing handled.
async fn missing_client_certificate_is_connect<G: Glue>() {
    let pki = MutualPki::generate();
    let server =
        HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config(Versions::Tls12)) });
    let client = builder::<G>(&pki.server_ca).build().expect("client");
    let got = get(&client, server.url("/none")).await;
    let e = expect_kind("GET /none without a certificate", &got, ErrorKind::Connect);
    assert_eq!(e.attempts(), 0, "nothing was written");

    let stranger = TestCa::new("another client CA").client_leaf("stranger");
    let client =
        builder::<G>(&pki.server_ca).client_certificate(stranger.chain_pem, stranger.key_pem).build().expect("client");
    let got = get(&client, server.url("/stranger")).await;
    expect_kind("GET /stranger with a certificate of another CA", &got, ErrorKind::Connect);
    assert_eq!(server.stats().total_received(), 0, "no request reached the server");

    // With its certificate, the same server answers.
    let client = builder::<G>(&pki.server_ca)
        .client_certificate(pki.client.chain_pem.clone(), pki.client.key_pem.clone())
        .build()
        .expect("client");
    let got = get(&client, server.url("/with")).await.expect("GET /with");
    assert_eq!(got, (200, echo_body("GET", "/with").into_bytes()));
}

/// Under TLS 1.3 the client's side of the handshake is over before the
/// server has read its (missing) certificate: the server's refusal, an
/// alert, arrives after the request was written, so the connect succeeded
/// and the loss is the connection's (`connection_lost` with one try; with
/// more, a GET is retried and ends `max_tries`). The server never handles
/// the request.
async fn missing_client_certificate_under_tls13_is_lost<G: Glue>() {
    let pki = MutualPki::generate();
    let server =
        HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config(Versions::Default)) });
    let client = builder::<G>(&pki.server_ca).build().expect("client");
    let got = get(&client, server.url("/none")).await;
    let e = expect_kind("GET /none without a certificate (TLS 1.3)", &got, ErrorKind::ConnectionLost);
    assert_eq!(e.attempts(), 1);
    let client = builder::<G>(&pki.server_ca).max_tries(2).build().expect("client");
    let got = get(&client, server.url("/again")).await;
    let e = expect_kind("GET /again without a certificate (TLS 1.3), two tries", &got, ErrorKind::MaxTries);
    assert_eq!(e.attempts(), 2);
    assert_eq!(server.stats().total_received(), 0, "no request reached the server");
}

/// The server sees ALPN `http/1.1` offered, alone, with the host as the
/// server name; the response comes back whole.
async fn alpn_offers_http_1_1<G: Glue>() {
    let ca = TestCa::new("ALPN test CA");
    let server =
        TlsProbe::start(pipelining_tests::tls::server_config(&ca.server_leaf(), None, Versions::Default), Speak::Http);
    let client = builder::<G>(&ca).build().expect("client");
    let got = get(&client, server.url("/alpn")).await.expect("GET /alpn");
    assert_eq!(got, (200, echo_body("GET", "/alpn").into_bytes()));
    let hellos = server.hellos();
    assert_eq!(hellos.len(), 1, "{hellos:?}");
    assert_eq!(hellos[0].alpn, vec![b"http/1.1".to_vec()]);
    assert_eq!(hellos[0].server_name.as_deref(), Some("localhost"));
    assert_eq!(hellos[0].handshake, Some(Ok(false)), "no client certificate was configured");
}

/// `rediss://`: Redis over TLS with the builder's roots and client
/// certificate, no ALPN offered; pipelined commands answered in order.
async fn rediss_speaks_resp_over_tls<G: Glue>() {
    let pki = MutualPki::generate();
    let server = TlsProbe::start(pki.server_config(Versions::Default), Speak::Resp);
    let url = format!("rediss://localhost:{}", server.addr().port());
    let with_certificate = builder::<G>(&pki.server_ca)
        .connections(1)
        .client_certificate(pki.client.chain_pem.clone(), pki.client.key_pem.clone());
    let client = RedisClient::<G>::from_url(&url, with_certificate).expect("client");
    let mut commands = vec![client.command(Command::new(["PING"]), Idempotency::ByMethod)];
    for i in 0..20 {
        commands.push(client.command(Command::new(["ECHO".to_owned(), format!("m{i}")]), Idempotency::ByMethod));
    }
    let replies = join_all(commands).await;
    assert_eq!(replies[0].as_ref().expect("PING").response, Value::Simple("PONG".into()));
    for (i, reply) in replies[1..].iter().enumerate() {
        assert_eq!(reply.as_ref().expect("ECHO").response, Value::Bulk(format!("m{i}").into()), "ECHO m{i}");
    }
    let hellos = server.hellos();
    assert_eq!(hellos.len(), 1, "one connection: {hellos:?}");
    assert!(hellos[0].alpn.is_empty(), "RESP offers no ALPN: {:?}", hellos[0].alpn);
    assert_eq!(hellos[0].handshake, Some(Ok(true)), "the client certificate was presented");

    // The same server through `redis://` gets no TLS, and no answer.
    let plain = RedisClient::<G>::from_url(
        &format!("redis://localhost:{}", server.addr().port()),
        builder::<G>(&pki.server_ca),
    )
    .expect("client");
    let got = plain.command(Command::new(["PING"]), Idempotency::ByMethod).await;
    assert!(got.is_err(), "plain RESP to a TLS port: {got:?}");
}

/// Certificates or keys that cannot be used fail `build` with
/// `invalid_request`; no connection is attempted.
async fn bad_certificates_fail_the_build<G: Glue>() {
    let pki = MutualPki::generate();
    let server =
        HyperServer::with(HyperOptions { pipeline_flush: true, tls: Some(pki.server_config(Versions::Default)) });
    let other = TestCa::new("other").client_leaf("other");
    // The first certificate without its END line.
    let truncated = &pki.client.chain_pem[..pki.client.chain_pem.find("-----END").expect("a PEM")];
    let cases: Vec<(&str, Builder<G>, &str)> = vec![
        (
            "a root PEM without a certificate",
            Client::<G>::builder().add_root_certificate("-----BEGIN NOTHING-----\n-----END NOTHING-----\n"),
            "no CERTIFICATE",
        ),
        ("a truncated root PEM", Client::<G>::builder().add_root_certificate(truncated.to_owned()), "root certificate"),
        (
            "a chain without a certificate",
            Client::<G>::builder().client_certificate(pki.client.key_pem.clone(), pki.client.key_pem.clone()),
            "no CERTIFICATE",
        ),
        (
            "a key file without a key",
            Client::<G>::builder().client_certificate(pki.client.chain_pem.clone(), pki.client.chain_pem.clone()),
            "no usable private key",
        ),
        (
            "a key of another certificate",
            Client::<G>::builder().client_certificate(pki.client.chain_pem.clone(), other.key_pem),
            "KeyMismatch",
        ),
        (
            "a DER key that is not one",
            Client::<G>::builder().client_certificate(pki.client.chain[0].to_vec(), vec![0x30, 0x03, 0x01, 0x01, 0xff]),
            "client certificate key",
        ),
    ];
    for (what, builder, says) in cases {
        match builder.build() {
            Ok(_) => panic!("{what}: the client was built"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{what}: {e}");
                assert!(e.message().contains(says), "{what}: {e}");
            }
        }
    }
    let rediss = RedisClient::<G>::from_url(
        &format!("rediss://localhost:{}", server.addr().port()),
        Client::<G>::builder().client_certificate(pki.client.chain_pem.clone(), Vec::new()),
    );
    let e = rediss.expect_err("a rediss client with an empty key");
    assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{e}");
    assert_eq!(server.stats().connections(), 0, "nothing was sent");
}

macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {
        mod tokio {
            $(
                #[test]
                fn $name() {
                    pipelining_tests::run_on_tokio(super::$name::<pipelining_tokio::Tokio>());
                }
            )*
        }
        mod smol {
            $(
                #[test]
                fn $name() {
                    pipelining_tests::run_on_smol(super::$name::<pipelining_smol::Smol>());
                }
            )*
        }
    };
}

on_both_runtimes!(
    client_certificate_is_presented,
    client_certificate_in_der,
    missing_client_certificate_is_connect,
    missing_client_certificate_under_tls13_is_lost,
    alpn_offers_http_1_1,
    rediss_speaks_resp_over_tls,
    bad_certificates_fail_the_build,
);
