//! The chaos soak's client, in a process of its own so that its resident
//! set is the client's alone (`tests/tests/chaos_soak.rs` starts it, with
//! nginx and the fault-injecting proxy in the test's process).
//!
//! ```text
//! chaos_client SEED REQUESTS ORIGINS_PER_EPOCH EPOCHS PORT,PORT,…
//! ```
//!
//! It sends the requests of the seed's [`Schedule`] through one client,
//! each to `http://127.0.0.1:PORT` of its origin, keeping [`WINDOW`] in
//! flight, reads every body as it streams and compares it byte for byte
//! with the one expected (a body cut short must still match as far as it
//! came), and prints, as `word key=value…` lines (see
//! `pipelining_tests::memory`):
//!
//! - `o id=ID attempts=N outcome=ok|KIND@head|KIND@body|hung millis=MS`:
//!   one line per request, when its future resolved (or, `hung`, when it
//!   had not after [`HANG_LIMIT`]);
//! - `wrong id=ID what=…`: a response that is not the request's own;
//! - `conn port=PORT ids=ID,ID,…`: when a connection closes, the requests
//!   written on it, whole or begun (read back from the bytes the client
//!   wrote, as the proxy's records are from the bytes it read);
//! - `checkpoint requests=N rss=BYTES millis=MS origins=N connections=N`:
//!   the resident set every twentieth of the way, with the origins the
//!   client remembers and its connections;
//! - `done …`: the client's load at the end and what its observer counted.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use pipelining::Lesson;
use pipelining_peer::RequestParser;
use pipelining_tests::chaos_proxy::partial_target;
use pipelining_tests::chaos_workload::{Job, JobKind, REQUEST_DEADLINE, STALL_TIMEOUT, Schedule, SoakFiles, job_id};
use pipelining_tests::memory::rss_bytes;
use pipelining_tokio::Client;
use pipelining_tokio::Observation;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Requests in flight at once: what the origins of one epoch take (2
/// connections of depth 8 each) and half as many again queued.
const WINDOW_PER_ORIGIN: usize = 24;
/// A request whose future has not resolved this long after it was sent is
/// reported `hung` (the client's own deadline should have ended it).
const HANG_LIMIT: Duration = Duration::from_secs(40);
/// Checkpoints of the resident set.
const CHECKPOINTS: u64 = 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seed, requests, per_epoch, epochs, ports] = args.as_slice() else {
        eprintln!("usage: chaos_client SEED REQUESTS ORIGINS_PER_EPOCH EPOCHS PORT,PORT,…");
        std::process::exit(2);
    };
    let schedule = Schedule {
        seed: number(seed),
        requests: number(requests),
        origins_per_epoch: number(per_epoch) as usize,
        epochs: number(epochs) as usize,
    };
    let ports: Vec<u16> = ports.split(',').map(|p| number(p) as u16).collect();
    assert_eq!(ports.len(), schedule.origins(), "one port per origin");
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(soak(schedule, &ports));
}

fn number(text: &str) -> u64 {
    text.parse().unwrap_or_else(|_| panic!("not a number: {text}"))
}

/// What the observer counted.
#[derive(Default)]
struct Counts {
    connections: AtomicU64,
    breaks: AtomicU64,
    server_closes: AtomicU64,
    stale_races: AtomicU64,
    demotions: AtomicU64,
}

