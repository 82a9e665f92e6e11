//! `pipelining bench` (docs/DESIGN.md C2): a sliding window of `depth` requests
//! in flight per connection, every body's length checked; with `--batch`,
//! whole windows instead, each sent only when the last is fully answered.

use crate::flags::{self, ClientFlags};
use crate::proxy_flags::ProxyFlags;
use crate::request_flags::{self, HeaderFlag, RequestTemplate};
use crate::{exit, json, request_list};
use clap::Args;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use pipelining::proxy::ProxyConfig;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `pipelining bench`'s flags.
#[derive(Args)]
pub(crate) struct BenchArgs {
    /// The URL to request over and over.
    url: String,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = flags::depth())]
    depth: usize,
    /// Connections.
    #[arg(long, default_value_t = 1, value_parser = flags::connections(1024))]
    connections: usize,
    /// How long to run, in seconds (default 10).
    #[arg(long, value_name = "SECS", value_parser = flags::parse_seconds, conflicts_with = "count")]
    duration: Option<f64>,
    /// How many requests to make instead of a duration.
    #[arg(short = 'n', value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Send whole windows of `depth` requests per connection and wait for
    /// every response before sending the next window, as wrk does with a
    /// pipelining script, instead of keeping `depth` in flight.
    #[arg(long)]
    batch: bool,
    /// Also measure depth 1 in the same run and report the speedup.
    #[arg(long)]
    compare: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Print connection events to stderr.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Trust the CA certificates of this PEM file instead of the built-in
    /// roots (as curl's --cacert).
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
    #[command(flatten)]
    proxy: ProxyFlags,
    /// Add this header field to every request (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = request_flags::parse_header)]
    header_fields: Vec<HeaderFlag>,
}

/// Runs `pipelining bench`.
pub(crate) async fn run(args: BenchArgs) -> ExitCode {
    if let Err(e) = request_list::parse_url(&args.url) {
        return exit::usage_error(e);
    }
    let proxies = match args.proxy.resolve() {
        Ok(proxies) => proxies,
        Err(e) => return exit::usage_error(e),
    };
    let stop = match (args.count, args.duration) {
        (Some(n), _) => Stop::Count(n),
        (None, Some(secs)) => Stop::After(Duration::from_secs_f64(secs)),
        (None, None) => Stop::After(Duration::from_secs(10)),
    };
    let cacert = match flags::read_cacert(args.cacert.as_deref()) {
        Ok(cacert) => cacert,
        Err(e) => return exit::usage_error(e),
    };
    let headers = match RequestTemplate::headers_only(&args.header_fields) {
        Ok(template) => template.headers().clone(),
        Err(e) => return exit::usage_error(e),
    };
    let options = BenchOptions {
        url: args.url,
        // Every measurement starts one try per request: a failure is an error.
        client: ClientFlags { depth: args.depth, connections: args.connections, max_tries: Some(1), timeout: None },
        stop,
        batch: args.batch,
        verbose: args.verbose,
        cacert,
        proxies,
        headers,
    };
    match measure_and_print(&options, args.compare, args.json).await {
        // A client that cannot be built (a --cacert without a certificate)
        // is bad input: nothing was sent.
        Err(e) if e.kind() == pipelining_tokio::ErrorKind::InvalidRequest => exit::usage_error(e),
        outcome => exit::after_run(outcome),
    }
}

/// When a measurement stops issuing requests.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// Stop issuing after this long.
    After(Duration),
    /// Stop after this many requests.
    Count(u64),
}

/// Settings of one bench run.
#[derive(Clone, Debug)]
struct BenchOptions {
    /// The URL requested over and over.
    url: String,
    /// Depth, connections and tries of the measured client (the baseline's
    /// depth is 1).
    client: ClientFlags,
    /// When to stop.
    stop: Stop,
    /// Refill the window only when it is empty (`--batch`).
    batch: bool,
    /// Print connection events.
    verbose: bool,
    /// `--cacert`'s certificates, trusted instead of the built-in roots.
    cacert: Option<Vec<u8>>,
    /// Where requests go through a proxy (`--proxy`, the environment).
    proxies: ProxyConfig,
    /// `-H`'s fields, on every request.
    headers: http::HeaderMap,
}

/// What one measurement found.
#[derive(Clone, Debug, PartialEq)]
struct Measurement {
    /// Requests answered with a consistent body.
    requests: u64,
    /// Wall time of the measurement.
    seconds: f64,
    /// Body bytes received.
    body_bytes: u64,
    /// Failed requests and inconsistent bodies.
    errors: u64,
    /// Depth used.
    depth: usize,
    /// Connections used.
    connections: usize,
    /// Latencies in microseconds, sorted.
    latencies: Vec<u64>,
}

