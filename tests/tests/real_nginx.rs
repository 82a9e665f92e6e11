//! Against nginx, started by each test on loopback over a tree of files
//! from 0 B to 8 MiB with known content (`pipelining_tests::real`).
//!
//! Every test checks every body byte for byte and, from nginx's access log
//! (which records `$connection $connection_requests $remote_port $pipe
//! $status $body_bytes_sent $request`), how many connections carried the
//! requests, that no request was answered more often than allowed, and the
//! depth where it shows: requests nginx read pipelined (`$pipe`), and the
//! most the client had in flight on one connection.

use bytes::Bytes;
use pipelining::Capability;
use pipelining::Lesson;
use pipelining_tests::real::{
    Fetched, LogLine, LogSummary, Nginx, NginxConfig, Watch, WireTap, expect_body, max_in_flight, run, send_all,
};
use pipelining_tokio::{Client, Error};
use std::collections::HashMap;
use std::io::Read;
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

/// A request of a test: its method and its target, `path?tag=i`, unique in
/// the test so that the access log tells how often it was answered.
type Job = (&'static str, String);

/// `count` jobs over `paths`: GETs, and a HEAD every `head_every`-th.
fn jobs(paths: &[String], tag: &str, count: usize, head_every: Option<usize>) -> Vec<Job> {
    (0..count)
        .map(|i| {
            let method = if head_every.is_some_and(|n| i % n == n - 1) { "HEAD" } else { "GET" };
            (method, format!("{}?{tag}={i}", paths[i % paths.len()]))
        })
        .collect()
}

fn requests(nginx: &Nginx, jobs: &[Job]) -> Vec<http::Request<http_body_util::Empty<Bytes>>> {
    jobs.iter()
        .map(|(method, target)| {
            http::Request::builder()
                .method(*method)
                .uri(nginx.url(target))
                .body(http_body_util::Empty::<Bytes>::new())
                .expect("request")
        })
        .collect()
}

/// Fails unless every GET got its file, whole, and every HEAD its
/// Content-Length and no body.
#[track_caller]
fn expect_files(nginx: &Nginx, jobs: &[Job], results: &[Result<Fetched, Error>]) {
    assert_eq!(jobs.len(), results.len());
    for ((method, target), got) in jobs.iter().zip(results) {
        let content = nginx.tree.content(target);
        if *method == "HEAD" {
            expect_body(&format!("HEAD {target}"), got, 200, b"");
            let length = got.as_ref().ok().and_then(|f| f.header("content-length"));
            assert_eq!(length, Some(content.len().to_string().as_str()), "HEAD {target}");
        } else {
            expect_body(&format!("{method} {target}"), got, 200, content);
        }
    }
}

/// Fails unless each job is in the log exactly once, with the status and
/// body length the client got (for responses framed by Content-Length).
#[track_caller]
fn expect_answered_once(log: &[LogLine], jobs: &[Job], results: &[Result<Fetched, Error>]) {
    let by_request: HashMap<(&str, &str), Vec<&LogLine>> = log.iter().fold(HashMap::new(), |mut map, line| {
        map.entry((line.method.as_str(), line.target.as_str())).or_default().push(line);
        map
    });
    for ((method, target), got) in jobs.iter().zip(results) {
        let lines = by_request.get(&(*method, target.as_str())).map_or(&[][..], |v| &v[..]);
        assert_eq!(lines.len(), 1, "{method} {target} answered {} times by nginx", lines.len());
        let got = got.as_ref().expect("a response");
        assert_eq!(lines[0].status, got.status, "{method} {target}: status logged");
        if got.header("transfer-encoding").is_none() {
            assert_eq!(lines[0].body_bytes, got.body.len() as u64, "{method} {target}: body bytes logged");
        }
    }
}

fn fetched(results: &[Result<Fetched, Error>]) -> Vec<&Fetched> {
    results.iter().filter_map(|r| r.as_ref().ok()).collect()
}

/// nginx closes every connection after `keepalive_requests` responses,
/// mid-pipeline. A first batch teaches the client the request budget; in
/// a second batch no request is written that nginx does not answer: the
/// client's record of what it wrote on each connection (by client port)
/// matches nginx's log exactly, and no connection gets more than the budget.
fn budget_is_learned(keepalive_requests: u32, learn: usize, main: usize) {
    let mut nginx = Nginx::start(&NginxConfig { keepalive_requests, ..NginxConfig::default() });
    let budget = keepalive_requests as usize;
    run(async {
        let tap = WireTap::new();
        let watch = Watch::new();
        let client = client(8, 2, &tap, &watch);
        let paths = nginx.tree.paths_up_to(1 << 20);

        // Learning: whatever the first connections wrote past the close is
        // resent elsewhere.
        let first = jobs(&paths, "learn", learn, Some(5));
        let results = send_all(&client, requests(&nginx, &first)).await;
        expect_files(&nginx, &first, &results);
        let status = client.origin_status(&nginx.origin()).expect("the origin is known");
        assert_eq!(status.budget, Some(budget as u64), "the budget learned from nginx's closes: {status:?}");
        assert_eq!(status.capability, Capability::Pipelining, "{status:?}");
        let log = nginx.access_log(learn);
        expect_answered_once(&log, &first, &results);
        let written_while_learning: usize = tap.conns().iter().map(|c| c.written.len()).sum();
        eprintln!(
            "learning: {learn} requests, {written_while_learning} written, {} connections",
            LogSummary::of(&log).connections()
        );
        assert!(
            written_while_learning <= learn + 2 * 8,
            "{written_while_learning} requests written for {learn} while learning"
        );
        let conns_before = tap.count();

        // Learned: the whole pipeline, with the 8 MiB file in it too.
        let mut second = jobs(&paths, "main", main, Some(5));
        second[main / 2] = ("GET", "/f/size-8388608.bin?main=big".to_owned());
        let results = send_all(&client, requests(&nginx, &second)).await;
        expect_files(&nginx, &second, &results);
        for ((method, target), got) in second.iter().zip(&results) {
            let attempts = got.as_ref().map_or(0, |f| f.attempts);
            assert_eq!(attempts, 1, "{method} {target} written {attempts} times after the budget was learned");
        }
        let log = nginx.access_log(learn + main);
        let main_log: Vec<LogLine> = log.iter().filter(|l| l.target.contains("?main=")).cloned().collect();
        expect_answered_once(&main_log, &second, &results);

        // Written and answered match request for request, connection by
        // connection (the client port nginx logs).
        let conns = tap.conns();
        for (method, target) in &second {
            let request = format!("{method} {target}");
            let wrote: Vec<u16> = conns.iter().filter(|c| c.written.contains(&request)).map(|c| c.local_port).collect();
            let answered: Vec<u16> =
                main_log.iter().filter(|l| l.method == *method && &l.target == target).map(|l| l.remote_port).collect();
            assert_eq!(wrote.len(), 1, "{request} written on {} connections", wrote.len());
            assert_eq!(
                wrote, answered,
                "{request}: written on the connection from port {wrote:?}, answered on {answered:?}"
            );
        }
        for conn in &conns[conns_before..] {
            assert!(
                conn.written.len() <= budget,
                "{} requests written on a connection opened after learning a budget of {budget}",
                conn.written.len()
            );
        }
        let summary = LogSummary::of(&main_log);
        let floor = main.div_ceil(budget);
        assert!(
            summary.connections() >= floor && summary.connections() <= floor + 3,
            "{main} requests on {} connections (budget {budget})",
            summary.connections()
        );
        assert!(LogSummary::of(&log).max_per_connection() <= budget);

        // Depth: pipelined (nginx read requests behind others), never
        // deeper than the budget or the depth.
        assert!(summary.pipelined > 0, "nginx never read a request pipelined");
        let depth = max_in_flight(&fetched(&results));
        assert!((2..=budget.min(8)).contains(&depth), "{depth} requests in flight on one connection");

        // The client's own view: two connections at most, no pipeline
        // break, never demoted.
        assert!(watch.max_open() <= 2, "{} connections at once", watch.max_open());
        let closed = watch.closed();
        assert!(closed.iter().all(|c| c.lesson != Lesson::PipelineBreak), "a pipeline break: {closed:?}");
        assert!(closed.iter().all(|c| c.responses <= budget as u64), "{closed:?}");
        assert!(closed.iter().filter(|c| c.lesson == Lesson::ServerClose).count() >= floor - 1, "{closed:?}");
        assert!(!watch.capabilities().contains(&Capability::OneAtATime), "{:?}", watch.capabilities());
    });
}

#[test]
#[ignore = "needs nginx"]
fn keepalive_requests_3_budget_learned_then_nothing_written_unanswered() {
    budget_is_learned(3, 24, 300);
}

#[test]
#[ignore = "needs nginx"]
fn keepalive_requests_100_budget_learned_then_nothing_written_unanswered() {
    budget_is_learned(100, 250, 750);
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("a gzip body");
    out
}

/// `gzip on`: compressed responses come chunked (nginx drops their
/// Content-Length), pipelined between uncompressed ones framed by
/// Content-Length; every body equals its file after gunzip.
#[test]
#[ignore = "needs nginx"]
fn gzip_chunked_responses_between_content_length_ones() {
    let mut nginx = Nginx::start(&NginxConfig { gzip: true, ..NginxConfig::default() });
    run(async {
        let tap = WireTap::new();
        let watch = Watch::new();
        let client = client(8, 2, &tap, &watch);
        let paths: Vec<String> = nginx.tree.files.keys().cloned().collect();
        let jobs: Vec<(String, bool)> =
            (0..3 * paths.len()).map(|i| (format!("{}?z={i}", paths[i % paths.len()]), i % 3 != 2)).collect();
        let requests = jobs
            .iter()
            .map(|(target, gzip)| {
                let mut request = http::Request::get(nginx.url(target));
                if *gzip {
                    request = request.header("accept-encoding", "gzip");
                }
                request.body(http_body_util::Empty::<Bytes>::new()).expect("request")
            })
            .collect();
        let results = send_all(&client, requests).await;
        let mut chunked = 0;
        for ((target, gzip), got) in jobs.iter().zip(&results) {
            let content = nginx.tree.content(target);
            let got = got.as_ref().unwrap_or_else(|e| panic!("GET {target}: {e}"));
            assert_eq!(got.status, 200, "GET {target}");
            if *gzip {
                assert_eq!(got.header("content-encoding"), Some("gzip"), "GET {target}: {:?}", got.headers);
                assert!(got.header("content-length").is_none(), "GET {target}: {:?}", got.headers);
                assert_eq!(got.header("transfer-encoding"), Some("chunked"), "GET {target}");
                chunked += 1;
                assert!(gunzip(&got.body) == content, "GET {target}: the body differs after gunzip");
            } else {
                assert!(got.header("content-encoding").is_none(), "GET {target}: {:?}", got.headers);
                assert_eq!(got.header("content-length"), Some(content.len().to_string().as_str()));
                assert!(got.body[..] == content[..], "GET {target}: the body differs");
            }
        }
        assert!(chunked >= 2 * paths.len());
        let log = nginx.access_log(jobs.len());
        let all: Vec<Job> = jobs.iter().map(|(t, _)| ("GET", t.clone())).collect();
        expect_answered_once(&log, &all, &results);
        let summary = LogSummary::of(&log);
        assert!(summary.connections() <= 2, "{} connections", summary.connections());
        assert!(summary.pipelined > 0, "nginx never read a request pipelined");
        let depth = max_in_flight(&fetched(&results));
        assert!((2..=8).contains(&depth), "{depth} requests in flight on one connection");
        assert!(watch.max_open() <= 2);
        assert_eq!(tap.conns().iter().map(|c| c.written.len()).sum::<usize>(), jobs.len());
    });
}

/// HEAD (a Content-Length and no body), 304 for a matching
/// `If-None-Match` (the ETag of a first response), 200 for a stale one, and
/// 404s, all in one pipeline.
#[test]
#[ignore = "needs nginx"]
fn head_304_and_404_in_one_pipeline() {
    let mut nginx = Nginx::start(&NginxConfig::default());
    run(async {
        let tap = WireTap::new();
        let watch = Watch::new();
        let client = client(8, 1, &tap, &watch);
        let paths = nginx.tree.paths_up_to(1 << 20);
        let first: Vec<Job> = paths.iter().map(|p| ("GET", format!("{p}?etag"))).collect();
        let results = send_all(&client, requests(&nginx, &first)).await;
        expect_files(&nginx, &first, &results);
        let etags: Vec<String> = results
            .iter()
            .map(|r| r.as_ref().ok().and_then(|f| f.header("etag")).expect("an ETag").to_owned())
            .collect();

        #[derive(Debug)]
        enum Kind {
            Head,
            NotModified,
            Stale,
            Missing,
            Plain,
        }
        let mut jobs: Vec<(Kind, String, String)> = Vec::new();
        for (i, (path, etag)) in paths.iter().zip(&etags).enumerate() {
            jobs.push((Kind::Head, format!("{path}?head={i}"), path.clone()));
            jobs.push((Kind::NotModified, format!("{path}?inm={i}"), etag.clone()));
            jobs.push((Kind::Missing, format!("/missing/{i}?m"), String::new()));
            jobs.push((Kind::Stale, format!("{path}?stale={i}"), path.clone()));
            jobs.push((Kind::Plain, format!("{path}?plain={i}"), path.clone()));
        }
        let requests = jobs
            .iter()
            .map(|(kind, target, etag)| {
                let request = match kind {
                    Kind::Head => http::Request::head(nginx.url(target)),
                    Kind::NotModified => http::Request::get(nginx.url(target)).header("if-none-match", etag),
                    Kind::Stale => http::Request::get(nginx.url(target)).header("if-none-match", "\"0-stale\""),
                    Kind::Missing | Kind::Plain => http::Request::get(nginx.url(target)),
                };
                request.body(http_body_util::Empty::<Bytes>::new()).expect("request")
            })
            .collect();
        let results = send_all(&client, requests).await;
        for ((kind, target, etag), got) in jobs.iter().zip(&results) {
            let what = format!("{kind:?} {target}");
            match kind {
                Kind::Head => {
                    expect_body(&what, got, 200, b"");
                    let size = nginx.tree.content(target).len().to_string();
                    assert_eq!(got.as_ref().ok().and_then(|f| f.header("content-length")), Some(size.as_str()));
                }
                Kind::NotModified => {
                    expect_body(&what, got, 304, b"");
                    assert_eq!(got.as_ref().ok().and_then(|f| f.header("etag")), Some(etag.as_str()), "{what}");
                }
                Kind::Missing => {
                    let got = got.as_ref().unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(got.status, 404, "{what}");
                    assert!(String::from_utf8_lossy(&got.body).contains("404 Not Found"), "{what}: {:?}", got.body);
                }
                Kind::Stale | Kind::Plain => expect_body(&what, got, 200, nginx.tree.content(target)),
            }
        }
        let log = nginx.access_log(first.len() + jobs.len());
        let answered: Vec<Job> = jobs
            .iter()
            .map(|(kind, target, _)| (if matches!(kind, Kind::Head) { "HEAD" } else { "GET" }, target.clone()))
            .collect();
        expect_answered_once(&log, &answered, &results);
        let summary = LogSummary::of(&log);
        assert_eq!(summary.connections(), 1, "one connection, never closed");
        assert!(summary.pipelined > 0, "nginx never read a request pipelined");
        let depth = max_in_flight(&fetched(&results));
        assert!((2..=8).contains(&depth), "{depth} requests in flight on one connection");
        assert_eq!(watch.opened(), 1);
    });
}

/// `keepalive_timeout 1s`: after pauses around and past the timeout nginx
/// closes idle connections, possibly just as the client writes on them
/// (the stale-connection race). Every request after every pause succeeds,
/// each is answered once, and the races are no pipeline breaks.
#[test]
#[ignore = "needs nginx"]
fn keepalive_timeout_1s_idle_close_race() {
    let mut nginx = Nginx::start(&NginxConfig { keepalive_timeout: "1s".into(), ..NginxConfig::default() });
    run(async {
        let tap = WireTap::new();
        let watch = Watch::new();
        let client = client(8, 2, &tap, &watch);
        let paths = nginx.tree.paths_up_to(100_000);
        let pauses_ms = [0u64, 1000, 1001, 1002, 1004, 1008, 300, 1050, 1500];
        let mut all = Vec::new();
        let mut all_results = Vec::new();
        for (round, pause) in pauses_ms.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(*pause)).await;
            let batch = jobs(&paths, &format!("r{round}"), 10, Some(4));
            let results = send_all(&client, requests(&nginx, &batch)).await;
            expect_files(&nginx, &batch, &results);
            all.extend(batch);
            all_results.extend(results);
        }
        let log = nginx.access_log(all.len());
        expect_answered_once(&log, &all, &all_results);
        // nginx did close idle connections: none served two rounds half a
        // second past the timeout apart. (Just past the timeout, a busy
        // nginx may read a request that arrives before its timer runs.)
        let mut rounds_of: HashMap<u64, Vec<usize>> = HashMap::new();
        for line in &log {
            let round: usize =
                line.target.split("?r").nth(1).and_then(|r| r.split('=').next()?.parse().ok()).expect("round");
            let rounds = rounds_of.entry(line.connection).or_default();
            if !rounds.contains(&round) {
                rounds.push(round);
            }
        }
        for rounds in rounds_of.values() {
            for pair in rounds.windows(2) {
                assert!(
                    pauses_ms[pair[1]] < 1500,
                    "one nginx connection served round {} and, after {} ms, round {}",
                    pair[0],
                    pauses_ms[pair[1]],
                    pair[1]
                );
            }
        }
        // Whatever the races cost, no request went out more often than it
        // counted as written.
        for ((method, target), got) in all.iter().zip(&all_results) {
            let request = format!("{method} {target}");
            let attempts = got.as_ref().map_or(0, |f| f.attempts) as usize;
            assert!(
                tap.written(&request) <= attempts,
                "{request} written {} times, attempts {attempts}",
                tap.written(&request)
            );
        }
        let closed = watch.closed();
        let stale = closed.iter().filter(|c| c.lesson == Lesson::StaleRace).count();
        let resent = all_results.iter().filter(|r| r.as_ref().is_ok_and(|f| f.attempts > 1)).count();
        eprintln!("{} connections, {stale} stale-connection races, {resent} requests resent", closed.len());
        assert!(closed.iter().all(|c| c.lesson != Lesson::PipelineBreak), "a pipeline break: {closed:?}");
        assert!(!watch.capabilities().contains(&Capability::OneAtATime), "{:?}", watch.capabilities());
        assert!(watch.max_open() <= 2);
        let status = client.origin_status(&nginx.origin()).expect("origin");
        assert_eq!(status.capability, Capability::Pipelining, "{status:?}");
        assert_eq!(status.recent_breaks, 0, "{status:?}");
        let depth = max_in_flight(&fetched(&all_results));
        assert!((1..=8).contains(&depth), "{depth} requests in flight on one connection");
        let connections = LogSummary::of(&log).connections();
        assert!(connections >= 2 && connections <= 2 * pauses_ms.len(), "{connections} nginx connections");
    });
}

