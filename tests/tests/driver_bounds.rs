//! The client's bounds under load (issue 18): the queues behind a full
//! origin, the memory of origins touched once, and a graceful close.
//!
//! The sizes are the issue's, the same in CI and in the full run
//! (docs/BENCHMARKS.md, "Long tests: memory and bounds"); each runs in
//! seconds even in a debug build.

use futures_util::StreamExt;
use futures_util::future::join_all;
use futures_util::stream::FuturesOrdered;
use pipelining::Capability;
use pipelining_tests::hyper_server::HyperServer;
use pipelining_tokio::{Client, ErrorKind, Load};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Runs `test` on a two-thread tokio runtime, failing it after `limit`.
fn run<F: Future<Output = ()>>(limit: Duration, test: F) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        tokio::time::timeout(limit, test).await.expect("the test hung");
    });
}

/// The most of each of [`Load`]'s counts seen.
#[derive(Clone, Copy, Debug, Default)]
struct MostSeen {
    queued: usize,
    pending: usize,
    waiting: usize,
    samples: usize,
    /// Samples with callers waiting for room while the queue was empty.
    starved: usize,
}

impl MostSeen {
    fn add(&mut self, load: Load) {
        self.queued = self.queued.max(load.queued);
        self.pending = self.pending.max(load.pending);
        self.waiting = self.waiting.max(load.waiting);
        self.samples += 1;
        if load.waiting > 0 && load.queued == 0 {
            self.starved += 1;
        }
    }
}

/// Samples a client's [`Load`] on a thread of its own, as often as it can,
/// until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<MostSeen>,
}

impl Sampler {
    fn start(client: Client) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = MostSeen::default();
            while !flag.load(Ordering::SeqCst) {
                seen.add(client.load());
                std::thread::sleep(Duration::from_micros(100));
            }
            seen
        });
        Sampler { stop, thread }
    }

    fn stop(self) -> MostSeen {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("sampler")
    }
}

/// One task sends 100,000 GETs to one origin whose queue holds 1,024,
/// keeping 4,096 in flight, so most of the time callers wait for room.
/// Sampled from the sending task after every send and from another thread
/// throughout, the client never holds more than the queue limit waiting
/// (`queued`) nor more than the queue limit plus depth × connections
/// submitted and unfinished (`pending`); every request completes with its
/// own body; and each connection's requests reach the server in the order
/// they were sent (a sequence number in every target).
#[test]
fn backpressure_bounds_the_queues_and_keeps_submission_order() {
    const LIMIT: usize = 1024;
    const DEPTH: usize = 16;
    const CONNECTIONS: usize = 2;
    const WINDOW: usize = 4 * LIMIT;
    let requests = 100_000;
    run(Duration::from_secs(300), async {
        let server = HyperServer::start();
        let client = Client::builder()
            .depth(DEPTH)
            .connections(CONNECTIONS)
            .queue_limit(LIMIT)
            .stall_timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let sampler = Sampler::start(client.clone());
        let mut seen = MostSeen::default();
        let mut in_flight = FuturesOrdered::new();
        let mut completed = 0usize;
        let mut check = |(sequence, body): (usize, Result<bytes::Bytes, pipelining_tokio::Error>)| {
            assert_eq!(sequence, completed, "outcomes out of order");
            let body = body.unwrap_or_else(|e| panic!("request {sequence} failed: {e}"));
            assert_eq!(body, pipelining_tests::echo_body("GET", &format!("/seq/{sequence}")).as_bytes());
            completed += 1;
        };
        for sequence in 0..requests {
            if in_flight.len() >= WINDOW {
                check(in_flight.next().await.expect("a request in flight"));
            }
            let response = client.get(&server.url(&format!("/seq/{sequence}")));
            in_flight.push_back(async move {
                let body = match response.await {
                    Ok(response) => response.into_body().bytes().await,
                    Err(e) => Err(e),
                };
                (sequence, body)
            });
            seen.add(client.load());
        }
        while let Some(outcome) = in_flight.next().await {
            check(outcome);
        }
        let elsewhere = sampler.stop();
        eprintln!("most seen from the sending task: {seen:?}; from another thread: {elsewhere:?}");
        assert_eq!(completed, requests);
        for most in [seen, elsewhere] {
            assert!(most.queued <= LIMIT, "{} requests queued over a limit of {LIMIT}", most.queued);
            assert!(
                most.pending <= LIMIT + DEPTH * CONNECTIONS,
                "{} requests held over {LIMIT} + {DEPTH} × {CONNECTIONS}",
                most.pending
            );
        }
        // The limit was reached and callers did wait: the bound was tested.
        assert_eq!(seen.queued, LIMIT, "the queue never filled");
        assert!(seen.waiting > 0, "no caller ever waited for room");
        let load = client.load();
        assert_eq!((load.queued, load.pending, load.outstanding, load.waiting), (0, 0, 0, 0), "{load:?}");

        let stats = server.stats();
        assert!(stats.connections() <= CONNECTIONS, "{} connections", stats.connections());
        let mut every = Vec::with_capacity(requests);
        for (conn, c) in stats.conns.iter().enumerate() {
            let sequences: Vec<usize> = c
                .targets
                .iter()
                .map(|t| t.strip_prefix("/seq/").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("target {t}")))
                .collect();
            if let Some(w) = sequences.windows(2).find(|w| w[0] >= w[1]) {
                panic!("connection {conn} received /seq/{} before /seq/{}", w[0], w[1]);
            }
            every.extend(sequences);
        }
        every.sort_unstable();
        assert_eq!(every.len(), requests, "requests received");
        assert!(every.iter().enumerate().all(|(i, &s)| i == s), "each request received exactly once");
    });
}

