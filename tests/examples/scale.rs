//! Scale: one client holding many connections, each many requests deep —
//! what a connection and an outstanding request cost in memory. Run by
//! `bindings/cli/bench/scale.py`, which writes `results-scale.json`
//! (docs/BENCHMARKS.md, "Scale").
//!
//! ```text
//! scale serve PORTS
//! scale client CONNECTIONS_PER_ORIGIN DEPTH DELAY_MS ADDR...
//! ```
//!
//! `serve` starts PORTS scripted servers (`pipelining_tests::raw`, each on
//! its own thread; they read requests as they arrive and answer each after
//! the `delay=MS` of its target), prints `addr ADDR` for each and `ready`;
//! then, for each line `stats` on its standard input, a line `served
//! addr=… connections=… received=… deepest=…` per server and `end`; it
//! exits when its standard input closes. The client runs in another
//! process, so its resident set is its own.
//!
//! `client` measures its resident set three times:
//!
//! 1. `start`: the runtime and an idle client;
//! 2. `connections`: after CONNECTIONS_PER_ORIGIN connections to each ADDR
//!    were opened (one request each, at depth 1) and are idle;
//! 3. `outstanding`: with DEPTH requests written on every connection and
//!    unanswered (the servers wait DELAY_MS before each response), the
//!    caller holding their futures.
//!
//! It prints one JSON object with the three and the client's own counts,
//! then holds everything until its standard input closes, so the servers'
//! counts can be read while the requests are outstanding.

use pipelining_tests::memory::rss_bytes;
use pipelining_tests::raw::{RawServer, Request, Step};
use pipelining_tokio::{Client, ResponseFuture};
use std::io::{BufRead, Read};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") if args.len() == 2 => serve(number(&args[1])),
        Some("client") if args.len() >= 5 => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(client(number(&args[1]), number(&args[2]), number(&args[3]) as u64, &args[4..]));
        }
        _ => {
            eprintln!("usage: scale serve PORTS | scale client CONNECTIONS_PER_ORIGIN DEPTH DELAY_MS ADDR...");
            std::process::exit(2);
        }
    }
}

fn number(text: &str) -> usize {
    text.parse().unwrap_or_else(|_| panic!("not a number: {text}"))
}

fn serve(ports: usize) {
    let servers: Vec<RawServer> = (0..ports).map(|_| RawServer::start(answer_after_delay)).collect();
    for server in &servers {
        println!("addr {}", server.addr());
    }
    println!("ready");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "stats" {
            for server in &servers {
                let stats = server.stats();
                println!(
                    "served addr={} connections={} received={} deepest={}",
                    server.addr(),
                    stats.connections(),
                    stats.total_received(),
                    stats.max_unanswered()
                );
            }
            println!("end");
        }
    }
}

/// The echo, after the target's `delay=MS` if it has one.
fn answer_after_delay(request: &Request) -> Vec<Step> {
    let delay = request
        .target()
        .split_once("delay=")
        .and_then(|(_, ms)| ms.parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_millis);
    vec![Step::Sleep(delay), Step::Write(request.echo())]
}

/// Waits until `done` holds, for at most `limit`.
async fn wait_until(limit: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The resident set once the allocator and the kernel settled.
async fn settled_rss() -> u64 {
    tokio::time::sleep(Duration::from_millis(300)).await;
    rss_bytes()
}

async fn client(per_origin: usize, depth: usize, delay_ms: u64, addrs: &[String]) {
    let connections = per_origin * addrs.len();
    let client = Client::builder()
        .connections(per_origin)
        .depth(1)
        .queue_limit(per_origin * depth)
        .assume_pipelining(true)
        .stall_timeout(Duration::from_secs(60))
        .idle_timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let start = settled_rss();
    let start = start.await;

    // One request per connection at depth 1, each answered after 300 ms,
    // so every connection is opened; then they are idle.
    let opening: Vec<(ResponseFuture, String)> = addrs
        .iter()
        .flat_map(|addr| (0..per_origin).map(move |i| format!("/open/{i}?delay=300")).map(move |t| (addr, t)))
        .map(|(addr, target)| (client.get(&format!("http://{addr}{target}")), target))
        .collect();
    for (response, target) in opening {
        let body =
            async { response.await?.into_body().bytes().await }.await.unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_eq!(body, pipelining_tests::echo_body("GET", &target).as_bytes());
    }
    let opened = client.load();
    assert_eq!(opened.connections, connections, "connections opened: {opened:?}");
    let with_connections = settled_rss().await;

    // DEPTH requests on every connection, unanswered for DELAY_MS.
    client.set_depth(depth).expect("depth");
    let outstanding = connections * depth;
    let held: Vec<ResponseFuture> = addrs
        .iter()
        .flat_map(|addr| (0..per_origin * depth).map(move |i| format!("http://{addr}/held/{i}?delay={delay_ms}")))
        .map(|url| client.get(&url))
        .collect();
    wait_until(Duration::from_secs(10), "every request is on a connection", || {
        let load = client.load();
        load.queued == 0 && load.pending == outstanding
    })
    .await;
    let with_outstanding = settled_rss().await;
    let load = client.load();
    assert_eq!((load.connections, load.pending, load.queued), (connections, outstanding, 0), "{load:?}");
    println!(
        "{{\"rss_start\": {start}, \"rss_connections\": {with_connections}, \"rss_outstanding\": {with_outstanding}, \
         \"connections\": {}, \"pending\": {}, \"held_futures\": {}, \"future_bytes\": {}}}",
        load.connections,
        load.pending,
        held.len(),
        std::mem::size_of::<ResponseFuture>()
    );
    // Hold everything while the benchmark reads the servers' counts.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    // The held requests are cancelled with the process.
    std::process::exit(0);
}
