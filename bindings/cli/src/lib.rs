//! The `pipelining` command: `fetch`, `bench`, `demo`, `dns` and `redis`.
//!
//! The binary is [`run`] over the process's arguments. The library exists so
//! that tests can drive the command in-process; its public surface is kept to
//! that:
//!
//! - [`run`]: the whole command, from its arguments to its exit code
//!   (docs/DESIGN.md C1: 0 when every request got a response, 1 when any failed,
//!   2 for usage errors);
//! - [`demo`]: the demo's measurement ([`demo::measure`]) and its report, so
//!   a test can check the timeline's lanes and bars as well as the C3 JSON.
//!
//! Everything else (each subcommand's flags and output, the shared flag
//! parsers, the exit codes) is private to the crate.

mod basic_auth;
mod bench;
pub mod demo;
mod dns;
mod exit;
mod fetch;
mod flags;
mod json;
mod proxy_flags;
mod redis;
mod request_flags;
mod request_list;
mod verbose;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

/// Counts allocations in this crate's unit tests (the Redis input parser's
/// bound); `stats_alloc` keeps the crate free of `unsafe`.
#[cfg(test)]
#[global_allocator]
static ALLOCATOR: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

#[derive(Parser)]
#[command(
    name = "pipelining",
    version,
    about = "Pipelined HTTP/1.1: many requests per connection, every response matched"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch URLs, pipelined; one line (or JSON object) per request, in order.
    Fetch(fetch::FetchArgs),
    /// Measure requests per second with a sliding window of pipelined requests.
    Bench(bench::BenchArgs),
    /// Show what pipelining does: the same objects fetched sequentially and
    /// pipelined through an emulated round trip, with a timeline picture.
    Demo(demo::DemoArgs),
    /// Query a DNS server over TCP, pipelined; answers matched by message ID.
    Dns(dns::DnsArgs),
    /// Send Redis commands from stdin (one per line), pipelined.
    Redis(redis::RedisArgs),
}

/// Runs the `pipelining` command with `args` (the program's name first, as
/// in [`std::env::args_os`]) and returns its exit code.
///
/// Help and `--version` print to stdout and exit 0; bad arguments print
/// clap's message to stderr and exit 2. Subcommands read stdin and write
/// stdout and stderr as the binary does.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(exit::USAGE) } else { ExitCode::SUCCESS };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return exit::failure(format!("cannot start the runtime: {e}")),
    };
    match cli.command {
        Command::Fetch(args) => runtime.block_on(fetch::run(args)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::Demo(args) => runtime.block_on(demo::run(args)),
        Command::Dns(args) => runtime.block_on(dns::run(args)),
        Command::Redis(args) => runtime.block_on(redis::run(args)),
    }
}
