//! A server that cuts every connection inside a request's content: it reads
//! a request head and some bytes past it, then resets. For streamed request
//! bodies lost after they began.

use crate::server_thread;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncReadExt;

/// A running cutting server; stops when dropped.
#[derive(Debug)]
pub struct CuttingServer {
    addr: SocketAddr,
    heads: Arc<AtomicUsize>,
    _thread: server_thread::ServerThread,
}

impl CuttingServer {
    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Request heads read so far.
    pub fn heads(&self) -> usize {
        self.heads.load(Ordering::SeqCst)
    }
}

/// Starts a server that resets each connection once it has read a request
/// head and `past` bytes after it.
pub fn cutting_server(past: usize) -> CuttingServer {
    let heads = Arc::new(AtomicUsize::new(0));
    let counted = heads.clone();
    let (addr, thread) = server_thread::spawn(move |listener| async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else { continue };
            let heads = counted.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = tcp.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        if seen.len() >= end + 4 + past {
                            heads.fetch_add(1, Ordering::SeqCst);
                            // SO_LINGER 0: the close is a reset.
                            let _ = tcp.set_zero_linger();
                            return;
                        }
                    }
                }
            });
        }
    });
    CuttingServer { addr, heads, _thread: thread }
}