impl Measurement {
    /// Requests per second.
    fn rps(&self) -> f64 {
        if self.seconds > 0.0 { self.requests as f64 / self.seconds } else { 0.0 }
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1] as f64 / 1000.0
    }

    /// The C2 JSON object.
    fn json_object(&self) -> json::Object {
        let latency = json::Object::default()
            .field("p50", json::number(self.percentile_ms(50.0), 3))
            .field("p90", json::number(self.percentile_ms(90.0), 3))
            .field("p99", json::number(self.percentile_ms(99.0), 3))
            .field("max", json::number(self.percentile_ms(100.0), 3))
            .finish();
        let bytes_per_sec = if self.seconds > 0.0 { self.body_bytes as f64 / self.seconds } else { 0.0 };
        json::Object::default()
            .field("requests", self.requests.to_string())
            .field("seconds", json::number(self.seconds, 3))
            .field("rps", json::number(self.rps(), 1))
            .field("bytes_per_sec", json::number(bytes_per_sec, 0))
            .field("errors", self.errors.to_string())
            .field("depth", self.depth.to_string())
            .field("connections", self.connections.to_string())
            .field("latency_ms", latency)
    }

    fn human(&self, label: &str) -> String {
        format!(
            "{label}: depth {} × {} connection{}\n  {:.0} requests/s\n  {} requests in {:.2} s, {} errors, {:.1} MB/s of bodies\n  latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.depth,
            self.connections,
            if self.connections == 1 { "" } else { "s" },
            self.rps(),
            self.requests,
            self.seconds,
            self.errors,
            self.body_bytes as f64 / self.seconds.max(f64::MIN_POSITIVE) / 1e6,
            self.percentile_ms(50.0),
            self.percentile_ms(90.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0),
        )
    }
}

/// One request's result: body length, whether it was consistent, latency.
struct Sample {
    bytes: u64,
    ok: bool,
    micros: u64,
}

/// Runs one measurement at `depth` with its own client (the origin starts
/// unknown).
async fn measure(options: &BenchOptions, depth: usize) -> Result<Measurement, pipelining_tokio::Error> {
    let flags = ClientFlags { depth, ..options.client };
    let mut builder = flags::trust(flags.builder(), options.cacert.as_deref()).proxy_config(options.proxies.clone());
    if options.verbose {
        builder = builder.observer(crate::verbose::observe);
    }
    let client = builder.build()?;
    let window = depth * flags.connections;
    let mut in_flight = Window::new(flags.connections);
    let mut issued = 0u64;
    let mut expected_len: Option<u64> = None;
    let mut m = Measurement {
        requests: 0,
        seconds: 0.0,
        body_bytes: 0,
        errors: 0,
        depth,
        connections: flags.connections,
        latencies: Vec::new(),
    };
    // Parsed once: each request clones it (reference counts, no copy).
    let uri: http::Uri = options.url.parse().map_err(|e: http::uri::InvalidUri| {
        pipelining_tokio::Error::from(pipelining::dispatch::RequestError {
            kind: pipelining_tokio::ErrorKind::InvalidRequest,
            message: e.to_string(),
            attempts: 0,
            os_code: None,
        })
    })?;
    let start = Instant::now();
    loop {
        // A sliding window tops up after every response; a batch waits until
        // the whole window is answered, then sends the next one whole.
        let refill = !options.batch || in_flight.is_empty();
        while refill
            && in_flight.len() < window
            && match options.stop {
                Stop::After(d) => start.elapsed() < d,
                Stop::Count(n) => issued < n,
            }
        {
            issued += 1;
            let mut request = http::Request::new(http_body_util::Empty::<bytes::Bytes>::new());
            *request.uri_mut() = uri.clone();
            if !options.headers.is_empty() {
                *request.headers_mut() = options.headers.clone();
            }
            in_flight.push(Exchange::Head { response: client.send_raw(request), sent: start });
        }
        let Some(sample) = in_flight.next().await else { break };
        match sample {
            Some(Sample { bytes, ok, micros }) => {
                // Without Content-Length, every body must match the first.
                let consistent = ok && *expected_len.get_or_insert(bytes) == bytes;
                if consistent {
                    m.requests += 1;
                    m.body_bytes += bytes;
                    m.latencies.push(micros);
                } else {
                    m.errors += 1;
                }
            }
            None => m.errors += 1,
        }
    }
    m.seconds = start.elapsed().as_secs_f64();
    m.latencies.sort_unstable();
    Ok(m)
}

/// The requests in flight. With one connection responses come back in
/// order, so awaiting the oldest is exact and costs nothing per request;
/// with several, whichever finishes first frees its slot.
enum Window {
    InOrder(std::collections::VecDeque<Exchange>),
    AnyOrder(FuturesUnordered<Exchange>),
}

