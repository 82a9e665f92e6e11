//! `pipelining`: fetch many URLs over pipelined HTTP/1.1 connections, or
//! load-test a server with a sliding window of pipelined requests.

use clap::{Args, Parser, Subcommand};
use pipelining_cli::{bench, demo, dns, fetch, redis, request_list, verbose};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

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
    Fetch(FetchArgs),
    /// Measure requests per second with a sliding window of pipelined requests.
    Bench(BenchArgs),
    /// Show what pipelining does: the same objects fetched sequentially and
    /// pipelined through an emulated round trip, with a timeline picture.
    Demo(DemoArgs),
    /// Query a DNS server over TCP, pipelined; answers matched by message ID.
    Dns(DnsArgs),
    /// Send Redis commands from stdin (one per line), pipelined.
    Redis(RedisArgs),
}

#[derive(Args)]
struct RedisArgs {
    /// The server, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:6379")]
    host: String,
    /// Commands in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    depth: u64,
    /// Connections to the server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    connections: u64,
    /// Tries per command (only idempotent commands are ever resent).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_tries: u32,
    /// Connect and stall timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<f64>,
    /// Pipeline non-idempotent commands (INCR, LPUSH, …) too, instead of
    /// writing each alone; a lost one is still never resent.
    #[arg(long)]
    pipeline_writes: bool,
    /// One JSON object per command on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DnsArgs {
    /// Queries: NAME or NAME:TYPE (A, AAAA, MX, TXT, …; default A).
    #[arg(required = true)]
    queries: Vec<String>,
    /// The server, IP:PORT.
    #[arg(long, value_name = "ADDR")]
    server: std::net::SocketAddr,
    /// Queries in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    depth: u64,
    /// Connections to the server.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    connections: u64,
    /// Tries per query.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_tries: u32,
    /// Connect and stall timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<f64>,
    /// One JSON object per query on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DemoArgs {
    /// Emulated round-trip time in milliseconds.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    rtt_ms: u64,
    /// Emulated bandwidth in megabits per second (default: unlimited).
    #[arg(long, value_name = "MBIT", value_parser = parse_seconds)]
    bandwidth_mbit: Option<f64>,
    /// How many objects.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    objects: u64,
    /// Bytes per object.
    #[arg(long, default_value_t = 2048, value_parser = clap::value_parser!(u64).range(0..=64 * 1024 * 1024))]
    size: u64,
    /// Depth of the pipelined run.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=4096))]
    depth: u64,
    /// Connections of the pipelined run.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=1024))]
    connections: u64,
    /// Where to write the timeline picture.
    #[arg(long, value_name = "PATH", default_value = "pipelining-demo.svg")]
    svg: PathBuf,
    /// One JSON object on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct FetchArgs {
    /// URLs to GET (before the --input requests).
    urls: Vec<String>,
    /// A file (or - for stdin) with one request per line: `URL` or `METHOD URL`.
    #[arg(long, value_name = "FILE|-")]
    input: Option<String>,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=4096))]
    depth: u64,
    /// Connections per origin.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=1024))]
    connections: u64,
    /// Tries per request (resends after `Connection: close` spend none).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_tries: u32,
    /// Connect and stall timeout in seconds (decimals allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<f64>,
    /// One compact JSON object per request on stdout.
    #[arg(long)]
    json: bool,
    /// Write each body to DIR/<n>.body (n = 1-based request index, 6 digits).
    #[arg(short = 'o', value_name = "DIR")]
    output: Option<PathBuf>,
    /// Count a status of 400 or more as a failure (error_kind http_status).
    #[arg(long)]
    fail: bool,
    /// Print connection events and what was learnt of each origin to stderr.
    #[arg(long, short = 'v')]
    verbose: bool,
}

#[derive(Args)]
struct BenchArgs {
    /// The URL to request over and over.
    url: String,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    depth: u64,
    /// Connections.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    connections: u64,
    /// How long to run, in seconds (default 10).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, conflicts_with = "count")]
    duration: Option<f64>,
    /// How many requests to make instead of a duration.
    #[arg(short = 'n', value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Also measure depth 1 in the same run and report the speedup.
    #[arg(long)]
    compare: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Print connection events to stderr.
    #[arg(long, short = 'v')]
    verbose: bool,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("pipelining: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("pipelining: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Fetch(args) => runtime.block_on(fetch_command(args)),
        Command::Bench(args) => runtime.block_on(bench_command(args)),
        Command::Demo(args) => runtime.block_on(demo_command(args)),
        Command::Dns(args) => runtime.block_on(dns_command(args)),
        Command::Redis(args) => runtime.block_on(redis_command(args)),
    }
}

