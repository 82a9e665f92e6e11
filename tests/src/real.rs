//! Real servers run as external programs — nginx, Python's `http.server`,
//! a Node `http` server — and what the suites against them share: temporary
//! directories, free loopback ports, processes killed when dropped, a tree
//! of files with known content, nginx's access log, a client-side record of
//! the requests written on each connection, and an observer log.
//!
//! Each server is started by the test itself on `127.0.0.1`, on a port
//! below the kernel's ephemeral range (so no client socket or `:0` listener
//! of a concurrent test can hold it), and is ready once it answers a probe
//! with a token of its own ([`Ready`]). A program that is not installed fails the test with the
//! Debian package to install: these suites are `#[ignore = "needs …"]`,
//! so a plain `cargo test` never starts them, and a run with
//! `--include-ignored` must have the programs.

use bytes::Bytes;
use pipelining_peer::RequestParser;
use pipelining_tokio::{Attempts, Body, Error, Observation, Written};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long a server may take to start listening.
pub const START_LIMIT: Duration = Duration::from_secs(15);

/// The longest one real-server test may run before it counts as hung.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- temporary directories, ports, programs, processes ----

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `pipelining-PREFIX-PID-N` (readable by everyone, so servers
    /// that drop privileges can read it).
    pub fn new(prefix: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("pipelining-{prefix}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        world_readable(&path);
        TempDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(unix)]
fn world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

#[cfg(not(unix))]
fn world_readable(_path: &Path) {}

/// A loopback port nothing listens on, chosen below the kernel's ephemeral
/// port range: ports handed out for `:0` binds and outgoing connections
/// come from that range, so a concurrent test cannot take this one between
/// now and the server binding it (and a connect probe cannot end up
/// connected to itself). Each call in a process returns a different port.
pub fn free_port() -> u16 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse::<u64>().ok()))
        .unwrap_or(32768);
    let (first, last) = if low > 12_000 { (10_000, low - 1) } else { (61_000, 65_000) };
    let span = last - first + 1;
    // Different test processes start at different places.
    let start = (u64::from(std::process::id()) * 7919) % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = (first + (start + n * 37) % span) as u16;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {first}..={last}");
}

/// The path of `program` on `PATH`; fails the test, naming the Debian
/// package to install, when it is missing (never a silent skip).
pub fn require_program(program: &str, debian_package: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    // nginx lives in sbin, which a non-root PATH may lack.
    dirs.extend(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(program)).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("this test needs `{program}`, which is not installed: apt-get install {debian_package}")
    })
}

/// A server process: killed (and reaped) when dropped. Its stdout and
/// stderr go to files, shown when it fails to start.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    name: String,
    port: u16,
    output: PathBuf,
}