/// The stale-connection race made certain: a client whose runtime does
/// not run while it idles (a thread busy elsewhere) has not seen nginx's
/// idle close when it next sends, so it writes on a connection nginx has
/// just closed — or is closing, for pauses just past `keepalive_timeout
/// 1s`. Each of these clients has one connection and its own
/// current-thread runtime, blocked between batches. Every request
/// succeeds and is answered once; a loss before any response byte after
/// ≥ 1 s idle is the stale race, never a pipeline break; after 1.3 s
/// nginx has surely closed, so that client meets the race.
#[test]
#[ignore = "needs nginx"]
fn keepalive_timeout_1s_stale_race_on_a_client_blocked_while_idle() {
    let mut nginx = Nginx::start(&NginxConfig { keepalive_timeout: "1s".into(), ..NginxConfig::default() });
    let pauses_us: [u64; 7] = [1_000_000, 1_000_500, 1_001_000, 1_001_500, 1_002_000, 1_003_000, 1_300_000];
    let nginx_ref = &nginx;
    let outcomes = std::thread::scope(|scope| {
        let threads: Vec<_> = pauses_us
            .iter()
            .enumerate()
            .map(|(k, pause)| {
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    let tap = WireTap::new();
                    let watch = Watch::new();
                    let client = {
                        let _entered = runtime.enter();
                        client(8, 1, &tap, &watch)
                    };
                    let paths = nginx_ref.tree.paths_up_to(100_000);
                    let mut all = Vec::new();
                    for round in 0..3 {
                        if round > 0 {
                            std::thread::sleep(Duration::from_micros(*pause));
                        }
                        let batch = jobs(&paths, &format!("t{k}r{round}"), 4, None);
                        let requests = requests(nginx_ref, &batch);
                        let results = runtime.block_on(async {
                            tokio::time::timeout(Duration::from_secs(20), send_all(&client, requests))
                                .await
                                .expect("a batch hung")
                        });
                        all.extend(batch.into_iter().zip(results));
                    }
                    (*pause, all, tap, watch)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("client thread")).collect::<Vec<_>>()
    });
    let mut targets_all = Vec::new();
    let mut results_all = Vec::new();
    for (pause, all, tap, watch) in outcomes {
        let closed = watch.closed();
        let stale = closed.iter().filter(|c| c.lesson == Lesson::StaleRace).count();
        let resent = all.iter().filter(|(_, r)| r.as_ref().is_ok_and(|f| f.attempts > 1)).count();
        eprintln!("pause {pause} µs: {} connections, {stale} stale races, {resent} requests resent", closed.len());
        for ((method, target), got) in &all {
            expect_body(&format!("{method} {target}"), got, 200, nginx.tree.content(target));
            let request = format!("{method} {target}");
            let attempts = got.as_ref().map_or(0, |f| f.attempts) as usize;
            assert!(
                tap.written(&request) <= attempts,
                "{request} written {} times, attempts {attempts}",
                tap.written(&request)
            );
        }
        assert!(
            closed.iter().all(|c| c.lesson != Lesson::PipelineBreak),
            "pause {pause} µs: a pipeline break: {closed:?}"
        );
        assert!(!watch.capabilities().contains(&Capability::OneAtATime), "{:?}", watch.capabilities());
        if pause >= 1_300_000 {
            assert!(stale >= 1, "pause {pause} µs: no stale-connection race: {closed:?}");
        }
        for (target, got) in all {
            targets_all.push(target);
            results_all.push(got);
        }
    }
    let log = nginx.access_log(targets_all.len());
    expect_answered_once(&log, &targets_all, &results_all);
    // Per client, nginx connections: at most one per batch (a batch fits on
    // one), and a new one for each batch after 1.3 s.
    for (k, pause) in pauses_us.iter().enumerate() {
        let mine: Vec<LogLine> = log.iter().filter(|l| l.target.contains(&format!("?t{k}r"))).cloned().collect();
        let connections = LogSummary::of(&mine).connections();
        assert!((1..=3).contains(&connections), "pause {pause} µs: {connections} nginx connections");
        if *pause >= 1_300_000 {
            assert_eq!(connections, 3, "pause {pause} µs: nginx kept a connection idle past its timeout");
        }
    }
}
