//! Python's `http.server`, as shipped (HTTP/1.0) and in HTTP/1.1.

use super::{READY_PREFIX, Ready, ServerProcess, TempDir, Tree, require_program};
use std::process::Command;
use std::time::{Duration, Instant};

/// Python's `http.server`, run as an external program over a [`Tree`].
#[derive(Debug)]
pub struct PythonServer {
    process: ServerProcess,
    /// The files it serves.
    pub tree: Tree,
    _dir: TempDir,
}

/// `SimpleHTTPRequestHandler` speaking HTTP/1.1 (keep-alive, so pipelined
/// requests are read one after another from its buffered input), logging
/// `PORT REQUEST-LINE STATUS` per request to stderr.
const PYTHON_HTTP11: &str = r#"
import functools, http.server, sys
port, directory = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_request(self, code="-", size="-"):
        sys.stderr.write("%d %s %s\n" % (self.client_address[1], self.requestline, getattr(code, "value", code)))
        sys.stderr.flush()
http.server.ThreadingHTTPServer.allow_reuse_address = True
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=directory))
server.serve_forever()
"#;

impl PythonServer {
    /// `python3 -m http.server --bind 127.0.0.1 PORT --directory DIR`, as
    /// shipped: HTTP/1.0, one request per connection.
    pub fn shipped() -> Self {
        let python = require_program("python3", "python3");
        let dir = TempDir::new("python");
        let tree = Tree::standard(dir.path());
        let root = tree.root.clone();
        let ready = Ready::new();
        ready.write_under(&root);
        let process = ServerProcess::start("python3 -m http.server", dir.path(), &ready, |port| {
            let mut command = Command::new(&python);
            command.args(["-u", "-m", "http.server", "--bind", "127.0.0.1"]).arg(port.to_string());
            command.arg("--directory").arg(&root);
            command
        });
        PythonServer { process, tree, _dir: dir }
    }

    /// The same handler with `protocol_version = "HTTP/1.1"`.
    pub fn http11() -> Self {
        let python = require_program("python3", "python3");
        let dir = TempDir::new("python11");
        let tree = Tree::standard(dir.path());
        let root = tree.root.clone();
        let ready = Ready::new();
        ready.write_under(&root);
        let process = ServerProcess::start("python3 http.server HTTP/1.1", dir.path(), &ready, |port| {
            let mut command = Command::new(&python);
            command.args(["-u", "-c", PYTHON_HTTP11]).arg(port.to_string()).arg(&root);
            command
        });
        PythonServer { process, tree, _dir: dir }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.process.port())
    }

    /// The origin.
    pub fn origin(&self) -> pipelining_tokio::Origin {
        pipelining_tokio::Origin::new("http", "127.0.0.1", self.process.port())
    }

    /// The request lines it logged (`METHOD target`), once there are at
    /// least `lines`, each with the status and, for the HTTP/1.1 script,
    /// the client's port.
    #[track_caller]
    pub fn requests_logged(&mut self, lines: usize) -> Vec<(Option<u16>, String, u16)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let logged = parse_python_log(&self.process.output());
            if logged.len() >= lines {
                return logged;
            }
            self.process.assert_running();
            assert!(Instant::now() < deadline, "python logged {} requests, expected {lines}", logged.len());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Lines `127.0.0.1 - - [date] "GET /x HTTP/1.1" 200 -` (as shipped) or
/// `PORT GET /x HTTP/1.1 200` (the HTTP/1.1 script).
fn parse_python_log(output: &str) -> Vec<(Option<u16>, String, u16)> {
    let mut out = Vec::new();
    for line in output.lines() {
        let (port, request, rest) = if let Some(open) = line.find('"') {
            let Some(close) = line.rfind('"').filter(|&c| c > open) else { continue };
            (None, &line[open + 1..close], line[close + 1..].trim())
        } else {
            let mut fields = line.split(' ');
            let Some(port) = fields.next().and_then(|p| p.parse::<u16>().ok()) else { continue };
            let Some(last) = line.rfind(' ') else { continue };
            let Some(first) = line.find(' ') else { continue };
            if last <= first {
                continue;
            }
            (Some(port), &line[first + 1..last], &line[last + 1..])
        };
        let mut parts = request.split(' ');
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else { continue };
        if target.starts_with(READY_PREFIX) {
            continue;
        }
        let Some(status) = rest.split(' ').next().and_then(|s| s.parse::<u16>().ok()) else { continue };
        out.push((port, format!("{method} {target}"), status));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_log_lines() {
        let shipped = "127.0.0.1 - - [19/Feb/2026 10:00:00] \"GET /f/a?i=1 HTTP/1.1\" 200 -\nServing HTTP on x\n";
        assert_eq!(parse_python_log(shipped), vec![(None, "GET /f/a?i=1".to_owned(), 200)]);
        let ours = "40000 GET /f/a?i=2 HTTP/1.1 404\n";
        assert_eq!(parse_python_log(ours), vec![(Some(40000), "GET /f/a?i=2".to_owned(), 404)]);
    }
}