async fn fetch_command(args: FetchArgs) -> ExitCode {
    let input = match args.input.as_deref() {
        None => None,
        Some("-") => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                return usage_error(format!("cannot read stdin: {e}"));
            }
            Some(text)
        }
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => return usage_error(format!("cannot read {path}: {e}")),
        },
    };
    // Every request is validated before any is sent.
    let specs = match request_list::collect(&args.urls, input.as_deref()) {
        Ok(specs) => specs,
        Err(e) => return usage_error(e),
    };
    if specs.is_empty() {
        return usage_error("no requests: give URLs or --input");
    }
    let mut builder = pipelining_tokio::Client::builder()
        .depth(args.depth as usize)
        .connections(args.connections as usize)
        .max_tries(args.max_tries)
        .queue_limit(1024);
    if let Some(secs) = args.timeout {
        builder = builder.timeout(std::time::Duration::from_secs_f64(secs));
    }
    if args.verbose {
        builder = builder.observer(verbose::observe);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return usage_error(e),
    };
    let options =
        fetch::FetchOptions { json: args.json, fail: args.fail, output_dir: args.output, verbose: args.verbose };
    match fetch::run(&client, specs, &options).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pipelining: {e}");
            ExitCode::from(1)
        }
    }
}

async fn bench_command(args: BenchArgs) -> ExitCode {
    if let Err(e) = request_list::parse_url(&args.url) {
        return usage_error(e);
    }
    let stop = match (args.count, args.duration) {
        (Some(n), _) => bench::Stop::Count(n),
        (None, Some(secs)) => bench::Stop::After(std::time::Duration::from_secs_f64(secs)),
        (None, None) => bench::Stop::After(std::time::Duration::from_secs(10)),
    };
    let options = bench::BenchOptions {
        url: args.url,
        depth: args.depth as usize,
        connections: args.connections as usize,
        stop,
        verbose: args.verbose,
    };
    match bench::run(&options, args.compare, args.json).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pipelining: {e}");
            ExitCode::from(1)
        }
    }
}

async fn demo_command(args: DemoArgs) -> ExitCode {
    let options = demo::DemoOptions {
        objects: args.objects as usize,
        size: args.size as usize,
        rtt: std::time::Duration::from_millis(args.rtt_ms),
        bandwidth_mbit: args.bandwidth_mbit,
        depth: args.depth as usize,
        connections: args.connections as usize,
    };
    if !args.json {
        eprintln!(
            "fetching {} objects twice through a {} ms round trip: sequentially, then pipelined…",
            options.objects, args.rtt_ms
        );
    }
    let report = match demo::run(&options).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("pipelining: demo failed: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::fs::write(&args.svg, report.svg()) {
        eprintln!("pipelining: cannot write {}: {e}", args.svg.display());
        return ExitCode::from(1);
    }
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
        println!("timeline: {}", args.svg.display());
    }
    ExitCode::SUCCESS
}

async fn dns_command(args: DnsArgs) -> ExitCode {
    let mut specs = Vec::with_capacity(args.queries.len());
    for query in &args.queries {
        match dns::parse_query(query) {
            Ok(spec) => specs.push(spec),
            Err(e) => return usage_error(e),
        }
    }
    let mut builder = pipelining_tokio::Client::builder()
        .depth(args.depth as usize)
        .connections(args.connections as usize)
        .max_tries(args.max_tries)
        // A DNS server answers out of order; there is nothing to probe.
        .assume_pipelining(true);
    if let Some(secs) = args.timeout {
        builder = builder.timeout(std::time::Duration::from_secs_f64(secs));
    }
    let client = match pipelining_tokio::dns::DnsClient::new(args.server, builder) {
        Ok(client) => client,
        Err(e) => return usage_error(e),
    };
    match dns::run(&client, &specs, args.json).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pipelining: {e}");
            ExitCode::from(1)
        }
    }
}

async fn redis_command(args: RedisArgs) -> ExitCode {
    let Some((host, port)) = args.host.rsplit_once(':') else {
        return usage_error(format!("--host {:?}: expected HOST:PORT", args.host));
    };
    let Ok(port) = port.parse::<u16>() else {
        return usage_error(format!("--host {:?}: bad port", args.host));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return usage_error(format!("cannot read stdin: {e}"));
    }
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        match redis::split_words(trimmed) {
            Ok(words) => lines.push((trimmed.to_owned(), words)),
            Err(e) => return usage_error(format!("line {}: {e}", n + 1)),
        }
    }
    let mut builder = pipelining_tokio::Client::builder()
        .depth(args.depth as usize)
        .connections(args.connections as usize)
        .max_tries(args.max_tries)
        .pipeline_non_idempotent(args.pipeline_writes);
    if let Some(secs) = args.timeout {
        builder = builder.timeout(std::time::Duration::from_secs_f64(secs));
    }
    let client = match pipelining_tokio::redis::RedisClient::new(host, port, builder) {
        Ok(client) => client,
        Err(e) => return usage_error(e),
    };
    let window = 4 * (args.depth as usize) * (args.connections as usize);
    match redis::run(&client, &lines, window, args.json).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pipelining: {e}");
            ExitCode::from(1)
        }
    }
}
