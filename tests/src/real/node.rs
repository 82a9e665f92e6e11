//! A Node `http` server counting requests per connection.

use super::{Ready, ServerProcess, TempDir, require_program};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::process::Command;
use std::time::Duration;

/// A Node `http` server (`node -e`): `GET /bytes/N` answers `N` bytes of
/// [`pattern`](crate::pattern) with a Content-Length, anything else its
/// method, target and body (chunked when the query has `chunked`); a query
/// `delay=MS` delays the answer. It counts requests per socket (and how
/// many were outstanding at once) and per `METHOD target`, reported at
/// `GET /stats` (not counted, nor are `/ready-…` probes, answered with the
/// token given as its second argument) as lines `socket PORT RECEIVED ANSWERED
/// MAX_OUTSTANDING` and `request COUNT METHOD TARGET`. A third argument
/// other than 0 sets `server.maxRequestsPerSocket`: Node then sends
/// `Keep-Alive: timeout=5, max=N` on every response, `Connection: close` on
/// the N-th, and answers requests read past it with `503` itself (its
/// `dropRequest` event), counted per socket as `dropped PORT COUNT`.
const NODE_SERVER: &str = r#"
const http = require("http");
const port = Number(process.argv[1]);
const token = process.argv[2];
const maxRequestsPerSocket = Number(process.argv[3] || 0);
const sockets = [];
const requests = new Map();
function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}
const server = http.createServer((req, res) => {
  if (req.url.startsWith("/ready-")) {
    res.end(token);
    return;
  }
  if (req.url === "/stats") {
    const lines = sockets.filter((s) => s.received > 0)
      .map((s) => `socket ${s.port} ${s.received} ${s.answered} ${s.max}`);
    for (const s of sockets) if (s.dropped > 0) lines.push(`dropped ${s.port} ${s.dropped}`);
    for (const [key, count] of requests) lines.push(`request ${count} ${key}`);
    res.setHeader("content-type", "text/plain");
    res.end(lines.join("\n") + "\n");
    return;
  }
  const s = req.socket.stats;
  s.received++;
  s.outstanding++;
  s.max = Math.max(s.max, s.outstanding);
  const key = `${req.method} ${req.url}`;
  requests.set(key, (requests.get(key) || 0) + 1);
  res.on("finish", () => { s.outstanding--; s.answered++; });
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url, "http://x");
    const delay = Number(url.searchParams.get("delay") || 0);
    setTimeout(() => {
      const size = url.pathname.startsWith("/bytes/") ? Number(url.pathname.slice(7)) : null;
      if (size !== null) {
        const body = pattern(size);
        res.setHeader("content-length", body.length);
        res.end(body);
        return;
      }
      const body = Buffer.concat(chunks);
      const text = Buffer.concat([Buffer.from(`${req.method} ${req.url}`), body.length ? Buffer.concat([Buffer.from(" "), body]) : Buffer.alloc(0)]);
      if (url.searchParams.has("chunked")) {
        const half = Math.floor(text.length / 2);
        res.write(text.subarray(0, half));
        res.end(text.subarray(half));
      } else {
        res.setHeader("content-length", text.length);
        res.end(text);
      }
    }, delay);
  });
});
server.on("connection", (socket) => {
  socket.stats = { port: socket.remotePort, received: 0, answered: 0, outstanding: 0, max: 0, dropped: 0 };
  sockets.push(socket.stats);
});
if (maxRequestsPerSocket > 0) server.maxRequestsPerSocket = maxRequestsPerSocket;
server.on("dropRequest", (req, socket) => { socket.stats.dropped++; });
server.listen(port, "127.0.0.1");
"#;

/// A running Node server (see the script above); killed when dropped.
#[derive(Debug)]
pub struct NodeServer {
    process: ServerProcess,
    _dir: TempDir,
}

/// What the Node server counted.
#[derive(Debug, Default)]
pub struct NodeStats {
    /// Per socket that carried requests: (client port, received, answered,
    /// most outstanding at once).
    pub sockets: Vec<(u16, usize, usize, usize)>,
    /// Requests received per `METHOD target`.
    pub requests: HashMap<String, usize>,
    /// Per socket, requests read past `maxRequestsPerSocket` and answered
    /// `503` by Node itself: (client port, count).
    pub dropped: Vec<(u16, usize)>,
}

impl NodeStats {
    /// How often `method target` reached the server.
    pub fn received(&self, method: &str, target: &str) -> usize {
        self.requests.get(&format!("{method} {target}")).copied().unwrap_or(0)
    }
}

impl NodeServer {
    /// Starts `node -e SCRIPT PORT`.
    pub fn start() -> Self {
        Self::launch(0)
    }

    /// Starts it with `server.maxRequestsPerSocket = max`.
    pub fn with_max_requests_per_socket(max: u32) -> Self {
        assert!(max > 0, "0 means no limit");
        Self::launch(max)
    }

    fn launch(max_requests_per_socket: u32) -> Self {
        let node = require_program("node", "nodejs");
        let dir = TempDir::new("node");
        let ready = Ready::new();
        let process = ServerProcess::start("node", dir.path(), &ready, |port| {
            let mut command = Command::new(&node);
            command.arg("-e").arg(NODE_SERVER).arg(port.to_string()).arg(&ready.token);
            command.arg(max_requests_per_socket.to_string());
            command
        });
        NodeServer { process, _dir: dir }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.process.port())
    }

    /// The origin.
    pub fn origin(&self) -> pipelining_tokio::Origin {
        pipelining_tokio::Origin::new("http", "127.0.0.1", self.process.port())
    }

    /// Its counts, fetched over a connection of its own.
    pub fn stats(&mut self) -> NodeStats {
        self.process.assert_running();
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.process.port())).expect("connect to node");
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("read timeout");
        stream
            .write_all(b"GET /stats HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
            .expect("ask for stats");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read the stats");
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let mut stats = NodeStats::default();
        for line in body.lines() {
            let fields: Vec<&str> = line.splitn(4, ' ').collect();
            match fields.as_slice() {
                ["socket", port, rest @ ..] => {
                    let numbers: Vec<usize> =
                        rest.iter().flat_map(|r| r.split(' ')).filter_map(|n| n.parse().ok()).collect();
                    if let ([received, answered, max], Ok(port)) = (numbers.as_slice(), port.parse()) {
                        stats.sockets.push((port, *received, *answered, *max));
                    }
                }
                ["dropped", port, count] => {
                    if let (Ok(port), Ok(count)) = (port.parse(), count.parse()) {
                        stats.dropped.push((port, count));
                    }
                }
                ["request", count, method, target] => {
                    stats.requests.insert(format!("{method} {target}"), count.parse().unwrap_or(0));
                }
                _ => {}
            }
        }
        stats
    }
}
