//! Squid, the proxy of the proxy suites: a minimal forward proxy on a
//! loopback port — no cache, loopback clients only, `CONNECT` allowed to
//! the ports a test names and refused (403) to every other — and its
//! access log.
//!
//! Run as root, Squid drops to its own user (`proxy` on Debian), so its
//! directory is made writable by everyone; run as any other user it stays
//! that user. Each Squid has a service name of its own (`-n`): Squid names
//! its shared memory segments (`/dev/shm/NAME-…`) after it, and segments
//! of another Squid, or left by one that was killed, would stop it.

use super::{Ready, ServerProcess, TempDir, require_program};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How to configure Squid.
#[derive(Clone, Debug, Default)]
pub struct SquidConfig {
    /// The ports `CONNECT` may open tunnels to; a `CONNECT` to any other
    /// port is answered `403 Forbidden`.
    pub connect_ports: Vec<u16>,
}

/// One line of Squid's access log (its native format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SquidLogLine {
    /// How Squid handled it and the status sent: `TCP_MISS/200`,
    /// `TCP_TUNNEL/200`, `TCP_DENIED/403`, …
    pub result: String,
    /// The method.
    pub method: String,
    /// The URL as Squid saw it: absolute for forwarded requests,
    /// `host:port` for `CONNECT`.
    pub url: String,
}

/// A running Squid (`-N`: no daemon, one process); killed when dropped.
#[derive(Debug)]
pub struct Squid {
    process: ServerProcess,
    access_log: PathBuf,
    /// Its service name (`-n`).
    service: String,
    _dir: TempDir,
}

impl Squid {
    /// Starts Squid with `config` on a free loopback port.
    pub fn start(config: &SquidConfig) -> Self {
        let squid = require_program("squid", "squid");
        let dir = TempDir::new("squid");
        writable_by_everyone(dir.path());
        let access_log = dir.path().join("access.log");
        let d = dir.path().to_owned();
        let ready = Ready::new();
        let mut service = String::new();
        let process = ServerProcess::start("squid", dir.path(), &ready, |port| {
            let conf = d.join(format!("squid-{port}.conf"));
            std::fs::write(&conf, squid_conf(&d, &access_log, port, &ready.token, config)).expect("write squid.conf");
            // Letters and digits only, as Squid wants; unique on this host.
            service = format!("pipelining{}p{port}", std::process::id());
            let mut command = Command::new(&squid);
            command.arg("-n").arg(&service).arg("-N").arg("-f").arg(&conf);
            command
        });
        Squid { process, access_log, service, _dir: dir }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.process.port()
    }

    /// `http://127.0.0.1:PORT`: its URL as a proxy.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// The access log so far.
    pub fn log(&self) -> Vec<SquidLogLine> {
        let text = std::fs::read_to_string(&self.access_log).unwrap_or_default();
        text.lines().filter_map(parse_line).collect()
    }

    /// Waits (up to 10 s) until the access log holds `count` lines that
    /// `select` picks, and returns those. Squid logs a request when its
    /// transaction ends: a tunnel only once it is closed.
    #[track_caller]
    pub fn wait_for_log(&mut self, count: usize, select: impl Fn(&SquidLogLine) -> bool) -> Vec<SquidLogLine> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines: Vec<SquidLogLine> = self.log().into_iter().filter(|l| select(l)).collect();
            if lines.len() >= count {
                return lines;
            }
            self.process.assert_running();
            if Instant::now() > deadline {
                panic!(
                    "squid logged {} of {count} expected lines:\n{}",
                    lines.len(),
                    std::fs::read_to_string(&self.access_log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        // Stopped gracefully, Squid removes its shared memory segments;
        // killed, it leaves them behind: remove whatever is left.
        self.process.terminate(Duration::from_secs(5));
        let prefix = format!("{}-", self.service);
        if let Ok(entries) = std::fs::read_dir("/dev/shm") {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

fn parse_line(line: &str) -> Option<SquidLogLine> {
    // time elapsed client result/status bytes method URL user hierarchy type
    let fields: Vec<&str> = line.split_whitespace().collect();
    Some(SquidLogLine {
        result: (*fields.get(3)?).to_owned(),
        method: (*fields.get(5)?).to_owned(),
        url: (*fields.get(6)?).to_owned(),
    })
}

fn squid_conf(dir: &Path, access_log: &Path, port: u16, token: &str, config: &SquidConfig) -> String {
    let d = dir.display();
    // An ACL needs at least one value; port 1 is never a test server's.
    let ports: Vec<String> = if config.connect_ports.is_empty() {
        vec!["1".to_owned()]
    } else {
        config.connect_ports.iter().map(u16::to_string).collect()
    };
    format!(
        "http_port 127.0.0.1:{port}\n\
         # The readiness probe finds this name in Squid's answer.\n\
         visible_hostname {token}\n\
         pid_filename {d}/squid-{port}.pid\n\
         cache deny all\n\
         cache_mem 0 MB\n\
         access_log stdio:{log}\n\
         # Log whole URLs: the tests look for their queries.\n\
         strip_query_terms off\n\
         cache_log {d}/cache.log\n\
         cache_store_log none\n\
         coredump_dir {d}\n\
         netdb_filename none\n\
         # No ICMP helper process to outlive a killed Squid.\n\
         pinger_enable off\n\
         shutdown_lifetime 0 seconds\n\
         acl tunnel method CONNECT\n\
         acl tunnel_ports port {ports}\n\
         http_access deny tunnel !tunnel_ports\n\
         http_access allow localhost\n\
         http_access deny all\n",
        log = access_log.display(),
        ports = ports.join(" "),
    )
}

#[cfg(unix)]
fn writable_by_everyone(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("make squid's directory writable");
}

#[cfg(not(unix))]
fn writable_by_everyone(_path: &Path) {}
