//! lighttpd, configured per test, serving static files.

use super::{ACCESS_LOG_FORMAT, Logged, Ready, ServerProcess, TempDir, Tree, parse_access_log, require_program};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to configure lighttpd.
#[derive(Clone, Debug)]
pub struct LighttpdConfig {
    /// `server.max-keep-alive-requests`: responses per connection, after
    /// which it closes (with `Connection: close` on the last).
    pub max_keep_alive_requests: u32,
}

impl Default for LighttpdConfig {
    fn default() -> Self {
        // lighttpd's own default.
        LighttpdConfig { max_keep_alive_requests: 1000 }
    }
}

/// A running lighttpd (`lighttpd -D`, in the foreground) serving a
/// [`Tree`], logging every request as [`ACCESS_LOG_FORMAT`]; killed when
/// dropped. Its configuration and everything it writes live in a temporary
/// directory.
#[derive(Debug)]
pub struct Lighttpd {
    process: ServerProcess,
    access_log: PathBuf,
    /// The files it serves.
    pub tree: Tree,
    dir: TempDir,
}

impl Lighttpd {
    /// Starts lighttpd with `config` over a fresh standard tree.
    pub fn start(config: &LighttpdConfig) -> Self {
        let lighttpd = require_program("lighttpd", "lighttpd");
        let dir = TempDir::new("lighttpd");
        let tree = Tree::standard(dir.path());
        let access_log = dir.path().join("access.log");
        let d = dir.path().to_owned();
        let ready = Ready::new();
        ready.write_under(&tree.root);
        let process = ServerProcess::start("lighttpd", dir.path(), &ready, |port| {
            let conf = d.join(format!("lighttpd-{port}.conf"));
            std::fs::write(&conf, lighttpd_conf(&d, &tree.root, &access_log, port, config))
                .expect("write lighttpd.conf");
            let mut command = Command::new(&lighttpd);
            command.arg("-D").arg("-f").arg(&conf);
            command
        });
        Lighttpd { process, access_log, tree, dir }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.process.port())
    }

    /// The origin the client keeps its memory under.
    pub fn origin(&self) -> pipelining_tokio::Origin {
        pipelining_tokio::Origin::new("http", "127.0.0.1", self.process.port())
    }

    /// Stops lighttpd and returns every request it logged: it buffers its
    /// access log and writes it out every few seconds and when it stops.
    pub fn stop(&mut self) -> Vec<Logged> {
        self.process.terminate(std::time::Duration::from_secs(5));
        parse_access_log(&std::fs::read_to_string(&self.access_log).unwrap_or_default())
    }

    /// lighttpd's error log and output.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default() + &self.process.output()
    }
}

fn lighttpd_conf(dir: &Path, root: &Path, access_log: &Path, port: u16, config: &LighttpdConfig) -> String {
    format!(
        "server.document-root = \"{root}\"
server.bind = \"127.0.0.1\"
server.port = {port}
server.errorlog = \"{d}/error.log\"
server.max-keep-alive-requests = {requests}
# As nginx's `sendfile off`: responses written from user space.
server.network-backend = \"writev\"
server.modules += ( \"mod_accesslog\" )
accesslog.filename = \"{log}\"
accesslog.format = \"{ACCESS_LOG_FORMAT}\"
mimetype.assign = ( \"\" => \"application/octet-stream\" )
",
        d = dir.display(),
        root = root.display(),
        requests = config.max_keep_alive_requests,
        log = access_log.display(),
    )
}
