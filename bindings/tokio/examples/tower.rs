//! The client as a `tower::Service` under tower-http layers: redirects
//! followed, gzip decoded, requests traced, a timeout. Only the public API.
//!
//! ```sh
//! cargo run -p pipelining-tokio --example tower -- http://127.0.0.1:8080/
//! ```

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use std::time::Duration;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::decompression::DecompressionLayer;
use tower_http::follow_redirect::FollowRedirectLayer;
use tower_http::trace::TraceLayer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:8080/".into());
    let client = pipelining_tokio::Client::builder().depth(8).build()?;
    let service = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .layer(FollowRedirectLayer::new())
        .layer(DecompressionLayer::new())
        .timeout(Duration::from_secs(10))
        .service(client);
    // Three requests at once: pipelined on the client's connections.
    let calls = (0..3).map(|_| {
        let request = http::Request::get(&url).body(Empty::<Bytes>::new());
        let service = service.clone();
        async move { service.oneshot(request?).await }
    });
    for response in futures_util::future::join_all(calls).await {
        let response = response?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        println!("{status}: {} bytes", body.len());
    }
    Ok(())
}
