//! nginx, configured per test, and its access log.

use super::{READY_PREFIX, Ready, ServerProcess, TempDir, Tree, require_program};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How to configure nginx.
#[derive(Clone, Debug)]
pub struct NginxConfig {
    /// `keepalive_requests`.
    pub keepalive_requests: u32,
    /// `keepalive_timeout`, as nginx writes it (`75s`, `1s`).
    pub keepalive_timeout: String,
    /// `gzip on; gzip_min_length 0; gzip_types *;`.
    pub gzip: bool,
    /// More directives for the `server` block (say a `location` that
    /// answers `500`).
    pub server_extra: String,
}

impl Default for NginxConfig {
    fn default() -> Self {
        NginxConfig {
            keepalive_requests: 1000,
            keepalive_timeout: "75s".into(),
            gzip: false,
            server_extra: String::new(),
        }
    }
}

/// One line of nginx's access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// nginx's connection serial number (`$connection`).
    pub connection: u64,
    /// The request's number on its connection (`$connection_requests`).
    pub connection_requests: u64,
    /// The client's port (`$remote_port`).
    pub remote_port: u16,
    /// nginx read it pipelined behind another request (`$pipe` = `p`).
    pub pipelined: bool,
    /// The status sent.
    pub status: u16,
    /// Body bytes sent (`$body_bytes_sent`).
    pub body_bytes: u64,
    /// The method.
    pub method: String,
    /// The request-target.
    pub target: String,
}

/// A running nginx (single process, `daemon off`) serving a [`Tree`];
/// killed when dropped.
#[derive(Debug)]
pub struct Nginx {
    process: ServerProcess,
    access_log: PathBuf,
    /// The files it serves.
    pub tree: Tree,
    dir: TempDir,
}

impl Nginx {
    /// Starts nginx with `config` over a fresh standard tree.
    pub fn start(config: &NginxConfig) -> Self {
        let nginx = require_program("nginx", "nginx-light");
        let dir = TempDir::new("nginx");
        let tree = Tree::standard(dir.path());
        let access_log = dir.path().join("access.log");
        let d = dir.path().to_owned();
        let ready = Ready::new();
        ready.write_under(&tree.root);
        let process = ServerProcess::start("nginx", dir.path(), &ready, |port| {
            let conf = d.join(format!("nginx-{port}.conf"));
            std::fs::write(&conf, nginx_conf(&d, &tree.root, &access_log, port, config)).expect("write nginx.conf");
            let mut command = Command::new(&nginx);
            command.arg("-p").arg(&d).arg("-c").arg(&conf).arg("-e").arg(d.join("error.log"));
            command
        });
        Nginx { process, access_log, tree, dir }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.process.port())
    }

    /// The origin the client keeps its memory under.
    pub fn origin(&self) -> pipelining_tokio::Origin {
        pipelining_tokio::Origin::new("http", "127.0.0.1", self.process.port())
    }

    /// The access log's file, for a test that reads lines
    /// [`access_log_now`](Self::access_log_now) would refuse (a request
    /// line cut short, logged `400`).
    pub fn access_log_path(&self) -> &Path {
        &self.access_log
    }

    /// The access log's complete lines so far.
    pub fn access_log_now(&self) -> Vec<LogLine> {
        let text = std::fs::read_to_string(&self.access_log).unwrap_or_default();
        let complete = match text.rfind('\n') {
            Some(end) => &text[..=end],
            None => "",
        };
        complete
            .lines()
            .map(|l| parse_log_line(l).unwrap_or_else(|| panic!("unexpected access log line {l:?}")))
            .filter(|l| !l.target.starts_with(READY_PREFIX))
            .collect()
    }

    /// The access log once it has at least `lines` lines (nginx writes a
    /// line just after sending its response, so the client may see the
    /// response first); fails the test after 5 s.
    #[track_caller]
    pub fn access_log(&mut self, lines: usize) -> Vec<LogLine> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.access_log_now();
            if log.len() >= lines {
                return log;
            }
            self.process.assert_running();
            assert!(
                Instant::now() < deadline,
                "nginx logged {} requests, expected at least {lines}; error log:\n{}",
                log.len(),
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// nginx's error log.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default() + &self.process.output()
    }
}

fn nginx_conf(dir: &Path, root: &Path, access_log: &Path, port: u16, config: &NginxConfig) -> String {
    let d = dir.display();
    let gzip = if config.gzip { "gzip on; gzip_min_length 0; gzip_types *;" } else { "gzip off;" };
    format!(
        "# As root nginx would switch to nobody; with master_process off it serves as whoever started it.
user root;
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format pipelining '$connection $connection_requests $remote_port $pipe $status $body_bytes_sent \"$request\"';
    access_log {log} pipelining;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type application/octet-stream;
    sendfile off;
    tcp_nopush off;
    tcp_nodelay on;
    keepalive_requests {requests};
    keepalive_timeout {timeout};
    {gzip}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        location / {{ }}
        {extra}
    }}
}}
",
        log = access_log.display(),
        requests = config.keepalive_requests,
        timeout = config.keepalive_timeout,
        extra = config.server_extra,
        root = root.display(),
    )
}

fn parse_log_line(line: &str) -> Option<LogLine> {
    let mut fields = line.splitn(7, ' ');
    let connection = fields.next()?.parse().ok()?;
    let connection_requests = fields.next()?.parse().ok()?;
    let remote_port = fields.next()?.parse().ok()?;
    let pipelined = fields.next()? == "p";
    let status = fields.next()?.parse().ok()?;
    let body_bytes = fields.next()?.parse().ok()?;
    let request = fields.next()?.strip_prefix('"')?.strip_suffix('"')?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    Some(LogLine { connection, connection_requests, remote_port, pipelined, status, body_bytes, method, target })
}

/// What an access log says, summed up.
#[derive(Debug, Default)]
pub struct LogSummary {
    /// Lines per `METHOD target`.
    pub per_request: HashMap<String, usize>,
    /// Lines per nginx connection.
    pub per_connection: BTreeMap<u64, usize>,
    /// Lines read pipelined.
    pub pipelined: usize,
}

impl LogSummary {
    /// Sums up `lines`.
    pub fn of(lines: &[LogLine]) -> Self {
        let mut summary = LogSummary::default();
        for line in lines {
            *summary.per_request.entry(format!("{} {}", line.method, line.target)).or_default() += 1;
            *summary.per_connection.entry(line.connection).or_default() += 1;
            summary.pipelined += usize::from(line.pipelined);
        }
        summary
    }

    /// How often `METHOD target` was answered.
    pub fn answered(&self, method: &str, target: &str) -> usize {
        self.per_request.get(&format!("{method} {target}")).copied().unwrap_or(0)
    }

    /// Connections that carried requests.
    pub fn connections(&self) -> usize {
        self.per_connection.len()
    }

    /// The most requests one connection carried.
    pub fn max_per_connection(&self) -> usize {
        self.per_connection.values().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nginx_log_lines() {
        let line = r#"12 3 40522 p 200 4096 "GET /f/size-4096.bin?i=7 HTTP/1.1""#;
        assert_eq!(
            parse_log_line(line),
            Some(LogLine {
                connection: 12,
                connection_requests: 3,
                remote_port: 40522,
                pipelined: true,
                status: 200,
                body_bytes: 4096,
                method: "GET".into(),
                target: "/f/size-4096.bin?i=7".into(),
            })
        );
        assert_eq!(parse_log_line("garbage"), None);
    }
}