impl ServerProcess {
    /// Spawns `command` (stdout and stderr to `output`) and waits until it
    /// answers `GET ready.path` on `127.0.0.1:port` with a body containing
    /// `ready.token` — so a server of another test run that happens to hold
    /// the port is never taken for this one. Returns an error with the
    /// program's output if it exits first or is not ready in time.
    pub fn spawn(name: &str, mut command: Command, port: u16, output: PathBuf, ready: &Ready) -> Result<Self, String> {
        let out = File::create(&output).map_err(|e| format!("{}: {e}", output.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command.spawn().map_err(|e| format!("starting {name}: {e}"))?;
        let mut process = ServerProcess { child, name: name.to_owned(), port, output };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(format!("{name} exited ({status}) before listening:\n{}", process.output()));
            }
            match ready.check(port) {
                Some(true) => return Ok(process),
                // Someone else's server: ours fails to bind; try another port.
                Some(false) => return Err(format!("another server answers on port {port}")),
                None => {}
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{name} did not listen on port {port} within {START_LIMIT:?}:\n{}",
                    process.output()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts a server on a free port, retrying on another port if it
    /// exits before listening or another server answers there: `make`
    /// builds the command for a port.
    pub fn start(name: &str, dir: &Path, ready: &Ready, mut make: impl FnMut(u16) -> Command) -> Self {
        let mut errors = Vec::new();
        for attempt in 0..3 {
            let port = free_port();
            let stem: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let output = dir.join(format!("{stem}-{attempt}.out"));
            match ServerProcess::spawn(name, make(port), port, output, ready) {
                Ok(process) => return process,
                Err(e) => errors.push(e),
            }
        }
        panic!("{name} did not start:\n{}", errors.join("\n---\n"));
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything it wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Fails the test, with the program's output, if it has exited.
    #[track_caller]
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}):\n{}", self.name, self.output());
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to tell that a server is up and is the one a test started: `GET
/// path` answers a body containing `token`. Requests for paths starting
/// with [`READY_PREFIX`] are left out of the servers' logs and counts.
#[derive(Clone, Debug)]
pub struct Ready {
    /// The path to request.
    pub path: String,
    /// What its body must contain.
    pub token: String,
}

/// Where readiness probes go.
pub const READY_PREFIX: &str = "/ready-";

impl Ready {
    /// A fresh token, at `/ready-TOKEN.txt`.
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let token = format!("{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        Ready { path: format!("{READY_PREFIX}{token}.txt"), token }
    }

    /// Writes the file a static server answers the probe with under `root`.
    pub fn write_under(&self, root: &Path) {
        std::fs::write(root.join(self.path.trim_start_matches('/')), &self.token).expect("write the ready file");
    }

    /// `None` while nothing answers, else whether the answer has the token.
    fn check(&self, port: u16) -> Option<bool> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let request = format!("GET {} HTTP/1.0\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n", self.path);
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = Vec::new();
        // A server still starting may reset the connection: not ready yet.
        stream.read_to_end(&mut response).ok()?;
        if response.is_empty() {
            return None;
        }
        Some(String::from_utf8_lossy(&response).contains(&self.token))
    }
}

impl Default for Ready {
    fn default() -> Self {
        Ready::new()
    }
}

// ---- files with known content ----

/// Sizes of the standard tree's files: empty to 8 MiB, around buffer and
/// chunk boundaries.
pub const TREE_SIZES: [usize; 16] =
    [0, 1, 7, 100, 1000, 4095, 4096, 4097, 16_384, 65_535, 65_536, 65_537, 100_000, 262_144, 1 << 20, 8 << 20];

/// The content of the file `name` of `size` bytes: different for every
/// name, printable and somewhat compressible.
pub fn file_content(name: &str, size: usize) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-\n";
    // FNV-1a of the name seeds an xorshift generator.
    let mut state =
        name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    state |= 1;
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Runs of one character keep it compressible.
        let run = 1 + (state >> 60) as usize;
        let c = ALPHABET[(state & 63) as usize];
        for _ in 0..run.min(size - out.len()) {
            out.push(c);
        }
    }
    out
}

/// A tree of files with known content, written under a directory.
#[derive(Debug)]
pub struct Tree {
    /// Where the files are (the server's document root).
    pub root: PathBuf,
    /// URL path (`/f/size-N.bin`, `/sub/dir/page.txt`, …) → content.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Tree {
    /// Writes the standard tree under `dir/www`: a file of each of
    /// [`TREE_SIZES`] in `/f/`, and a nested file.
    pub fn standard(dir: &Path) -> Self {
        let root = dir.join("www");
        let mut files = BTreeMap::new();
        for size in TREE_SIZES {
            let path = format!("/f/size-{size}.bin");
            files.insert(path.clone(), file_content(&path, size));
        }
        let nested = "/sub/dir/page.txt".to_owned();
        files.insert(nested.clone(), file_content(&nested, 3000));
        for (path, content) in &files {
            let file = root.join(path.trim_start_matches('/'));
            let parent = file.parent().expect("a parent directory");
            std::fs::create_dir_all(parent).expect("create the tree");
            std::fs::write(&file, content).expect("write a tree file");
        }
        for dir in [root.clone(), root.join("f"), root.join("sub"), root.join("sub/dir")] {
            world_readable(&dir);
        }
        Tree { root, files }
    }

