//! The demo's embedded HTTP/1.1 server: hyper, in-process, serving
//! deterministic objects so every body can be checked.

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The objects served at `/obj/<index>`.
#[derive(Clone, Debug)]
pub(crate) struct Objects {
    bodies: Arc<Vec<Bytes>>,
}

impl Objects {
    /// `count` objects of `size` bytes each, each different.
    pub(crate) fn new(count: usize, size: usize) -> Self {
        Objects { bodies: Arc::new((0..count).map(|i| object_body(i, size)).collect()) }
    }

    /// The body of object `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&Bytes> {
        self.bodies.get(index)
    }

    /// How many there are.
    pub(crate) fn len(&self) -> usize {
        self.bodies.len()
    }

    /// The path of object `index`.
    pub(crate) fn path(index: usize) -> String {
        format!("/obj/{index}")
    }
}

/// Deterministic, index-specific bytes (an xorshift stream): a body served
/// to the wrong request can never pass the check.
fn object_body(index: usize, size: usize) -> Bytes {
    let mut state = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// A running server.
#[derive(Debug)]
pub(crate) struct Server {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Starts the server on 127.0.0.1 with hyper's `pipeline_flush`, which
/// answers a batch of pipelined requests in one write.
pub(crate) async fn start(objects: Objects) -> io::Result<Server> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let objects = objects.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let objects = objects.clone();
                    async move { Ok::<_, Infallible>(respond(&objects, request.uri().path())) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .pipeline_flush(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Server { addr, accept })
}

fn respond(objects: &Objects, path: &str) -> hyper::Response<Full<Bytes>> {
    let found = path.strip_prefix("/obj/").and_then(|i| i.parse::<usize>().ok()).and_then(|i| objects.get(i));
    let mut response = match found {
        Some(body) => hyper::Response::new(Full::new(body.clone())),
        None => {
            let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"not found\n")));
            *r.status_mut() = hyper::StatusCode::NOT_FOUND;
            r
        }
    };
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/octet-stream"));
    response
}