/// 10,000 origins (`o0.test` … `o9999.test`, every one connected to one
/// local server), each sent one request whose HTTP/1.1 keep-alive response
/// teaches the client the origin pipelines, then left alone. Connections
/// close after 100 ms idle and origins are remembered 1 s after their last
/// connection closed (the cap on remembered origins set well above 10,000,
/// so only expiry can clear them): a little after that, with nothing sent
/// meanwhile, the client holds nothing for any of them.
#[test]
fn origins_touched_once_are_forgotten_when_their_memory_expires() {
    const IDLE: Duration = Duration::from_millis(100);
    const MEMORY: Duration = Duration::from_secs(1);
    const BATCH: usize = 100;
    let origins = 10_000;
    run(Duration::from_secs(300), async {
        let server = HyperServer::start();
        let addr = server.addr();
        let client = Client::builder()
            .connections(1)
            .idle_timeout(IDLE)
            .origin_memory(MEMORY)
            .max_origins(4 * origins)
            .stall_timeout(Duration::from_secs(10))
            .connector(pipelining_tokio::connector(move |_origin| tokio::net::TcpStream::connect(addr)))
            .build()
            .expect("client");
        let mut learned = 0;
        let mut most_remembered = 0;
        for first in (0..origins).step_by(BATCH) {
            // Few sockets at once: wait for idle connections to close.
            while client.load().connections > 2 * BATCH {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let batch = first..(first + BATCH).min(origins);
            let outcomes = join_all(batch.clone().map(|i| {
                let response = client.get(&format!("http://o{i}.test/o{i}"));
                async move { response.await?.into_body().bytes().await }
            }))
            .await;
            for (i, outcome) in batch.clone().zip(outcomes) {
                let body = outcome.unwrap_or_else(|e| panic!("o{i}.test failed: {e}"));
                assert_eq!(body, pipelining_tests::echo_body("GET", &format!("/o{i}")).as_bytes());
            }
            for i in batch {
                let uri: http::Uri = format!("http://o{i}.test/").parse().expect("uri");
                let origin = pipelining_driver::origin_of(&uri).expect("origin");
                let status = client.origin_status(&origin).unwrap_or_else(|| panic!("o{i}.test unknown right after"));
                if status.capability == Capability::Pipelining {
                    learned += 1;
                }
            }
            most_remembered = most_remembered.max(client.load().origins);
        }
        let last_sent = Instant::now();
        assert_eq!(learned, origins, "origins that learned they pipeline");
        let load = client.load();
        eprintln!("after the last request: {load:?}; the most origins held at once: {most_remembered}");
        assert!(load.origins >= BATCH, "the last origins were forgotten at once: {load:?}");
        let deadline = last_sent + IDLE + MEMORY + Duration::from_secs(3);
        while Instant::now() < deadline && (client.load().origins > 0 || client.load().connections > 0) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let load = client.load();
        eprintln!("{:?} after the last request: {load:?}", last_sent.elapsed());
        assert_eq!((load.origins, load.connections), (0, 0), "state left after the memory expired: {load:?}");
        assert_eq!((load.queued, load.pending, load.outstanding, load.waiting), (0, 0, 0, 0), "{load:?}");
        assert!(client.origins().is_empty());
        assert!(last_sent.elapsed() >= MEMORY, "origins forgotten before their memory expired");
    });
}

/// `close()` lets what was sent finish and refuses the rest: 40 GETs sent
/// (8 on the wire at depth 4 × 2 connections, 32 queued), each answered
/// after 200 ms, then `close()`. Requests sent after it fail with
/// `connection_lost` (`try_send` hands its request back); `close()` stays
/// pending while the 40 are outstanding, all 40 complete with their own
/// bodies, and it resolves once every connection is closed — not before the
/// last response.
#[test]
fn close_drains_what_was_sent_and_refuses_the_rest() {
    const SENT: usize = 40;
    run(Duration::from_secs(60), async {
        let server = HyperServer::start();
        let client =
            Client::builder().depth(4).connections(2).stall_timeout(Duration::from_secs(10)).build().expect("client");
        let mut finished = Vec::new();
        for i in 0..SENT {
            let response = client.get(&server.url(&format!("/c{i}?delay=200")));
            finished.push(tokio::spawn(async move { response.await?.into_body().bytes().await }));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.stats().total_received() == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(client.load().pending > 0, "the requests finished before the close: {:?}", client.load());
        let closing = client.close();
        // What the client holds the moment close() resolves.
        let watcher = client.clone();
        let mut closed = tokio::spawn(async move {
            closing.await;
            watcher.load()
        });

        // Sent after close(): refused.
        let late = client.get(&server.url("/late")).await;
        assert_eq!(late.map(|_| ()).map_err(|e| e.kind()), Err(ErrorKind::ConnectionLost));
        let request = http::Request::get(server.url("/late-try"))
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .expect("request");
        match client.try_send(request) {
            Ok(_) => panic!("try_send took a request after close()"),
            Err(refused) => {
                assert_eq!(refused.error.kind(), ErrorKind::ConnectionLost);
                assert_eq!(refused.request.uri().path(), "/late-try", "the request handed back");
            }
        }

        for (i, task) in finished.into_iter().enumerate() {
            let body = task.await.expect("task").unwrap_or_else(|e| panic!("request {i} failed: {e}"));
            assert_eq!(body, pipelining_tests::echo_body("GET", &format!("/c{i}?delay=200")).as_bytes());
            if i == 0 {
                // The server answers one request per connection every
                // 200 ms: most are still to come.
                assert!(!closed.is_finished(), "close() resolved with requests outstanding: {:?}", client.load());
            }
        }
        let at_close = match tokio::time::timeout(Duration::from_secs(5), &mut closed).await {
            Ok(load) => load.expect("task"),
            Err(_) => panic!("close() did not resolve within 5 s of the last response: {:?}", client.load()),
        };
        assert_eq!(
            (at_close.connections, at_close.pending, at_close.outstanding),
            (0, 0, 0),
            "close() resolved before everything finished: {at_close:?}"
        );
        let stats = server.stats();
        assert_eq!(stats.total_received(), SENT, "only the requests sent before close() reached the server");
        let deadline = Instant::now() + Duration::from_secs(2);
        while !server.stats().conns.iter().all(|c| c.closed) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(server.stats().conns.iter().all(|c| c.closed), "the server still has a connection open");
    });
}

/// `close()` with responses nobody has taken yet: the server answers all
/// of them and the connections close while the callers hold their futures
/// unpolled, so `close()` waits on the callers alone; it resolves when
/// they take the last response, with nothing else happening after.
#[test]
fn close_resolves_when_the_last_response_is_taken_after_the_connections_closed() {
    const SENT: usize = 12;
    run(Duration::from_secs(60), async {
        let server = HyperServer::start();
        let client =
            Client::builder().depth(4).connections(2).stall_timeout(Duration::from_secs(10)).build().expect("client");
        // Queued at once, not polled yet.
        let responses: Vec<_> = (0..SENT).map(|i| client.get(&server.url(&format!("/u{i}")))).collect();
        let closing = client.close();
        let watcher = client.clone();
        let mut closed = tokio::spawn(async move {
            closing.await;
            watcher.load()
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while (client.load().pending > 0 || client.load().connections > 0) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let load = client.load();
        assert_eq!((load.pending, load.connections, load.outstanding), (0, 0, SENT), "{load:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!closed.is_finished(), "close() resolved with {SENT} responses not taken");
        for (i, response) in responses.into_iter().enumerate() {
            let body = async { response.await?.into_body().bytes().await }
                .await
                .unwrap_or_else(|e| panic!("request {i} failed: {e}"));
            assert_eq!(body, pipelining_tests::echo_body("GET", &format!("/u{i}")).as_bytes());
        }
        let at_close = match tokio::time::timeout(Duration::from_secs(5), &mut closed).await {
            Ok(load) => load.expect("task"),
            Err(_) => panic!("close() did not resolve after the last response was taken: {:?}", client.load()),
        };
        assert_eq!((at_close.connections, at_close.pending, at_close.outstanding), (0, 0, 0), "{at_close:?}");
        assert_eq!(server.stats().total_received(), SENT);
    });
}