    /// The content of the file at `path` (a query is ignored).
    #[track_caller]
    pub fn content(&self, path: &str) -> &[u8] {
        let path = path.split('?').next().unwrap_or(path);
        self.files.get(path).unwrap_or_else(|| panic!("no file {path} in the tree"))
    }

    /// The paths of files at most `max` bytes long.
    pub fn paths_up_to(&self, max: usize) -> Vec<String> {
        self.files.iter().filter(|(_, c)| c.len() <= max).map(|(p, _)| p.clone()).collect()
    }
}

// ---- nginx ----

/// How to configure nginx.
#[derive(Clone, Debug)]
pub struct NginxConfig {
    /// `keepalive_requests`.
    pub keepalive_requests: u32,
    /// `keepalive_timeout`, as nginx writes it (`75s`, `1s`).
    pub keepalive_timeout: String,
    /// `gzip on; gzip_min_length 0; gzip_types *;`.
    pub gzip: bool,
}

impl Default for NginxConfig {
    fn default() -> Self {
        NginxConfig { keepalive_requests: 1000, keepalive_timeout: "75s".into(), gzip: false }
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
    }}
}}
",
        log = access_log.display(),
        requests = config.keepalive_requests,
        timeout = config.keepalive_timeout,
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

// ---- Python ----

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

// ---- Node ----

/// A Node `http` server (`node -e`): `GET /bytes/N` answers `N` bytes of
/// [`pattern`](crate::pattern) with a Content-Length, anything else its
/// method, target and body (chunked when the query has `chunked`); a query
/// `delay=MS` delays the answer. It counts requests per socket (and how
/// many were outstanding at once) and per `METHOD target`, reported at
/// `GET /stats` (not counted, nor are `/ready-…` probes, answered with the
/// token given as its second argument) as lines `socket PORT RECEIVED ANSWERED
/// MAX_OUTSTANDING` and `request COUNT METHOD TARGET`.
const NODE_SERVER: &str = r#"
const http = require("http");
const port = Number(process.argv[1]);
const token = process.argv[2];
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
  socket.stats = { port: socket.remotePort, received: 0, answered: 0, outstanding: 0, max: 0 };
  sockets.push(socket.stats);
});
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
        let node = require_program("node", "nodejs");
        let dir = TempDir::new("node");
        let ready = Ready::new();
        let process = ServerProcess::start("node", dir.path(), &ready, |port| {
            let mut command = Command::new(&node);
            command.arg("-e").arg(NODE_SERVER).arg(port.to_string()).arg(&ready.token);
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
                ["request", count, method, target] => {
                    stats.requests.insert(format!("{method} {target}"), count.parse().unwrap_or(0));
                }
                _ => {}
            }
        }
        stats
    }
}

// ---- the client's side ----

/// Requests the client wrote on each of its connections, recorded by a
/// connector that taps its TCP streams.
#[derive(Debug, Default)]
pub struct WireTap {
    conns: Mutex<Vec<TapConn>>,
}

/// One connection the client opened.
#[derive(Clone, Debug)]
pub struct TapConn {
    /// Its local (client) port: nginx logs it as `$remote_port`.
    pub local_port: u16,
    /// When it was opened.
    pub opened_at: Instant,
    /// `METHOD target` of every request written on it in full, in order.
    pub written: Vec<String>,
}

impl WireTap {
    /// A new tap.
    pub fn new() -> Arc<Self> {
        Arc::new(WireTap::default())
    }

    /// A TCP connector (`TCP_NODELAY`, like the default one) recording
    /// every connection and the requests written on it.
    pub fn connector(self: &Arc<Self>) -> impl pipelining_driver::Connector {
        let tap = self.clone();
        pipelining_tokio::connector(move |origin| {
            let tap = tap.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect((origin.host.as_str(), origin.port)).await?;
                tcp.set_nodelay(true)?;
                let local_port = tcp.local_addr()?.port();
                let index = {
                    let mut conns = lock(&tap.conns);
                    conns.push(TapConn { local_port, opened_at: Instant::now(), written: Vec::new() });
                    conns.len() - 1
                };
                Ok(TapStream { inner: tcp, scanner: RequestParser::default(), tap, index })
            }
        })
    }

    /// Every connection so far.
    pub fn conns(&self) -> Vec<TapConn> {
        lock(&self.conns).clone()
    }

    /// How many connections were opened so far.
    pub fn count(&self) -> usize {
        lock(&self.conns).len()
    }

    /// How often `METHOD target` was written, on any connection.
    pub fn written(&self, request: &str) -> usize {
        lock(&self.conns).iter().flat_map(|c| &c.written).filter(|w| *w == request).count()
    }
}

