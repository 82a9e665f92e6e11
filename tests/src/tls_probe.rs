//! A TLS server that records what each client said in its hello (the ALPN
//! protocols it offered, the server name) and whether it presented a
//! certificate, then speaks HTTP/1.1 (hyper, answering
//! [`echo_body`](crate::echo_body)) or a little RESP (`PING`, `ECHO`).

use crate::server_thread;
use bytes::Bytes;
use http_body_util::Full;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server speaks once the handshake is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speak {
    /// HTTP/1.1 through hyper; every response's body is
    /// [`echo_body`](crate::echo_body) of its request.
    Http,
    /// RESP: `PING` is answered `+PONG`, `ECHO x` with the bulk string
    /// `x`, anything else with an error.
    Resp,
}

/// One connection as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The ALPN protocols the client offered, in its order (none when it
    /// sent no ALPN extension).
    pub alpn: Vec<Vec<u8>>,
    /// The server name (SNI) it asked for.
    pub server_name: Option<String>,
    /// `Ok(whether it presented a certificate)` once the handshake
    /// completed, the server's error if it failed, `None` while it runs.
    pub handshake: Option<Result<bool, String>>,
}

/// A running probe server; stops when dropped.
#[derive(Debug)]
pub struct TlsProbe {
    addr: SocketAddr,
    hellos: Arc<Mutex<Vec<Hello>>>,
    _thread: server_thread::ServerThread,
}

/// The most bytes of unanswered RESP input a connection holds: past it the
/// connection closes.
const RESP_BUFFER_LIMIT: usize = 1 << 20;

impl TlsProbe {
    /// Serves TLS with `config`, then `speak`.
    pub fn start(config: Arc<rustls::ServerConfig>, speak: Speak) -> Self {
        let hellos = Arc::new(Mutex::new(Vec::new()));
        let shared = hellos.clone();
        let (addr, thread) = server_thread::spawn(move |listener| serve(listener, config, speak, shared));
        TlsProbe { addr, hellos, _thread: thread }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://localhost:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// Every connection so far, in the order their hellos arrived.
    pub fn hellos(&self) -> Vec<Hello> {
        self.hellos.lock().expect("hellos").clone()
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    speak: Speak,
    hellos: Arc<Mutex<Vec<Hello>>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let config = config.clone();
        let hellos = hellos.clone();
        tokio::spawn(async move {
            let acceptor = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
            let Ok(start) = acceptor.await else { return };
            let index = {
                let hello = start.client_hello();
                let mut hellos = hellos.lock().expect("hellos");
                hellos.push(Hello {
                    alpn: hello.alpn().map(|protocols| protocols.map(<[u8]>::to_vec).collect()).unwrap_or_default(),
                    server_name: hello.server_name().map(str::to_owned),
                    handshake: None,
                });
                hellos.len() - 1
            };
            let tls = start.into_stream(config).await;
            let outcome = tls.as_ref().map(|s| s.get_ref().1.peer_certificates().is_some()).map_err(|e| e.to_string());
            hellos.lock().expect("hellos")[index].handshake = Some(outcome);
            let Ok(tls) = tls else { return };
            match speak {
                Speak::Http => serve_http(tls).await,
                Speak::Resp => serve_resp(tls).await,
            }
        });
    }
}

async fn serve_http(tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>) {
    let service = hyper::service::service_fn(|request: hyper::Request<hyper::body::Incoming>| async move {
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let body = crate::echo_body(request.method().as_str(), &target);
        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
    });
    let _ =
        hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(tls), service).await;
}

async fn serve_resp(mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>) {
    let mut input = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = tls.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        input.extend_from_slice(&chunk[..n]);
        let mut replies = Vec::new();
        while let Some((command, used)) = parse_command(&input) {
            input.drain(..used);
            replies.extend(reply(&command));
        }
        if input.len() > RESP_BUFFER_LIMIT || tls.write_all(&replies).await.is_err() {
            return;
        }
    }
}

/// The reply to one command.
fn reply(command: &[Vec<u8>]) -> Vec<u8> {
    match command {
        [name] if name.eq_ignore_ascii_case(b"PING") => b"+PONG\r\n".to_vec(),
        [name, text] if name.eq_ignore_ascii_case(b"ECHO") => {
            let mut out = format!("${}\r\n", text.len()).into_bytes();
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
            out
        }
        _ => b"-ERR unknown command\r\n".to_vec(),
    }
}

/// One complete command (an array of bulk strings) at the start of
/// `input`, and how many bytes it took; `None` until it is all there.
fn parse_command(input: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let (count, mut at) = parse_line(input, 0, b'*')?;
    let mut args = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        let (len, start) = parse_line(input, at, b'$')?;
        let end = start.checked_add(len)?;
        if input.len() < end + 2 {
            return None;
        }
        args.push(input[start..end].to_vec());
        at = end + 2;
    }
    Some((args, at))
}

/// A `<tag><number>\r\n` line at `at`: the number and where the line ends.
fn parse_line(input: &[u8], at: usize, tag: u8) -> Option<(usize, usize)> {
    let rest = input.get(at..)?;
    if rest.first() != Some(&tag) {
        return None;
    }
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    let number = std::str::from_utf8(&rest[1..end]).ok()?.parse().ok()?;
    Some((number, at + end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_whole_or_not_at_all() {
        let ping = b"*1\r\n$4\r\nPING\r\n";
        assert_eq!(parse_command(ping), Some((vec![b"PING".to_vec()], ping.len())));
        assert_eq!(parse_command(&ping[..ping.len() - 1]), None);
        let echo = b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1";
        assert_eq!(parse_command(echo), Some((vec![b"ECHO".to_vec(), b"hi".to_vec()], echo.len() - 2)));
        assert_eq!(reply(&[b"ECHO".to_vec(), b"hi".to_vec()]), b"$2\r\nhi\r\n");
        assert_eq!(reply(&[b"ping".to_vec()]), b"+PONG\r\n");
    }
}
