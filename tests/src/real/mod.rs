//! Real servers run as external programs — nginx, Apache, lighttpd,
//! Python's `http.server`, a Node `http` server, Squid as a proxy,
//! redis-server — and what the suites against them share: temporary
//! directories, free loopback ports, processes killed when dropped, a tree
//! of files with known content, the servers' access logs, a client-side
//! record of the requests written on each connection, an observer log, and
//! a raw Redis connection of the test's own.
//!
//! Each server is started by the test itself on `127.0.0.1`, on a port
//! below the kernel's ephemeral range (so no client socket or `:0` listener
//! of a concurrent test can hold it), and is ready once it answers a probe
//! with a token of its own ([`Ready`]). A program that is not installed fails the test with the
//! Debian package to install: these suites are `#[ignore = "needs …"]`,
//! so a plain `cargo test` never starts them, and a run with
//! `--include-ignored` must have the programs.

mod access_log;
mod apache;
mod client;
mod lighttpd;
mod nginx;
mod node;
mod process;
mod python;
mod redis;
mod squid;
mod tree;

pub use access_log::*;
pub use apache::*;
pub use client::*;
pub use lighttpd::*;
pub use nginx::*;
pub use node::*;
pub use process::*;
pub use python::*;
pub use redis::*;
pub use squid::*;
pub use tree::*;

use std::sync::Mutex;
use std::time::Duration;

/// How long a server may take to start listening.
pub const START_LIMIT: Duration = Duration::from_secs(15);

/// The longest one real-server test may run before it counts as hung.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
