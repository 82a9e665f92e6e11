//! Against Python's `http.server`, started by each test on loopback over a
//! tree of files with known content (`pipelining_tests::real`): as shipped
//! (HTTP/1.0: it must work and is never pipelined) and with
//! `protocol_version = "HTTP/1.1"` (pipelined).

use bytes::Bytes;
use pipelining::Capability;
use pipelining::{CloseReason, Lesson};
use pipelining_tests::real::{PythonServer, Watch, WireTap, expect_body, max_in_flight, run, send_all};
use pipelining_tokio::{Client, WholeResponse};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn client(depth: usize, connections: usize, tap: &Arc<WireTap>, watch: &Arc<Watch>) -> Client {
    Client::builder()
        .depth(depth)
        .connections(connections)
        .connect_timeout(Duration::from_secs(5))
        .stall_timeout(Duration::from_secs(10))
        .connector(tap.connector())
        .observer(watch.observer())
        .build()
        .expect("client")
}

/// What a job expects: 200 with the file, 200 and no body (HEAD), or 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    File,
    Head,
    Missing,
}

/// `count` jobs over the tree's files up to `max` bytes, with a HEAD and
/// (if `missing`) a 404 every few requests; targets are unique (`?tag=i`).
fn jobs(server: &PythonServer, tag: &str, count: usize, max: usize, missing: bool) -> Vec<(Expect, String)> {
    let paths = server.tree.paths_up_to(max);
    (0..count)
        .map(|i| match i % 9 {
            4 => (Expect::Head, format!("{}?{tag}={i}", paths[i % paths.len()])),
            7 if missing => (Expect::Missing, format!("/no/such/file-{i}?{tag}={i}")),
            _ => (Expect::File, format!("{}?{tag}={i}", paths[i % paths.len()])),
        })
        .collect()
}

/// Sends every job at once (responses buffered whole if `whole`) and
/// checks every response.
async fn fetch_jobs(
    client: &Client,
    server: &PythonServer,
    jobs: &[(Expect, String)],
    whole: bool,
) -> Vec<Result<pipelining_tests::real::Fetched, pipelining_tokio::Error>> {
    let requests = jobs
        .iter()
        .map(|(expect, target)| {
            let mut builder = if *expect == Expect::Head {
                http::Request::head(server.url(target))
            } else {
                http::Request::get(server.url(target))
            };
            if whole {
                builder = builder.extension(WholeResponse);
            }
            builder.body(http_body_util::Empty::<Bytes>::new()).expect("request")
        })
        .collect();
    let results = send_all(client, requests).await;
    for ((expect, target), got) in jobs.iter().zip(&results) {
        match expect {
            Expect::File => expect_body(&format!("GET {target}"), got, 200, server.tree.content(target)),
            Expect::Head => {
                expect_body(&format!("HEAD {target}"), got, 200, b"");
                let size = server.tree.content(target).len().to_string();
                let length = got.as_ref().ok().and_then(|f| f.header("content-length"));
                assert_eq!(length, Some(size.as_str()), "HEAD {target}");
            }
            Expect::Missing => {
                let got = got.as_ref().unwrap_or_else(|e| panic!("GET {target}: {e}"));
                assert_eq!(got.status, 404, "GET {target}");
                assert!(!got.body.is_empty(), "GET {target}: Python's error page");
            }
        }
    }
    results
}

fn method(expect: Expect) -> &'static str {
    if expect == Expect::Head { "HEAD" } else { "GET" }
}

/// `python3 -m http.server` answers in HTTP/1.0 and closes after every
/// response: the client finds it cannot pipeline (capability
/// `OneAtATime`), sends one request per connection, and every request
/// succeeds and reaches the server once.
#[test]
#[ignore = "needs python3"]
fn http_server_as_shipped_http10_one_request_per_connection() {
    let mut server = PythonServer::shipped();
    let jobs = jobs(&server, "i", 36, 1 << 20, true);
    run(async {
        let tap = WireTap::new();
        let watch = Watch::new();
        let client = client(8, 2, &tap, &watch);
        fetch_jobs(&client, &server, &jobs, false).await;

        let status = client.origin_status(&server.origin()).expect("origin");
        assert_eq!(status.capability, Capability::OneAtATime, "{status:?}");
        assert!(watch.capabilities().contains(&Capability::OneAtATime), "{:?}", watch.capabilities());
        assert!(!watch.capabilities().contains(&Capability::Pipelining), "{:?}", watch.capabilities());
        // Each connection carried one request, and each request went once.
        let conns = tap.conns();
        assert!(conns.iter().all(|c| c.written.len() <= 1), "a connection carried several requests: {conns:?}");
        assert_eq!(conns.iter().filter(|c| c.written.len() == 1).count(), jobs.len(), "{conns:?}");
        assert!(watch.closed().iter().all(|c| c.responses <= 1), "{:?}", watch.closed());
        assert!(watch.max_open() <= 2);
    });
    let logged = server.requests_logged(jobs.len());
    assert_eq!(logged.len(), jobs.len(), "{logged:?}");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, request, _) in &logged {
        *seen.entry(request.clone()).or_default() += 1;
    }
    for (expect, target) in &jobs {
        let request = format!("{} {target}", method(*expect));
        assert_eq!(seen.get(&request), Some(&1), "{request} logged {:?} times", seen.get(&request));
    }
}