impl Window {
    fn new(connections: usize) -> Self {
        if connections == 1 { Window::InOrder(Default::default()) } else { Window::AnyOrder(FuturesUnordered::new()) }
    }

    fn len(&self) -> usize {
        match self {
            Window::InOrder(queue) => queue.len(),
            Window::AnyOrder(set) => set.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, exchange: Exchange) {
        match self {
            Window::InOrder(queue) => queue.push_back(exchange),
            Window::AnyOrder(set) => set.push(exchange),
        }
    }

    /// The next request to finish; `None` when none is in flight.
    async fn next(&mut self) -> Option<Option<Sample>> {
        match self {
            Window::InOrder(queue) => {
                let front = queue.front_mut()?;
                let sample = front.await;
                queue.pop_front();
                Some(sample)
            }
            Window::AnyOrder(set) => set.next().await,
        }
    }
}

/// One request of the bench, from its response head to its last body byte.
enum Exchange {
    Head { response: pipelining_tokio::RawResponseFuture, sent: Instant },
    Body { body: pipelining_tokio::Body, started: Instant, declared: Option<u64>, bytes: u64 },
    Done,
}

impl std::future::Future for Exchange {
    type Output = Option<Sample>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Sample>> {
        use std::task::Poll;
        loop {
            match &mut *self {
                Exchange::Head { response, sent } => {
                    let response = match std::pin::Pin::new(response).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(response)) => response,
                        Poll::Ready(Err(_)) => {
                            *self = Exchange::Done;
                            return Poll::Ready(None);
                        }
                    };
                    // Latency counts from the request's write (C2), when the
                    // driver saw it: every request that got a response was
                    // written, so the run's start is only a formal fallback.
                    let started = response.written().map_or(*sent, |w| w.at);
                    let declared = match response.head().framing {
                        pipelining::h1::Framing::Length(n) => Some(n),
                        _ => None,
                    };
                    *self = Exchange::Body { body: response.into_body(), started, declared, bytes: 0 };
                }
                Exchange::Body { body, started, declared, bytes } => {
                    match futures_util::Stream::poll_next(std::pin::Pin::new(body), cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Some(Ok(chunk))) => *bytes += chunk.len() as u64,
                        Poll::Ready(Some(Err(_))) => {
                            *self = Exchange::Done;
                            return Poll::Ready(None);
                        }
                        Poll::Ready(None) => {
                            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                            let sample = Sample { bytes: *bytes, ok: declared.is_none_or(|d| d == *bytes), micros };
                            *self = Exchange::Done;
                            return Poll::Ready(Some(sample));
                        }
                    }
                }
                Exchange::Done => return Poll::Ready(None),
            }
        }
    }
}

/// Runs the bench (and the depth-1 baseline with `--compare`) and prints
/// the result. Returns whether every request succeeded.
async fn measure_and_print(
    options: &BenchOptions,
    compare: bool,
    json_out: bool,
) -> Result<bool, pipelining_tokio::Error> {
    let main = measure(options, options.client.depth).await?;
    let baseline = if compare { Some(measure(options, 1).await?) } else { None };
    let ok = main.errors == 0 && baseline.as_ref().is_none_or(|b| b.errors == 0);
    if json_out {
        let mut object = main.json_object();
        if let Some(b) = &baseline {
            let speedup = if b.rps() > 0.0 { main.rps() / b.rps() } else { 0.0 };
            object = object.field("baseline", b.json_object().finish()).field("speedup", json::number(speedup, 2));
        }
        println!("{}", object.finish());
    } else {
        let mode = if options.batch { "pipelined in batches" } else { "pipelined" };
        println!("{}", main.human(&format!("{mode} {}", options.url)));
        if let Some(b) = &baseline {
            println!("{}", b.human("baseline"));
            println!("  speedup {:.2}×", if b.rps() > 0.0 { main.rps() / b.rps() } else { 0.0 });
        }
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let m = Measurement {
            requests: 4,
            seconds: 2.0,
            body_bytes: 400,
            errors: 0,
            depth: 16,
            connections: 1,
            latencies: vec![1000, 2000, 3000, 4000],
        };
        assert_eq!(m.percentile_ms(50.0), 2.0);
        assert_eq!(m.percentile_ms(99.0), 4.0);
        assert_eq!(
            m.json_object().finish(),
            r#"{"requests":4,"seconds":2,"rps":2,"bytes_per_sec":200,"errors":0,"depth":16,"connections":1,"latency_ms":{"p50":2,"p90":4,"p99":4,"max":4}}"#
        );
    }
}
