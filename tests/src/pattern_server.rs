//! A server of one large response, written as fast as the socket takes it:
//! the far end of the slow-reader test, where a client that kept reading
//! while its caller does not would buffer the whole body.
//!
//! Each request (read with the shared peer's parser) is answered `200 OK`
//! with `Content-Length` of the configured size and that many bytes of
//! [`pattern`](crate::pattern), generated piece by piece so the server's
//! own memory stays small. It counts the body bytes the socket accepted.

use crate::server_thread;
use pipelining_peer::RequestParser;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The bytes of the pattern written per write.
const PIECE: usize = 64 * 1024;
/// The pattern's period ([`pattern`](crate::pattern)).
const PERIOD: usize = 251;

/// A running pattern server; stops when dropped.
#[derive(Debug)]
pub struct PatternServer {
    addr: SocketAddr,
    counts: Arc<Counts>,
    _thread: server_thread::ServerThread,
}

#[derive(Debug, Default)]
struct Counts {
    /// Body bytes the socket accepted, over every connection.
    written: AtomicU64,
    /// A connection ended before its whole body was written.
    cut: AtomicBool,
}

impl PatternServer {
    /// Starts a server answering every request with `length` bytes.
    pub fn start(length: u64) -> Self {
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        let (addr, thread) = server_thread::spawn(move |listener| serve(listener, length, shared));
        PatternServer { addr, counts, _thread: thread }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Body bytes the server's sockets accepted so far.
    pub fn written(&self) -> u64 {
        self.counts.written.load(Ordering::SeqCst)
    }

    /// Whether a connection ended (the client closed it) before its body
    /// was all written.
    pub fn was_cut(&self) -> bool {
        self.counts.cut.load(Ordering::SeqCst)
    }
}

async fn serve(listener: tokio::net::TcpListener, length: u64, counts: Arc<Counts>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve_conn(tcp, length, counts.clone()));
    }
}

async fn serve_conn(mut tcp: tokio::net::TcpStream, length: u64, counts: Arc<Counts>) {
    let mut parser = RequestParser::default();
    let mut buf = vec![0u8; 16 * 1024];
    // One period more than a piece, so every piece is a slice of it.
    let pattern = crate::pattern(PIECE + PERIOD);
    loop {
        let requests = loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let requests = parser.push(&buf[..n]);
                    if !requests.is_empty() {
                        break requests.len();
                    }
                }
            }
        };
        for _ in 0..requests {
            let head = pipelining_peer::message::head(200, &[("content-length", &length.to_string())]);
            if tcp.write_all(&head).await.is_err() {
                return;
            }
            let mut sent = 0u64;
            while sent < length {
                let start = (sent % PERIOD as u64) as usize;
                let take = (length - sent).min(PIECE as u64) as usize;
                match tcp.write(&pattern[start..start + take]).await {
                    Ok(n) if n > 0 => {
                        sent += n as u64;
                        counts.written.fetch_add(n as u64, Ordering::SeqCst);
                    }
                    _ => {
                        counts.cut.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            }
        }
    }
}