struct TapStream {
    inner: tokio::net::TcpStream,
    scanner: RequestParser,
    tap: Arc<WireTap>,
    index: usize,
}

impl AsyncRead for TapStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TapStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = result {
            let this = &mut *self;
            let requests = this.scanner.push(&data[..n]);
            if !requests.is_empty() {
                let mut conns = lock(&this.tap.conns);
                let written = &mut conns[this.index].written;
                written.extend(requests.into_iter().map(|r| format!("{} {}", r.method, r.target)));
            }
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Everything the client's observer reported.
#[derive(Debug, Default)]
pub struct Watch {
    observations: Mutex<Vec<Observation>>,
    open: Mutex<HashSet<u64>>,
    max_open: AtomicU64,
}

impl Watch {
    /// A new, empty watch.
    pub fn new() -> Arc<Self> {
        Arc::new(Watch::default())
    }

    /// The observer to hand to the client's builder.
    pub fn observer(self: &Arc<Self>) -> impl Fn(&Observation) + Send + Sync + 'static {
        let watch = self.clone();
        move |observation| {
            {
                let mut open = lock(&watch.open);
                match observation {
                    Observation::Connecting { conn, .. } => {
                        open.insert(conn.0);
                        watch.max_open.fetch_max(open.len() as u64, Ordering::SeqCst);
                    }
                    Observation::ConnectFailed { conn, .. } | Observation::Closed { conn, .. } => {
                        open.remove(&conn.0);
                    }
                    _ => {}
                }
            }
            lock(&watch.observations).push(observation.clone());
        }
    }

    /// Every observation so far, in order.
    pub fn observations(&self) -> Vec<Observation> {
        lock(&self.observations).clone()
    }

    /// The most connections the client had open (or opening) at once.
    pub fn max_open(&self) -> usize {
        self.max_open.load(Ordering::SeqCst) as usize
    }

    /// Connections that were opened.
    pub fn opened(&self) -> usize {
        lock(&self.observations).iter().filter(|o| matches!(o, Observation::Connecting { .. })).count()
    }

    /// The capabilities reported for origins, in order.
    pub fn capabilities(&self) -> Vec<pipelining::Capability> {
        lock(&self.observations)
            .iter()
            .filter_map(|o| match o {
                Observation::Capability { capability, .. } => Some(*capability),
                _ => None,
            })
            .collect()
    }

    /// The summaries of the connections that closed after opening.
    pub fn closed(&self) -> Vec<pipelining::Closed> {
        lock(&self.observations)
            .iter()
            .filter_map(|o| match o {
                Observation::Closed { summary, .. } => *summary,
                _ => None,
            })
            .collect()
    }
}

/// One response, read whole.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// Its status.
    pub status: u16,
    /// Its header fields.
    pub headers: http::HeaderMap,
    /// Its body, after transfer decoding.
    pub body: Bytes,
    /// How many times the request was written.
    pub attempts: u32,
    /// When and on which connection the request was last written.
    pub written: Option<Written>,
    /// When the response's last byte arrived.
    pub finished_at: Option<Instant>,
}

