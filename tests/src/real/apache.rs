//! Apache httpd (`apache2`), configured per test, serving static files.

use super::{ACCESS_LOG_FORMAT, Logged, Ready, ServerProcess, TempDir, Tree, parse_access_log, require_program};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian keeps Apache's loadable modules.
const MODULES: &str = "/usr/lib/apache2/modules";

/// How to configure Apache.
#[derive(Clone, Debug)]
pub struct ApacheConfig {
    /// `MaxKeepAliveRequests`: responses per connection, after which it
    /// closes (with `Connection: close` on the last).
    pub max_keepalive_requests: u32,
    /// `KeepAliveTimeout`, in seconds.
    pub keepalive_timeout_secs: u32,
}

impl Default for ApacheConfig {
    fn default() -> Self {
        // Apache's own defaults.
        ApacheConfig { max_keepalive_requests: 100, keepalive_timeout_secs: 5 }
    }
}

/// A running Apache (`apache2 -X`: one process, in the foreground, the
/// event MPM's threads) serving a [`Tree`], logging every request as
/// [`ACCESS_LOG_FORMAT`]; killed when dropped.
///
/// The configuration is written from scratch into a temporary directory
/// (nothing of `/etc/apache2` is read), and every file Apache writes goes
/// there too, so it runs as any user. Started as root, Apache serves as
/// `#65534` (nobody), as it refuses to serve as root; the tree is readable
/// by everyone.
#[derive(Debug)]
pub struct Apache {
    process: ServerProcess,
    access_log: PathBuf,
    /// The files it serves.
    pub tree: Tree,
    dir: TempDir,
}

impl Apache {
    /// Starts Apache with `config` over a fresh standard tree.
    pub fn start(config: &ApacheConfig) -> Self {
        let apache = require_program("apache2", "apache2");
        let dir = TempDir::new("apache");
        let tree = Tree::standard(dir.path());
        let access_log = dir.path().join("access.log");
        let d = dir.path().to_owned();
        let ready = Ready::new();
        ready.write_under(&tree.root);
        let process = ServerProcess::start("apache2", dir.path(), &ready, |port| {
            let conf = d.join(format!("httpd-{port}.conf"));
            std::fs::write(&conf, httpd_conf(&d, &tree.root, &access_log, port, config)).expect("write httpd.conf");
            let mut command = Command::new(&apache);
            command.arg("-X").arg("-f").arg(&conf);
            command
        });
        Apache { process, access_log, tree, dir }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.process.port())
    }

    /// The origin the client keeps its memory under.
    pub fn origin(&self) -> pipelining_tokio::Origin {
        pipelining_tokio::Origin::new("http", "127.0.0.1", self.process.port())
    }

    /// Stops Apache and returns every request it logged: with the server
    /// stopped, the log is complete.
    pub fn stop(&mut self) -> Vec<Logged> {
        self.process.terminate(std::time::Duration::from_secs(5));
        parse_access_log(&std::fs::read_to_string(&self.access_log).unwrap_or_default())
    }

    /// Apache's error log and output.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default() + &self.process.output()
    }
}

fn httpd_conf(dir: &Path, root: &Path, access_log: &Path, port: u16, config: &ApacheConfig) -> String {
    let d = dir.display();
    format!(
        "ServerRoot \"{d}\"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile \"{d}/httpd-{port}.pid\"
DefaultRuntimeDir \"{d}\"
Mutex file:{d} default
ErrorLog \"{d}/error.log\"
LogLevel warn
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
# Only read when started as root, which Apache does not serve as.
User #65534
Group #65534
KeepAlive On
MaxKeepAliveRequests {requests}
KeepAliveTimeout {timeout}
# As nginx's `sendfile off`: responses written from user space.
EnableSendfile Off
EnableMMAP Off
DocumentRoot \"{root}\"
<Directory \"{root}\">
    Require all granted
</Directory>
LogFormat \"{ACCESS_LOG_FORMAT}\" pipelining
CustomLog \"{log}\" pipelining
",
        requests = config.max_keepalive_requests,
        timeout = config.keepalive_timeout_secs,
        root = root.display(),
        log = access_log.display(),
    )
}