/// `SimpleHTTPRequestHandler` with `protocol_version = "HTTP/1.1"` keeps
/// connections alive and reads pipelined requests one after another: the
/// client pipelines, every body is right and every request reached the
/// server once, on a connection it was written on.
#[test]
#[ignore = "needs python3"]
fn http_server_http11_pipelines() {
    let mut server = PythonServer::http11();
    let mut jobs = jobs(&server, "j", 90, 1 << 20, false);
    jobs[45] = (Expect::File, "/f/size-8388608.bin?big".to_owned());
    let tap = WireTap::new();
    let watch = Watch::new();
    run(async {
        let client = client(8, 2, &tap, &watch);
        let results = fetch_jobs(&client, &server, &jobs, false).await;

        let status = client.origin_status(&server.origin()).expect("origin");
        assert_eq!(status.capability, Capability::Pipelining, "{status:?}");
        assert!(!watch.capabilities().contains(&Capability::OneAtATime), "{:?}", watch.capabilities());
        let fetched: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        let depth = max_in_flight(&fetched);
        assert!((2..=8).contains(&depth), "{depth} requests in flight on one connection");
        assert!(watch.max_open() <= 2);
        assert!(watch.closed().iter().all(|c| c.lesson != Lesson::PipelineBreak), "{:?}", watch.closed());
    });
    let conns = tap.conns();
    assert!(conns.iter().any(|c| c.written.len() >= 3), "never pipelined: {conns:?}");
    // Each request reached the server once, on a connection it was
    // written on (the client port the script logs).
    let logged = server.requests_logged(jobs.len());
    let mut seen: HashMap<String, Vec<u16>> = HashMap::new();
    for (port, request, _) in &logged {
        seen.entry(request.clone()).or_default().push(port.expect("the HTTP/1.1 script logs the client port"));
    }
    for (expect, target) in &jobs {
        let request = format!("{} {target}", method(*expect));
        let ports = seen.get(&request).cloned().unwrap_or_default();
        assert_eq!(ports.len(), 1, "{request} logged {} times", ports.len());
        let written_on: Vec<u16> =
            conns.iter().filter(|c| c.written.contains(&request)).map(|c| c.local_port).collect();
        assert!(written_on.contains(&ports[0]), "{request} answered on port {}, written on {written_on:?}", ports[0]);
    }
    let mut per_port: HashMap<u16, usize> = HashMap::new();
    for ports in seen.values() {
        *per_port.entry(ports[0]).or_default() += 1;
    }
    assert!(per_port.values().any(|&n| n >= 3), "no connection served several requests: {per_port:?}");
}

/// Python's 404s say `Connection: close`, and it then closes without
/// draining the pipelined requests it did not read: the kernel resets the
/// connection and may discard the end of a response sent before the 404.
/// Requests written behind a 404 are resent (RFC 9112 §9.6: the server did
/// not process them), responses cut off are replayed whole (the requests
/// are GETs), so every request still gets its whole, right response —
/// and reaches the server no more often than it was written.
#[test]
#[ignore = "needs python3"]
fn http_server_http11_404_closes_mid_pipeline() {
    let mut server = PythonServer::http11();
    let jobs = jobs(&server, "k", 72, 1 << 20, true);
    let tap = WireTap::new();
    let watch = Watch::new();
    let results = run(async {
        let client = client(8, 2, &tap, &watch);
        fetch_jobs(&client, &server, &jobs, true).await
    });
    let logged = server.requests_logged(jobs.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, request, _) in &logged {
        *seen.entry(request.clone()).or_default() += 1;
    }
    for ((expect, target), got) in jobs.iter().zip(&results) {
        let request = format!("{} {target}", method(*expect));
        let attempts = got.as_ref().map_or(0, |f| f.attempts) as usize;
        let times = seen.get(&request).copied().unwrap_or(0);
        assert!(times >= 1 && times <= attempts, "{request} logged {times} times, written {attempts} times");
        assert!(
            tap.written(&request) <= attempts,
            "{request} written {} times, attempts {attempts}",
            tap.written(&request)
        );
    }
    let closed = watch.closed();
    let resent = results.iter().filter(|r| r.as_ref().is_ok_and(|f| f.attempts > 1)).count();
    // Closed after a response that said `close`: a 404 here.
    let after_404: Vec<_> = closed.iter().filter(|c| c.reason == CloseReason::ServerClose).collect();
    eprintln!(
        "{} connections, {} closed after a 404, {} pipeline breaks, {resent} requests resent; capabilities {:?}",
        closed.len(),
        after_404.len(),
        closed.iter().filter(|c| c.lesson == Lesson::PipelineBreak).count(),
        watch.capabilities()
    );
    assert!(!after_404.is_empty(), "no 404 closed a connection: {closed:?}");
    // A close after an error response teaches nothing (P11).
    assert!(after_404.iter().all(|c| c.lesson == Lesson::Nothing), "{after_404:?}");
}
