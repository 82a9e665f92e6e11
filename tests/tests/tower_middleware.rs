//! The client under tower and tower-http layers, with nothing but the
//! public API of `pipelining-tokio` (issue 20): redirects followed,
//! gzip decoded, requests traced, a timeout, all against the in-process
//! hyper server, bodies checked byte for byte.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use pipelining_tests::hyper_server::HyperServer;
use pipelining_tests::{echo_body, pattern};
use std::time::Duration;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::decompression::DecompressionLayer;
use tower_http::follow_redirect::FollowRedirectLayer;
use tower_http::trace::TraceLayer;

fn get(url: &str) -> http::Request<Empty<Bytes>> {
    http::Request::get(url).body(Empty::new()).expect("request")
}

#[test]
fn redirects_gzip_tracing_and_a_timeout_stack_on_the_client() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let server = HyperServer::start();
        let client = pipelining_tokio::Client::builder().depth(8).build().expect("client");
        let mut service = ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(FollowRedirectLayer::new())
            .layer(DecompressionLayer::new())
            .timeout(Duration::from_secs(10))
            .service(client.clone());

        // Three redirects, then the page.
        let response = ServiceExt::<http::Request<Empty<Bytes>>>::ready(&mut service)
            .await
            .expect("ready")
            .call(get(&server.url("/redirect/3/landed")))
            .await;
        let response = response.expect("followed");
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(body, echo_body("GET", "/landed").as_bytes());

        // gzip asked for by the layer, decoded by it.
        let response = ServiceExt::<http::Request<Empty<Bytes>>>::ready(&mut service)
            .await
            .expect("ready")
            .call(get(&server.url("/gzip/100000")))
            .await;
        let response = response.expect("response");
        assert!(response.headers().get("content-encoding").is_none(), "the layer removed the coding it decoded");
        let body = response.into_body().collect().await.expect("body").to_bytes();
        assert!(body == pattern(100_000)[..], "decoded byte for byte");

        // Many at once through the stack: still pipelined, each its own.
        let calls: Vec<_> =
            (0..20)
                .map(|i| {
                    let mut service = service.clone();
                    let url = server.url(&format!("/redirect/1/p/{i}"));
                    async move {
                        ServiceExt::<http::Request<Empty<Bytes>>>::ready(&mut service).await?.call(get(&url)).await
                    }
                })
                .collect();
        for (i, response) in futures_util::future::join_all(calls).await.into_iter().enumerate() {
            let body = response.expect("response").into_body().collect().await.expect("body").to_bytes();
            assert_eq!(body, echo_body("GET", &format!("/p/{i}")).as_bytes());
        }
        assert!(server.stats().max_unanswered() > 1, "the stack did not stop pipelining");

        // tower's timeout: a slow answer fails the call.
        let mut hurried =
            ServiceBuilder::new().layer(DecompressionLayer::new()).timeout(Duration::from_millis(100)).service(client);
        let slow = ServiceExt::<http::Request<Empty<Bytes>>>::ready(&mut hurried)
            .await
            .expect("ready")
            .call(get(&server.url("/slow?delay=2000")))
            .await;
        let Err(error) = slow else { panic!("answered within 100 ms") };
        assert!(error.is::<tower::timeout::error::Elapsed>(), "{error}");
    });
}
