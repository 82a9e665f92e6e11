//! Temporary directories, free loopback ports, required programs, and
//! server processes killed when dropped, ready once they answer a probe
//! with a token of their own.

use super::START_LIMIT;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
pub(super) fn world_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

#[cfg(not(unix))]
pub(super) fn world_readable(_path: &Path) {}

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

    /// Asks it to stop (SIGTERM, sent with `kill`) and waits up to `limit`
    /// for it to exit, so that it writes out what it buffers (lighttpd
    /// flushes its access log when it stops) and cleans up after itself
    /// (Squid's shared memory); killed if it has not exited by then.
    /// Whether it exited by itself.
    pub fn terminate(&mut self, limit: Duration) -> bool {
        // Once reaped, its process id may be another process's.
        if let Ok(Some(_)) = self.child.try_wait() {
            return true;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
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
