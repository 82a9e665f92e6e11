//! A scripted raw-TCP server: for each request read, a script says what to
//! write and how the connection goes on — answer, close after the answer,
//! cut a body short, reset, fall silent.
//!
//! It reads eagerly and independently of what it writes, so its count of
//! requests received but not yet answered on a connection is the depth the
//! client really had in flight there.

use crate::scan::{Parsed, Scanner};
use crate::stats::{ConnGuard, Counter};
use crate::{Stats, server_thread};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request as the script sees it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The connection's number, from 0, in accept order.
    pub conn: usize,
    /// The request's number on its connection, from 0.
    pub index: usize,
    /// What was read.
    pub parsed: Parsed,
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

async fn serve_conn(mut tcp: tokio::net::TcpStream, conn: usize, script: Script, counter: Counter) {
    let _guard = ConnGuard { counter: counter.clone(), conn };
    let end = {
        let (mut rd, mut wr) = tcp.split();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Request>();
        let reader_counter = counter.clone();
        let reader = async move {
            let mut scanner = Scanner::default();
            let mut buf = vec![0u8; 64 * 1024];
            let mut index = 0;
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        for parsed in scanner.push(&buf[..n]) {
                            reader_counter.received(conn, &parsed.method, &parsed.target);
                            // After the writer ended, requests are only
                            // counted as received.
                            let _ = tx.send(Request { conn, index, parsed });
                            index += 1;
                        }
                    }
                }
            }
        };
        let writer = async move {
            while let Some(request) = rx.recv().await {
                counter.handled(conn, request.method(), request.target());
                for step in script(&request) {
                    match step {
                        Step::Write(bytes) => {
                            if wr.write_all(&bytes).await.is_err() {
                                return End::Gone;
                            }
                        }
                        Step::Sleep(d) => tokio::time::sleep(d).await,
                        Step::Close => {
                            counter.answered(conn);
                            counter.closed(conn);
                            let _ = wr.shutdown().await;
                            return End::Close;
                        }
                        Step::Reset => {
                            counter.answered(conn);
                            counter.closed(conn);
                            return End::Reset;
                        }
                        Step::Silent => return End::Silent,
                    }
                }
                counter.answered(conn);
            }
            End::Gone
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

// ---- response builders ----

/// `200 OK` with `Content-Length` and `body`.
pub fn ok(body: impl AsRef<[u8]>) -> Vec<u8> {
    response(200, &[], body)
}

/// An HTTP/1.1 response; `Content-Length` is added unless `headers` frame
/// the body themselves (`content-length` or `transfer-encoding`).
pub fn response(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    let framed = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding"));
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if !framed {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Just a head (for HEAD, 204, 304, 1xx, or a body written separately).
pub fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A chunked `200 OK`: `chunks` in order, then `trailers`.
pub fn chunked(chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = head(200, &[("transfer-encoding", "chunked")]);
    for chunk in chunks.iter().filter(|c| !c.is_empty()) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// An HTTP/1.0 `200 OK` with `Content-Length` (the server should close
/// after it: HTTP/1.0 without keep-alive).
pub fn http10(body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let mut out = format!("HTTP/1.0 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        103 => "Early Hints",
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        404 => "Not Found",
        _ => "Whatever",
    }
}
