//! The scripted peer over loopback TCP: for each request read, a script
//! says what to write and how the connection goes on — answer, close after
//! the answer, cut a body short, reset, fall silent.
//!
//! Reading requests and answering them in order is the shared sans-IO peer
//! (`pipelining-peer`); this module is its socket. It reads eagerly and
//! independently of what it writes, so the count of requests received but
//! not yet answered on a connection is the depth the client really had in
//! flight there.

use crate::stats::{ConnGuard, Counter};
use crate::{Stats, server_thread};
use pipelining_peer::{End as PeerEnd, Output, Peer, Received, Reply};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

pub use pipelining_peer::message::{chunked, head, http10, ok, response};

/// A request as the script sees it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The connection's number, from 0, in accept order.
    pub conn: usize,
    /// The request's number on its connection, from 0.
    pub index: usize,
    /// What was read.
    pub parsed: Received,
}

impl Request {
    /// Its method.
    pub fn method(&self) -> &str {
        &self.parsed.method
    }

    /// Its request-target.
    pub fn target(&self) -> &str {
        &self.parsed.target
    }

    /// The plain answer: 200 with [`echo_body`](crate::echo_body).
    pub fn echo(&self) -> Vec<u8> {
        ok(crate::echo_body(self.method(), self.target()))
    }
}

/// One thing the server does for a request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Wait.
    Sleep(Duration),
    /// Close gracefully (FIN), read and discard whatever else arrives until
    /// the client closes, then close. Nothing more is answered.
    Close,
    /// Close with a reset (`SO_LINGER` 0): unsent bytes are dropped too.
    Reset,
    /// Answer nothing more on this connection; keep reading until the
    /// client closes.
    Silent,
}

/// What the server does per request.
pub type Script = Arc<dyn Fn(&Request) -> Vec<Step> + Send + Sync>;

/// The peer's reply for `steps`: everything up to the first step that ends
/// the answer (the rest could never run).
fn reply_of(steps: Vec<Step>) -> Reply {
    let mut reply = Reply::default();
    for step in steps {
        reply = match step {
            Step::Write(bytes) => reply.and(Reply::raw(bytes)),
            Step::Sleep(pause) => reply.pause(pause),
            Step::Close => return reply.then_eof(),
            Step::Reset => return reply.then_reset(),
            Step::Silent => return reply.then_hold(),
        };
    }
    reply
}

/// A running scripted server; stops when dropped.
#[derive(Debug)]
pub struct RawServer {
    addr: SocketAddr,
    counter: Counter,
    _thread: server_thread::ServerThread,
}

impl RawServer {
    /// Starts a server that runs `script` for each request it reads, in
    /// order per connection.
    pub fn start(script: impl Fn(&Request) -> Vec<Step> + Send + Sync + 'static) -> Self {
        let script: Script = Arc::new(script);
        let counter = Counter::default();
        let shared = counter.clone();
        let (addr, thread) = server_thread::spawn(move |listener| serve(listener, script, shared));
        RawServer { addr, counter, _thread: thread }
    }

    /// A server answering every request with [`Request::echo`].
    pub fn echo() -> Self {
        Self::start(|r| vec![Step::Write(r.echo())])
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the server counted so far.
    pub fn stats(&self) -> Stats {
        self.counter.snapshot()
    }
}

async fn serve(listener: tokio::net::TcpListener, script: Script, counter: Counter) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let conn = counter.opened();
        tokio::spawn(serve_conn(tcp, conn, script.clone(), counter.clone()));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The client closed, or a write failed.
    Gone,
    Close,
    Reset,
    Silent,
}

fn lock(peer: &Mutex<Peer>) -> MutexGuard<'_, Peer> {
    peer.lock().unwrap_or_else(|p| p.into_inner())
}

async fn serve_conn(mut tcp: tokio::net::TcpStream, conn: usize, script: Script, counter: Counter) {
    let _guard = ConnGuard { counter: counter.clone(), conn };
    // Shared by the reader and the writer of this one task; never locked
    // across an await.
    let peer = Mutex::new(Peer::new());
    let arrived = Notify::new();
    let client_done = AtomicBool::new(false);
    let end = {
        let (mut rd, mut wr) = tcp.split();
        let reader = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut peer = lock(&peer);
                        let before = peer.received.len();
                        // Bytes that are not a request stop the counting on
                        // this connection: the peer reads nothing after them.
                        let _ = peer.receive(&buf[..n]);
                        // After the answers ended, requests are only counted
                        // as received.
                        for r in &peer.received[before..] {
                            counter.received(conn, &r.method, &r.target);
                        }
                    }
                }
                arrived.notify_one();
            }
            client_done.store(true, Ordering::SeqCst);
            arrived.notify_one();
        };
        let writer = async {
            loop {
                let answered = lock(&peer).respond(|r| {
                    counter.handled(conn, &r.method, &r.target);
                    reply_of(script(&Request { conn, index: r.index, parsed: r.clone() }))
                });
                if answered.is_none() {
                    if client_done.load(Ordering::SeqCst) {
                        return End::Gone;
                    }
                    arrived.notified().await;
                    continue;
                }
                loop {
                    let output = lock(&peer).poll_output();
                    match output {
                        Some(Output::Bytes(bytes)) => {
                            if wr.write_all(&bytes).await.is_err() {
                                return End::Gone;
                            }
                        }
                        Some(Output::Pause(pause)) => tokio::time::sleep(pause).await,
                        Some(Output::End(PeerEnd::Eof)) => {
                            counter.answered(conn);
                            counter.closed(conn);
                            let _ = wr.shutdown().await;
                            return End::Close;
                        }
                        Some(Output::End(PeerEnd::Reset)) => {
                            counter.answered(conn);
                            counter.closed(conn);
                            return End::Reset;
                        }
                        None => break,
                    }
                }
                if lock(&peer).is_stalled() {
                    return End::Silent;
                }
                counter.answered(conn);
            }
        };
        let mut reader = pin!(reader);
        let mut writer = pin!(writer);
        let mut reader_done = false;
        let end = loop {
            tokio::select! {
                end = &mut writer => break end,
                () = &mut reader, if !reader_done => reader_done = true,
            }
        };
        if matches!(end, End::Close | End::Silent) && !reader_done {
            // Drain until the client closes, so that closing never resets
            // over unread requests.
            let _ = drain(&mut reader, end).await;
        }
        end
    };
    if end == End::Reset {
        let _ = tcp.set_zero_linger();
    }
    drop(tcp);
}

async fn drain(reader: impl Future<Output = ()>, end: End) -> Result<(), tokio::time::error::Elapsed> {
    let limit = if end == End::Close { Duration::from_secs(2) } else { crate::SERVER_LIFETIME };
    tokio::time::timeout(limit, reader).await
}