async fn soak(schedule: Schedule, ports: &[u16]) {
    let counts = Arc::new(Counts::default());
    let observed = counts.clone();
    let client = Client::builder()
        .depth(8)
        .connections(2)
        .connect_timeout(Duration::from_secs(5))
        .stall_timeout(STALL_TIMEOUT)
        .request_timeout(REQUEST_DEADLINE)
        // Connections of past epochs close soon: at a thousand requests a
        // second, 5 s would keep some forty of them open, and a shorter
        // epoch (CHAOS_EPOCH=100) hundreds, whose buffers the allocator
        // keeps after they close; that is the soak's doing, not growth.
        .idle_timeout(Duration::from_secs(1))
        .connector(tap_connector())
        .observer(move |observation| match observation {
            Observation::Connected { .. } => {
                observed.connections.fetch_add(1, Ordering::Relaxed);
            }
            Observation::Closed { summary: Some(summary), .. } => {
                let counter = match summary.lesson {
                    Lesson::PipelineBreak => &observed.breaks,
                    Lesson::ServerClose => &observed.server_closes,
                    Lesson::StaleRace => &observed.stale_races,
                    Lesson::Nothing => return,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            Observation::Learned { fact: pipelining::Fact::Demoted { .. }, .. } => {
                observed.demotions.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        })
        .build()
        .expect("client");
    let files = SoakFiles::new();
    let window = WINDOW_PER_ORIGIN * schedule.origins_per_epoch;
    let every = (schedule.requests / CHECKPOINTS).max(1);
    let started = Instant::now();
    let checkpoint = |done: u64, millis: u128| {
        let load = client.load();
        println!(
            "checkpoint requests={done} rss={} millis={millis} origins={} connections={}",
            rss_bytes(),
            load.origins,
            load.connections
        );
    };
    checkpoint(0, 0);
    let mut in_flight = FuturesUnordered::new();
    let mut next = 0;
    let mut done = 0;
    while done < schedule.requests {
        while next < schedule.requests && in_flight.len() < window {
            let job = schedule.job(next);
            let url = format!("http://127.0.0.1:{}{}", ports[job.origin], job.target);
            in_flight.push(run(&client, job, url, &files));
            next += 1;
        }
        let Some(line) = in_flight.next().await else { break };
        println!("{line}");
        done += 1;
        if done % every == 0 {
            checkpoint(done, started.elapsed().as_millis());
        }
    }
    drop(in_flight);
    let load = client.load();
    println!(
        "done requests={done} millis={} outstanding={} pending={} queued={} waiting={} rescues={} connections={} \
         breaks={} server_closes={} stale_races={} demotions={}",
        started.elapsed().as_millis(),
        load.outstanding,
        load.pending,
        load.queued,
        load.waiting,
        client.rescues(),
        counts.connections.load(Ordering::Relaxed),
        counts.breaks.load(Ordering::Relaxed),
        counts.server_closes.load(Ordering::Relaxed),
        counts.stale_races.load(Ordering::Relaxed),
        counts.demotions.load(Ordering::Relaxed),
    );
    // Every connection closes, so its tap reports what was written on it.
    tokio::time::timeout(Duration::from_secs(10), client.close()).await.expect("the client closed");
    drop(client);
    println!("closed");
}

/// Sends one request and reads its response; returns its `o` line (and
/// `wrong` lines before it when the response was not its own).
async fn run(client: &Client, job: Job, url: String, files: &SoakFiles) -> String {
    let started = Instant::now();
    let request = http::Request::builder()
        .method(job.kind.method())
        .uri(url)
        .body(http_body_util::Full::new(bytes::Bytes::from(job.request_body())))
        .expect("a request");
    let response = client.send_raw(request);
    let mut wrong = Vec::new();
    let outcome = tokio::time::timeout(HANG_LIMIT, async {
        let response = match response.await {
            Ok(response) => response,
            Err(e) => return (e.attempts(), format!("{}@head", e.kind().as_str())),
        };
        let attempts = response.attempts();
        let expected = job.expected_body(files);
        if response.status() != 200 {
            wrong.push(format!("status={}", response.status()));
        }
        if matches!(job.kind, JobKind::Get | JobKind::Head) {
            let length = response.header("content-length").map(|v| String::from_utf8_lossy(v).into_owned());
            let size = files.content(&job.path).len().to_string();
            if length.as_deref() != Some(size.as_str()) {
                wrong.push(format!("content-length={length:?}"));
            }
        }
        let mut body = response.into_body();
        let mut at = 0usize;
        while let Some(chunk) = body.chunk().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => return (attempts, format!("{}@body", e.kind().as_str())),
            };
            let end = at + chunk.len();
            if end > expected.len() || expected[at..end] != chunk[..] {
                wrong.push(format!("body_differs_in={at}..{end} expected_len={}", expected.len()));
                // Keep reading, to leave the connection as a caller would.
            }
            at = end;
        }
        if at != expected.len() {
            wrong.push(format!("body_len={at} expected_len={}", expected.len()));
        }
        (attempts, "ok".to_owned())
    })
    .await;
    let (attempts, outcome) = outcome.unwrap_or((0, "hung".to_owned()));
    let mut lines: Vec<String> = wrong.iter().map(|what| format!("wrong id={} what={what}", job.id)).collect();
    lines.push(format!(
        "o id={} attempts={attempts} outcome={outcome} millis={}",
        job.id,
        started.elapsed().as_millis()
    ));
    lines.join("\n")
}

/// A TCP connector (`TCP_NODELAY`, like the default one) whose streams
/// print, when they close, the requests written on them.
fn tap_connector() -> impl pipelining_driver::Connector {
    pipelining_tokio::connector(|origin| async move {
        let tcp = tokio::net::TcpStream::connect((origin.host(), origin.port())).await?;
        tcp.set_nodelay(true)?;
        let port = tcp.local_addr()?.port();
        Ok(TapStream { inner: tcp, parser: RequestParser::default(), port, ids: Vec::new() })
    })
}

struct TapStream {
    inner: tokio::net::TcpStream,
    parser: RequestParser,
    port: u16,
    ids: Vec<u64>,
}

impl Drop for TapStream {
    fn drop(&mut self) {
        // A request the connection ended inside counts as written.
        if let Some(id) = partial_target(self.parser.buffered()).and_then(|t| job_id(&t)) {
            self.ids.push(id);
        }
        let ids: Vec<String> = self.ids.iter().map(u64::to_string).collect();
        println!("conn port={} ids={}", self.port, ids.join(","));
    }
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
            for request in this.parser.push(&data[..n]) {
                if let Some(id) = job_id(&request.target) {
                    this.ids.push(id);
                }
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
