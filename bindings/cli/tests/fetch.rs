//! `pipelining fetch` end to end (docs/DESIGN.md C1): the real binary against
//! servers in this process — JSON lines field by field, every `error_kind`
//! from a real cause, exit codes, request order, `-o DIR`, and replays.

mod support;

use pipelining_tests::hyper_server::HyperServer;
use pipelining_tests::raw::{self, RawServer, Step};
use pipelining_tests::{echo_body, pattern};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{
    expect_failure, input_file, ok_line, pipelining, pipelining_with_stdin, refused_port, temp_dir, wait_until,
};

#[test]
fn success_lines_have_the_c1_keys_in_order_and_echo_each_url() {
    let server = HyperServer::start();
    let base = format!("http://{}", server.addr());
    // Positional GETs, then methods from --input.
    let urls = [
        format!("{base}/bytes/3000"),
        base.clone(), // no path at all: echoed as given, sent as "/"
        format!("{base}?only=query"),
        format!("{base}/a%20b?q=%22x%22&y"),
        format!("{base}/status/201"),
        format!("{base}/status/404"),
    ];
    let input = input_file(
        "success-lines",
        &format!("HEAD {base}/h\nPOST {base}/p\n# a comment\n\nDELETE {base}/d?x=1\nPUT {base}/put\n"),
    );
    let mut args = vec!["fetch", "--json", "--input", &input];
    args.extend(urls.iter().map(String::as_str));
    let run = pipelining(&args);
    run.expect_code(0);
    assert!(run.stderr.is_empty(), "no progress bar when stderr is not a terminal: {}", run.stderr);
    let echo = |method: &str, target: &str| echo_body(method, target).into_bytes();
    let expected = [
        ok_line(&urls[0], "GET", 200, &pattern(3000), 1),
        ok_line(&urls[1], "GET", 200, &echo("GET", "/"), 1),
        ok_line(&urls[2], "GET", 200, &echo("GET", "/?only=query"), 1),
        ok_line(&urls[3], "GET", 200, &echo("GET", "/a%20b?q=%22x%22&y"), 1),
        ok_line(&urls[4], "GET", 201, &echo("GET", "/status/201"), 1),
        ok_line(&urls[5], "GET", 404, &echo("GET", "/status/404"), 1),
        ok_line(&format!("{base}/h"), "HEAD", 200, b"", 1),
        ok_line(&format!("{base}/p"), "POST", 200, &echo("POST", "/p"), 1),
        ok_line(&format!("{base}/d?x=1"), "DELETE", 200, &echo("DELETE", "/d?x=1"), 1),
        ok_line(&format!("{base}/put"), "PUT", 200, &echo("PUT", "/put"), 1),
    ];
    assert_eq!(run.lines(), expected, "{}", run.stdout);
    let stats = server.stats();
    assert_eq!(stats.total_received(), 10, "{stats:?}");
    assert_eq!(stats.handled("POST", "/p"), 1);
}

#[test]
fn request_bodies_are_empty_with_content_length_zero_where_needed() {
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    let server = RawServer::start(move |r| {
        let length = r.parsed.header("content-length").map(str::to_owned);
        let chunked = r.parsed.header("transfer-encoding").is_some();
        assert!(r.parsed.header("accept-encoding").is_none(), "no content coding is requested");
        seen.lock().unwrap().push((r.method().to_owned(), length, chunked, r.parsed.body.len()));
        vec![Step::Write(r.echo())]
    });
    let input = input_file(
        "bodies",
        &format!("POST {}\nPUT {}\nGET {}\n", server.url("/a"), server.url("/b"), server.url("/c")),
    );
    pipelining(&["fetch", "--json", "--input", &input]).expect_code(0);
    // Two connections: the server may see them in either order.
    let mut heads = heads.lock().unwrap().clone();
    heads.sort();
    assert_eq!(
        heads,
        [
            ("GET".to_owned(), None, false, 0),
            ("POST".to_owned(), Some("0".to_owned()), false, 0),
            ("PUT".to_owned(), Some("0".to_owned()), false, 0),
        ]
    );
}