impl Fetched {
    /// A header field's value, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Reads a response whole.
pub async fn read(response: Result<http::Response<Body>, Error>) -> Result<Fetched, Error> {
    let response = response?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let attempts = response.extensions().get::<Attempts>().map_or(0, |a| a.0);
    let written = response.extensions().get::<Written>().copied();
    let mut body = response.into_body();
    let mut all = Vec::new();
    while let Some(chunk) = body.chunk().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(Fetched { status, headers, body: Bytes::from(all), attempts, written, finished_at: body.finished_at() })
}

/// Sends every request at once (in order, so they are written in order and
/// pipelined) and reads every response whole.
pub async fn send_all(
    client: &pipelining_tokio::Client,
    requests: Vec<http::Request<Bytes>>,
) -> Vec<Result<Fetched, Error>> {
    let futures: Vec<_> = requests.into_iter().map(|r| client.send(r)).collect();
    futures_util::future::join_all(futures.into_iter().map(|f| async move { read(f.await).await })).await
}

/// `GET url` for each URL, all at once.
pub async fn get_all(client: &pipelining_tokio::Client, urls: &[String]) -> Vec<Result<Fetched, Error>> {
    send_all(client, urls.iter().map(|u| get(u)).collect()).await
}

/// A `GET url` request.
pub fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).expect("a request")
}

/// The most requests in flight at once on any one connection, as the client
/// saw it: each answered request counts from when it was written (its last
/// byte accepted) until its response's last byte arrived. Responses
/// without both instants are left out (a lower bound).
pub fn max_in_flight(fetched: &[&Fetched]) -> usize {
    let mut per_conn: HashMap<u64, Vec<(Instant, i32)>> = HashMap::new();
    for f in fetched {
        if let (Some(written), Some(end)) = (f.written, f.finished_at) {
            let events = per_conn.entry(written.connection.0).or_default();
            events.push((written.at, 1));
            events.push((end, -1));
        }
    }
    let mut max = 0;
    for events in per_conn.values_mut() {
        // At equal instants an end comes before a start.
        events.sort();
        let mut now = 0i32;
        for (_, delta) in events.iter() {
            now += delta;
            max = max.max(now);
        }
    }
    max as usize
}

/// Runs `test` on a fresh two-thread tokio runtime, failing it after
/// [`TEST_LIMIT`].
pub fn run<T, F: std::future::Future<Output = T>>(test: F) -> T {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(async { tokio::time::timeout(TEST_LIMIT, test).await.expect("the test hung") })
}

/// Fails the test with `what` unless `got` is a response with `status` and
/// exactly `body`.
#[track_caller]
pub fn expect_body(what: &str, got: &Result<Fetched, Error>, status: u16, body: &[u8]) {
    match got {
        Ok(got) => {
            assert_eq!(got.status, status, "{what}: status");
            assert!(
                got.body[..] == body[..],
                "{what}: a body of {} bytes, expected {} bytes (first difference at byte {:?})",
                got.body.len(),
                body.len(),
                got.body.iter().zip(body).position(|(a, b)| a != b),
            );
        }
        Err(e) => panic!("{what}: expected {status}, got error {e} (attempts {})", e.attempts()),
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

    #[test]
    fn parses_python_log_lines() {
        let shipped = "127.0.0.1 - - [19/Feb/2026 10:00:00] \"GET /f/a?i=1 HTTP/1.1\" 200 -\nServing HTTP on x\n";
        assert_eq!(parse_python_log(shipped), vec![(None, "GET /f/a?i=1".to_owned(), 200)]);
        let ours = "40000 GET /f/a?i=2 HTTP/1.1 404\n";
        assert_eq!(parse_python_log(ours), vec![(Some(40000), "GET /f/a?i=2".to_owned(), 404)]);
    }

    #[test]
    fn file_contents_differ_and_have_their_size() {
        for size in TREE_SIZES.into_iter().take(10) {
            assert_eq!(file_content("/a", size).len(), size);
        }
        assert_ne!(file_content("/a", 100), file_content("/b", 100));
    }

    #[test]
    fn in_flight_counts_overlaps_per_connection() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let f = |conn, w, e| Fetched {
            status: 200,
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
            attempts: 1,
            written: Some(Written { connection: pipelining::ConnectionId(conn), at: at(w) }),
            finished_at: Some(at(e)),
        };
        let all = [f(1, 0, 10), f(1, 1, 11), f(1, 10, 12), f(2, 0, 20)];
        assert_eq!(max_in_flight(&all.iter().collect::<Vec<_>>()), 2);
    }
}