#[test]
fn refused_port_is_connect_with_no_attempts() {
    let url = format!("http://127.0.0.1:{}/refused", refused_port());
    let run = pipelining(&["fetch", "--json", "--max-tries", "2", &url]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    expect_failure(lines[0], &url, "GET", "connect", 0);
}

#[test]
fn connect_timeout_is_connect_and_follows_the_timeout_flag() {
    // A listener that never accepts, its queue full: a connect to it hangs
    // (Linux drops the SYN), so only the connect timeout ends it.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _entered = runtime.enter();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
        queued.push(stream);
        assert!(queued.len() < 64, "the accept queue never filled");
    }
    let url = format!("http://{addr}/never");
    let run = pipelining(&["fetch", "--json", "--timeout", "0.3", "--max-tries", "1", &url]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    expect_failure(lines[0], &url, "GET", "connect", 0);
    assert!(run.elapsed >= Duration::from_millis(300), "gave up early: {:?}", run.elapsed);
    assert!(run.elapsed < Duration::from_secs(5), "the 0.3 s connect timeout took {:?}", run.elapsed);
    drop(queued);
    drop(listener);
}

#[test]
fn stall_is_timeout() {
    let server = RawServer::start(|_| vec![Step::Silent]);
    let url = server.url("/stall");
    let run = pipelining(&["fetch", "--json", "--timeout", "0.3", "--max-tries", "1", &url]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    expect_failure(lines[0], &url, "GET", "timeout", 1);
    assert!(run.elapsed >= Duration::from_millis(300), "timed out early: {:?}", run.elapsed);
    assert!(run.elapsed < Duration::from_secs(5), "the 0.3 s stall timeout took {:?}", run.elapsed);
    assert_eq!(server.stats().handled("GET", "/stall"), 1);
    // A stall is a replayable loss: with more tries allowed, each one
    // stalls and the request ends with `max_tries`.
    let url = server.url("/stall-twice");
    let run = pipelining(&["fetch", "--json", "--timeout", "0.3", "--max-tries", "2", &url]);
    run.expect_code(1);
    let v = expect_failure(run.stdout.trim_end(), &url, "GET", "max_tries", 2);
    assert!(v["error"].as_str().unwrap().contains("stall timeout"), "the error names the last cause: {v}");
    assert_eq!(server.stats().handled("GET", "/stall-twice"), 2);
}

#[test]
fn own_malformed_response_is_protocol_and_not_replayed() {
    let server = RawServer::start(|r| match r.target() {
        "/bad-chunk" => {
            let mut bytes = raw::head(200, &[("transfer-encoding", "chunked")]);
            bytes.extend_from_slice(b"zz\r\nhello\r\n0\r\n\r\n");
            vec![Step::Write(bytes)]
        }
        _ => vec![Step::Write(r.echo())],
    });
    let (bad, after) = (server.url("/bad-chunk"), server.url("/after"));
    let run = pipelining(&["fetch", "--json", &bad, &after]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    expect_failure(lines[0], &bad, "GET", "protocol", 1);
    // The request behind it is handed back and answered.
    let attempts = serde_json::from_str::<serde_json::Value>(lines[1]).unwrap()["attempts"].as_u64().unwrap();
    assert!((1..=2).contains(&attempts), "{}", lines[1]);
    assert_eq!(lines[1], ok_line(&after, "GET", 200, echo_body("GET", "/after").as_bytes(), attempts as u32));
    let stats = server.stats();
    assert_eq!(stats.received("GET", "/bad-chunk"), 1, "a protocol error is not replayed");
}

#[test]
fn oversized_head_is_limit() {
    let server = RawServer::start(|r| {
        let value = "a".repeat(70 * 1024);
        match r.target() {
            "/huge" => vec![Step::Write(raw::response(200, &[("x-big", &value)], "x"))],
            _ => vec![Step::Write(r.echo())],
        }
    });
    let url = server.url("/huge");
    let run = pipelining(&["fetch", "--json", &url]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    expect_failure(lines[0], &url, "GET", "limit", 1);
    assert_eq!(server.stats().received("GET", "/huge"), 1, "a limit error is not replayed");
}

#[test]
fn bodies_are_transfer_decoded_and_redirects_not_followed() {
    let server = RawServer::start(|r| match r.target() {
        "/chunked" => vec![Step::Write(raw::chunked(&[b"hello ", b"chunked ", b"world"], &[("x-sum", "1")]))],
        "/moved" => vec![Step::Write(raw::response(301, &[("location", "/target")], "moved"))],
        "/to-close" => {
            let mut bytes = raw::head(200, &[]);
            bytes.extend_from_slice(b"delimited by the close");
            vec![Step::Write(bytes), Step::Close]
        }
        _ => vec![Step::Write(r.echo())],
    });
    let urls = [server.url("/chunked"), server.url("/moved"), server.url("/to-close"), server.url("/last")];
    let mut args = vec!["fetch", "--json"];
    args.extend(urls.iter().map(String::as_str));
    let run = pipelining(&args);
    run.expect_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert_eq!(lines[0], ok_line(&urls[0], "GET", 200, b"hello chunked world", 1));
    assert_eq!(lines[1], ok_line(&urls[1], "GET", 301, b"moved", 1));
    assert_eq!(lines[2], ok_line(&urls[2], "GET", 200, b"delimited by the close", 1));
    let attempts = serde_json::from_str::<serde_json::Value>(lines[3]).unwrap()["attempts"].as_u64().unwrap();
    assert_eq!(lines[3], ok_line(&urls[3], "GET", 200, b"GET /last", attempts as u32));
    assert_eq!(server.stats().received("GET", "/target"), 0, "a redirect was followed");
}

/// A server that cuts every `/cut` response off mid-body, and resets every
/// `/reset` connection right after reading the request.
fn losing_server() -> RawServer {
    RawServer::start(|r| match r.target() {
        "/cut" => {
            let mut partial = raw::head(200, &[("content-length", "100")]);
            partial.extend_from_slice(b"only part of it");
            vec![Step::Write(partial), Step::Sleep(Duration::from_millis(5)), Step::Close]
        }
        "/reset" => vec![Step::Sleep(Duration::from_millis(5)), Step::Reset],
        _ => vec![Step::Write(r.echo())],
    })
}

#[test]
fn lost_connection_with_one_try_is_connection_lost() {
    let server = losing_server();
    for target in ["/cut", "/reset"] {
        let url = server.url(target);
        let run = pipelining(&["fetch", "--json", "--max-tries", "1", &url]);
        run.expect_code(1);
        let lines = run.lines();
        assert_eq!(lines.len(), 1, "{}", run.stdout);
        expect_failure(lines[0], &url, "GET", "connection_lost", 1);
        wait_until("the server read it", || server.stats().received("GET", target) >= 1);
        assert_eq!(server.stats().received("GET", target), 1, "GET {target} was sent once");
    }
}

#[test]
fn lost_connection_on_every_try_is_max_tries() {
    let server = losing_server();
    for target in ["/cut", "/reset"] {
        let url = server.url(target);
        let run = pipelining(&["fetch", "--json", "--max-tries", "3", &url]);
        run.expect_code(1);
        let lines = run.lines();
        assert_eq!(lines.len(), 1, "{}", run.stdout);
        expect_failure(lines[0], &url, "GET", "max_tries", 3);
        wait_until("the server read every copy", || server.stats().received("GET", target) >= 3);
        assert_eq!(server.stats().received("GET", target), 3, "GET {target}: exactly three tries");
    }
}

#[test]
fn post_lost_after_writing_may_have_been_processed_and_is_sent_once() {
    let server = losing_server();
    for target in ["/cut", "/reset"] {
        let url = server.url(target);
        let input = input_file(&format!("post{}", target.replace('/', "-")), &format!("POST {url}\n"));
        // The default three tries: a POST is still never resent.
        let run = pipelining(&["fetch", "--json", "--input", &input]);
        run.expect_code(1);
        let lines = run.lines();
        assert_eq!(lines.len(), 1, "{}", run.stdout);
        expect_failure(lines[0], &url, "POST", "may_have_been_processed", 1);
        wait_until("the server read it", || server.stats().received("POST", target) >= 1);
        assert_eq!(server.stats().received("POST", target), 1, "POST {target} was resent");
    }
}

#[test]
fn fail_turns_statuses_of_400_and_more_into_http_status() {
    let server = HyperServer::start();
    let urls = [server.url("/status/404"), server.url("/ok"), server.url("/status/500"), server.url("/status/399")];
    let mut args = vec!["fetch", "--json", "--fail"];
    args.extend(urls.iter().map(String::as_str));
    let run = pipelining(&args);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    let v = expect_failure(lines[0], &urls[0], "GET", "http_status", 1);
    assert!(v["error"].as_str().unwrap().contains("404"), "{}", lines[0]);
    assert_eq!(lines[1], ok_line(&urls[1], "GET", 200, echo_body("GET", "/ok").as_bytes(), 1));
    expect_failure(lines[2], &urls[2], "GET", "http_status", 1);
    assert_eq!(lines[3], ok_line(&urls[3], "GET", 399, echo_body("GET", "/status/399").as_bytes(), 1));
    // Without --fail every response is a success.
    pipelining(&["fetch", "--json", &urls[0]]).expect_code(0);
}

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    let server = RawServer::echo();
    let (a, b) = (server.url("/a"), server.url("/b"));
    for (name, text) in [
        ("extra-field", format!("{a}\n{b}\nGET {b} extra\n")),
        ("bad-method", format!("{a}\nG@T {b}\n")),
        ("bad-scheme", format!("{a}\nftp://127.0.0.1/x\n")),
        ("relative", format!("{a}\n/relative\n")),
    ] {
        let input = input_file(&format!("usage-{name}"), &text);
        let run = pipelining(&["fetch", "--json", &a, "--input", &input]);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
        assert!(run.stderr.contains("line"), "{name}: the message names the line: {}", run.stderr);
    }
    for args in [
        vec!["fetch", "--json", "not a url", &a],
        vec!["fetch", "--json"],
        vec!["fetch", "--input", "/nonexistent/requests.txt", &a],
        vec!["fetch", "--depth", "0", &a],
        vec!["fetch", "--timeout", "soon", &a],
        vec!["fetch", "--no-such-flag", &a],
    ] {
        let run = pipelining(&args);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    // Anything sent would have been accepted well within this.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.stats().connections(), 0, "a usage error sent requests");
}

#[test]
fn stdin_input_follows_the_positional_urls() {
    // A HEAD answer has a Content-Length but no body.
    let server = RawServer::start(|r| match r.method() {
        "HEAD" => vec![Step::Write(raw::head(200, &[("content-length", "8")]))],
        _ => vec![Step::Write(r.echo())],
    });
    let first = server.url("/first");
    let stdin = format!(
        "# requests\n\n  {}  \nHEAD {}\n\tDELETE\t{}\n{}\n",
        server.url("/s1"),
        server.url("/s2"),
        server.url("/s3"),
        server.url("/s4")
    );
    let run = pipelining_with_stdin(&["fetch", "--json", "--input", "-", &first], &stdin);
    run.expect_code(0);
    let expected = [
        ok_line(&first, "GET", 200, b"GET /first", 1),
        ok_line(&server.url("/s1"), "GET", 200, b"GET /s1", 1),
        ok_line(&server.url("/s2"), "HEAD", 200, b"", 1),
        ok_line(&server.url("/s3"), "DELETE", 200, b"DELETE /s3", 1),
        ok_line(&server.url("/s4"), "GET", 200, b"GET /s4", 1),
    ];
    assert_eq!(run.lines(), expected, "{}", run.stdout);
}

#[test]
fn positional_urls_come_before_file_requests() {
    let server = RawServer::echo();
    let input =
        input_file("mixed", &format!("{}\nPOST {}\n{}\n", server.url("/f1"), server.url("/f2"), server.url("/f3")));
    let (p1, p2) = (server.url("/p1"), server.url("/p2"));
    // The flag comes first on the command line: the order is still
    // positional first.
    let run = pipelining(&["fetch", "--input", &input, "--json", &p1, &p2]);
    run.expect_code(0);
    let expected = [
        ok_line(&p1, "GET", 200, b"GET /p1", 1),
        ok_line(&p2, "GET", 200, b"GET /p2", 1),
        ok_line(&server.url("/f1"), "GET", 200, b"GET /f1", 1),
        ok_line(&server.url("/f2"), "POST", 200, b"POST /f2", 1),
        ok_line(&server.url("/f3"), "GET", 200, b"GET /f3", 1),
    ];
    assert_eq!(run.lines(), expected, "{}", run.stdout);
    // The human form: one line per request, in the same order.
    let run = pipelining(&["fetch", "--input", &input, &p1, &p2]);
    run.expect_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    for (line, target) in lines.iter().zip(["/p1", "/p2", "/f1", "/f2", "/f3"]) {
        assert!(line.starts_with("200 ") && line.contains(&server.url(target)), "{target}: {line}");
    }
}

#[test]
fn output_dir_gets_each_body_byte_for_byte() {
    let server = HyperServer::start();
    let dir = temp_dir("output").join("nested").join("bodies");
    let targets = ["/bytes/0", "/bytes/1", "/bytes/70000", "/x?y=1", "/status/404"];
    let urls: Vec<String> = targets.iter().map(|t| server.url(t)).collect();
    let mut args = vec!["fetch", "-o", dir.to_str().unwrap()];
    args.extend(urls.iter().map(String::as_str));
    pipelining(&args).expect_code(0);
    let expected: [Vec<u8>; 5] = [
        Vec::new(),
        pattern(1),
        pattern(70000),
        echo_body("GET", "/x?y=1").into_bytes(),
        echo_body("GET", "/status/404").into_bytes(),
    ];
    for (n, body) in expected.iter().enumerate() {
        let path = dir.join(format!("{:06}.body", n + 1));
        let got = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(got == *body, "{}: {} bytes, expected {}", path.display(), got.len(), body.len());
    }
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["000001.body", "000002.body", "000003.body", "000004.body", "000005.body"]);
}

/// Many URLs to a server that ends every connection after three responses:
/// every request succeeds, each line in request order with its own body.
fn check_replayed_run(server: &RawServer, extra: &[&str], max_attempts: u32) {
    let urls: Vec<String> = (0..60).map(|i| server.url(&format!("/r/{i}?pad={}", "x".repeat(i * 37 % 400)))).collect();
    let mut args = vec!["fetch", "--json", "--depth", "8", "--connections", "2"];
    args.extend_from_slice(extra);
    args.extend(urls.iter().map(String::as_str));
    let run = pipelining(&args);
    run.expect_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), urls.len(), "{}", run.stdout);
    let mut total_attempts = 0;
    for (url, line) in urls.iter().zip(&lines) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let attempts = v["attempts"].as_u64().unwrap() as u32;
        assert!((1..=max_attempts).contains(&attempts), "{line}");
        total_attempts += attempts as usize;
        let target = url.strip_prefix(&server.url("")).unwrap();
        assert_eq!(*line, ok_line(url, "GET", 200, echo_body("GET", target).as_bytes(), attempts));
    }
    // Every write the client counted reached the server, and nothing else.
    wait_until("the server read every copy", || server.stats().total_received() >= total_attempts);
    let stats = server.stats();
    assert_eq!(stats.total_received(), total_attempts, "{stats:?}");
    assert!(stats.connections() >= urls.len() / 3, "{} connections", stats.connections());
}

#[test]
fn order_is_kept_when_the_server_closes_after_every_third_response() {
    // EOF right after the third response: later requests are replayed.
    let server = RawServer::start(|r| {
        if r.index == 2 { vec![Step::Write(r.echo()), Step::Close] } else { vec![Step::Write(r.echo())] }
    });
    check_replayed_run(&server, &[], 3);
}

#[test]
fn connection_close_resends_spend_no_try() {
    // `Connection: close` on the third response: what was written behind it
    // is resent without spending a try, so one try is enough for all.
    let server = RawServer::start(|r| {
        if r.index == 2 {
            let body = echo_body(r.method(), r.target());
            vec![Step::Write(raw::response(200, &[("connection", "close")], body)), Step::Close]
        } else {
            vec![Step::Write(r.echo())]
        }
    });
    check_replayed_run(&server, &["--max-tries", "1"], 60);
}

#[test]
fn many_requests_to_two_origins_beyond_the_queue_keep_their_order() {
    // More requests than one origin's queue holds (1,024), interleaved
    // across a hyper server and a raw one that closes every connection
    // after five responses.
    let hyper = HyperServer::start();
    let raw = RawServer::start(|r| {
        if r.index == 4 { vec![Step::Write(r.echo()), Step::Close] } else { vec![Step::Write(r.echo())] }
    });
    let urls: Vec<String> = (0..1500)
        .map(|i| if i % 3 == 0 { raw.url(&format!("/raw/{i}")) } else { hyper.url(&format!("/hyper/{i}")) })
        .collect();
    let run = pipelining_with_stdin(&["fetch", "--json", "--input", "-"], &urls.join("\n"));
    run.expect_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), urls.len());
    for (i, (url, line)) in urls.iter().zip(&lines).enumerate() {
        let attempts = serde_json::from_str::<serde_json::Value>(line).unwrap()["attempts"].as_u64().unwrap();
        let target = if i % 3 == 0 { format!("/raw/{i}") } else { format!("/hyper/{i}") };
        assert_eq!(*line, ok_line(url, "GET", 200, echo_body("GET", &target).as_bytes(), attempts as u32));
    }
    assert_eq!(hyper.stats().total_received(), 1000);
}

#[test]
fn verbose_prints_every_fact_learned_about_the_origin() {
    // A server that pipelines, announces its idle timeout and closes after
    // three requests with `Connection: close`.
    let server = RawServer::start(|r| {
        let close = if r.index == 2 { "Connection: close\r\n" } else { "" };
        let body = echo_body(r.method(), r.target());
        vec![Step::Write(
            format!("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=30\r\n{close}Content-Length: {}\r\n\r\n{body}", body.len())
                .into_bytes(),
        )]
    });
    let urls: Vec<String> = (0..6).map(|i| server.url(&format!("/v/{i}"))).collect();
    let mut args = vec!["fetch", "--json", "--verbose", "--connections", "1"];
    args.extend(urls.iter().map(String::as_str));
    let run = pipelining(&args);
    run.expect_code(0);
    assert_eq!(run.lines().len(), 6, "{}", run.stdout);
    let origin = format!("http://{}", server.addr());
    assert!(run.stderr.contains(&format!("learned: {origin} pipelines")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("learned: {origin} closes connections after 3 requests")), "{}", run.stderr);
    assert!(run.stderr.contains("request budget 3"), "the summary says it too: {}", run.stderr);
}
