//! The flags that shape `pipelining fetch`'s requests and output
//! (docs/DESIGN.md C1): `-H`, `-X`, `-d`, `-u`, `--headers`, the `output`
//! error kind of `-o`, and `bench -H` — the real binary against servers in
//! this process, checked on the wire: what the server read, byte for byte.

mod support;

use pipelining_tests::echo_body;
use pipelining_tests::hyper_server::HyperServer;
use pipelining_tests::raw::{self, RawServer, Step};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{
    FETCH_KEYS, expect_failure, input_file, object_keys, ok_line, pipelining, pipelining_with_stdin, refused_port,
    temp_dir,
};

/// What the server read of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    method: String,
    target: String,
    /// Every field, names lowercased, in order.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    /// The values of every field called `name`, in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// An echoing server that records every request it reads; the records
/// sorted by target (two connections may deliver them in either order).
fn recording_server() -> (RawServer, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = RawServer::start(move |r| {
        log.lock().unwrap().push(Seen {
            method: r.method().to_owned(),
            target: r.target().to_owned(),
            headers: r.parsed.headers.clone(),
            body: r.parsed.body.clone(),
        });
        vec![Step::Write(r.echo())]
    });
    (server, seen)
}

fn sorted(seen: &Mutex<Vec<Seen>>) -> Vec<Seen> {
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by(|a, b| a.target.cmp(&b.target));
    seen
}

#[test]
fn header_flags_reach_the_server_on_every_request_in_order() {
    let (server, seen) = recording_server();
    let input = input_file("header-flags", &format!("{}\nPOST {}\n", server.url("/c"), server.url("/d")));
    let (a, b) = (server.url("/a"), server.url("/b"));
    let run = pipelining(&[
        "fetch",
        "--json",
        "-H",
        "X-Trace:  abc ",
        "--header",
        "X-Multi: 1",
        "-H",
        "x-multi: 2",
        "-H",
        "User-Agent: mine/1",
        "-H",
        "X-Empty:",
        "-H",
        "X-Utf8: café",
        "--input",
        &input,
        &a,
        &b,
    ]);
    run.expect_code(0);
    assert_eq!(run.lines().len(), 4, "{}", run.stdout);
    let requests = sorted(&seen);
    assert_eq!(
        requests.iter().map(|s| (s.method.as_str(), s.target.as_str())).collect::<Vec<_>>(),
        [("GET", "/a"), ("GET", "/b"), ("GET", "/c"), ("POST", "/d")]
    );
    for s in &requests {
        assert_eq!(s.all("x-trace"), ["abc"], "{s:?}");
        assert_eq!(s.all("x-multi"), ["1", "2"], "repeated -H fields are all sent, in order: {s:?}");
        assert_eq!(s.all("user-agent"), ["mine/1"], "-H replaces the default User-Agent: {s:?}");
        assert_eq!(s.all("x-empty"), [""], "{s:?}");
        assert_eq!(s.all("x-utf8"), ["café"], "sent as its UTF-8 bytes: {s:?}");
        assert_eq!(s.all("host"), [server.addr().to_string()], "{s:?}");
    }
    // Without -H, the default User-Agent and nothing else of ours.
    let run = pipelining(&["fetch", &server.url("/plain")]);
    run.expect_code(0);
    let plain = sorted(&seen).into_iter().find(|s| s.target == "/plain").unwrap();
    assert!(plain.all("user-agent")[0].starts_with("pipelining/"), "{plain:?}");
    assert!(plain.all("x-trace").is_empty(), "{plain:?}");
}

#[test]
fn x_sets_every_method_but_a_method_on_the_line_wins() {
    let server = HyperServer::start();
    let input = input_file(
        "x-method",
        &format!("{}\nDELETE {}\nHEAD {}\n", server.url("/b"), server.url("/c"), server.url("/h")),
    );
    let a = server.url("/a");
    let run = pipelining(&["fetch", "--json", "-X", "PUT", "--input", &input, &a]);
    run.expect_code(0);
    let echo = |method: &str, target: &str| echo_body(method, target).into_bytes();
    assert_eq!(
        run.lines(),
        [
            ok_line(&a, "PUT", 200, &echo("PUT", "/a"), 1),
            ok_line(&server.url("/b"), "PUT", 200, &echo("PUT", "/b"), 1),
            ok_line(&server.url("/c"), "DELETE", 200, &echo("DELETE", "/c"), 1),
            ok_line(&server.url("/h"), "HEAD", 200, b"", 1),
        ]
    );
    let stats = server.stats();
    assert_eq!((stats.handled("PUT", "/a"), stats.handled("PUT", "/b")), (1, 1));
    assert_eq!((stats.handled("DELETE", "/c"), stats.handled("HEAD", "/h")), (1, 1));
    assert_eq!(stats.total_received(), 4);
    // A method of any token, as curl's -X.
    let run = pipelining(&["fetch", "--json", "--request", "PURGE", &a]);
    run.expect_code(0);
    assert_eq!(run.lines(), [ok_line(&a, "PURGE", 200, &echo("PURGE", "/a"), 1)]);
}

#[test]
fn data_is_every_request_s_body_sent_exactly_and_post_by_default() {
    let (server, seen) = recording_server();
    let input = input_file("data-inline", &format!("{}\nPUT {}\n", server.url("/b"), server.url("/c")));
    let a = server.url("/a");
    let run = pipelining(&["fetch", "--json", "-d", "a=1&b=two words\n", "--input", &input, &a]);
    run.expect_code(0);
    let methods: Vec<String> = run
        .lines()
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["method"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(methods, ["POST", "POST", "PUT"], "POST unless the line names a method");
    let seen = sorted(&seen);
    assert_eq!(seen.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(), ["POST", "POST", "PUT"]);
    for s in &seen {
        assert_eq!(s.body, b"a=1&b=two words\n", "the bytes exactly, newline kept: {s:?}");
        assert_eq!(s.all("content-length"), ["16"], "{s:?}");
        assert!(s.all("transfer-encoding").is_empty(), "{s:?}");
        assert_eq!(s.all("content-type"), ["application/x-www-form-urlencoded"], "curl's type for -d: {s:?}");
    }
}

#[test]
fn data_from_a_file_or_stdin_is_sent_byte_for_byte() {
    let (server, seen) = recording_server();
    let dir = temp_dir("data-file");
    // Every byte value, CR LF and NUL included; and a body over 64 KiB,
    // which the client streams under its Content-Length.
    let binary: Vec<u8> = (0..=255u8).chain(*b"\r\n\0end").collect();
    let large: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.join("binary"), &binary).unwrap();
    std::fs::write(dir.join("large"), &large).unwrap();
    let at = |name: &str| format!("@{}", dir.join(name).display());
    let small = server.url("/small");
    let run = pipelining(&[
        "fetch",
        "--json",
        "--data",
        &at("binary"),
        "-H",
        "Content-Type: application/octet-stream",
        &small,
    ]);
    run.expect_code(0);
    let large_url = server.url("/large");
    pipelining(&["fetch", "--json", "-d", &at("large"), "-X", "PUT", &large_url]).expect_code(0);
    let stdin_url = server.url("/stdin");
    let run = pipelining_with_stdin(&["fetch", "--json", "-d", "@-", &stdin_url], "from stdin\r\n");
    run.expect_code(0);
    let seen = sorted(&seen);
    let by_target = |t: &str| seen.iter().find(|s| s.target == t).unwrap_or_else(|| panic!("{t} not seen: {seen:?}"));
    let s = by_target("/large");
    assert_eq!((s.method.as_str(), s.body.len()), ("PUT", large.len()));
    assert!(s.body == large, "the large body arrived intact");
    assert_eq!(s.all("content-length"), ["100000"]);
    assert!(s.all("transfer-encoding").is_empty() && s.all("expect").is_empty(), "{:?}", s.headers);
    let s = by_target("/small");
    assert_eq!(s.method, "POST");
    assert_eq!(s.body, binary);
    assert_eq!(s.all("content-length"), [binary.len().to_string()]);
    assert_eq!(s.all("content-type"), ["application/octet-stream"], "-H's type replaces the form type");
    let s = by_target("/stdin");
    assert_eq!((s.method.as_str(), &s.body[..]), ("POST", &b"from stdin\r\n"[..]));
    assert_eq!(s.all("content-length"), ["12"]);
}

#[test]
fn the_body_comes_back_in_the_echo_and_an_empty_one_has_content_length_zero() {
    // hyper echoes the body after the method and target: the JSON line's
    // hash covers what the server got.
    let server = HyperServer::start();
    let url = server.url("/echo");
    let run = pipelining(&["fetch", "--json", "-d", "payload", &url]);
    run.expect_code(0);
    assert_eq!(run.lines(), [ok_line(&url, "POST", 200, b"POST /echo payload", 1)]);
    let run = pipelining(&["fetch", "--json", "-X", "GET", "-d", "with GET", &url]);
    run.expect_code(0);
    assert_eq!(run.lines(), [ok_line(&url, "GET", 200, b"GET /echo with GET", 1)]);

    let (raw, seen) = recording_server();
    pipelining(&["fetch", "-d", "", &raw.url("/empty")]).expect_code(0);
    let s = sorted(&seen).remove(0);
    assert_eq!((s.method.as_str(), s.body.len()), ("POST", 0));
    assert_eq!(s.all("content-length"), ["0"]);
}

#[test]
fn user_becomes_basic_authorization_unless_a_header_flag_says_otherwise() {
    let (server, seen) = recording_server();
    // RFC 7617 §2's example; the text goes as given (no percent-decoding).
    pipelining(&["fetch", "-u", "Aladdin:open sesame", &server.url("/u1")]).expect_code(0);
    pipelining(&["fetch", "--user", "a:%41", &server.url("/u2")]).expect_code(0);
    // -u wins over the URL's userinfo; -H Authorization wins over -u.
    let with_userinfo = format!("http://x:y@{}/u3", server.addr());
    pipelining(&["fetch", "-u", "Aladdin:open sesame", &with_userinfo]).expect_code(0);
    pipelining(&["fetch", "-u", "a:b", "-H", "Authorization: Bearer token", &server.url("/u4")]).expect_code(0);
    let seen = sorted(&seen);
    let authorization: Vec<Vec<&str>> = seen.iter().map(|s| s.all("authorization")).collect();
    assert_eq!(
        authorization,
        [
            vec!["Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="],
            vec!["Basic YTolNDE="],
            vec!["Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="],
            vec!["Bearer token"],
        ]
    );
}

#[test]
fn headers_adds_the_response_fields_last_in_order() {
    let server = RawServer::start(|r| match r.target() {
        "/fields" => {
            let mut bytes = b"HTTP/1.1 200 OK\r\nX-First: 1\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\n".to_vec();
            bytes.extend_from_slice(b"SET-COOKIE: b=\"2\"; Path=/\r\nX-Latin1: caf\xe9\r\nX-Empty:\r\n\r\nok");
            vec![Step::Write(bytes)]
        }
        _ => vec![Step::Write(r.echo())],
    });
    let (fields, refused) = (server.url("/fields"), format!("http://127.0.0.1:{}/x", refused_port()));
    let run = pipelining(&["fetch", "--json", "--headers", "--max-tries", "1", &fields, &refused]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let mut keys: Vec<(usize, String)> = FETCH_KEYS.iter().map(|k| (1, (*k).to_owned())).collect();
    keys.push((1, "headers".to_owned()));
    assert_eq!(object_keys(lines[0]), keys, "C1's keys, then headers: {}", lines[0]);
    let expected_ok = ok_line(&fields, "GET", 200, b"ok", 1);
    let headers = r#"[["x-first","1"],["set-cookie","a=1"],["content-length","2"],["set-cookie","b=\"2\"; Path=/"],["x-latin1","café"],["x-empty",""]]"#;
    assert_eq!(lines[0], format!("{},\"headers\":{headers}}}", expected_ok.strip_suffix('}').unwrap()));
    // A failure has no response: headers is null.
    assert_eq!(object_keys(lines[1]), keys, "{}", lines[1]);
    let failed: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!((failed["error_kind"].as_str(), failed["headers"].is_null()), (Some("connect"), true), "{failed}");
    // Without --headers, the line is C1's exactly.
    let run = pipelining(&["fetch", "--json", &fields]);
    assert_eq!(run.lines(), [expected_ok]);
    // The human form lists them under the request's line.
    let run = pipelining(&["fetch", "--headers", &fields]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "200 GET {fields} (2 bytes, 1 attempt)\n  x-first: 1\n  set-cookie: a=1\n  content-length: 2\n  set-cookie: b=\"2\"; Path=/\n  x-latin1: café\n  x-empty: \n"
        )
    );
}

#[test]
fn a_body_that_cannot_be_written_fails_its_request_with_output() {
    let server = HyperServer::start();
    let urls: Vec<String> = ["/one", "/two", "/three"].iter().map(|t| server.url(t)).collect();
    // The second body's file name is taken by a directory.
    let dir = temp_dir("output-kind");
    std::fs::create_dir(dir.join("000002.body")).unwrap();
    let run = pipelining(&["fetch", "--json", "-o", dir.to_str().unwrap(), &urls[0], &urls[1], &urls[2]]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(lines[0], ok_line(&urls[0], "GET", 200, b"GET /one", 1));
    let v = expect_failure(lines[1], &urls[1], "GET", "output", 1);
    assert!(v["error"].as_str().unwrap().contains("000002.body"), "the error names the file: {v}");
    assert_eq!(lines[2], ok_line(&urls[2], "GET", 200, b"GET /three", 1));
    assert_eq!(std::fs::read(dir.join("000001.body")).unwrap(), b"GET /one");
    assert_eq!(std::fs::read(dir.join("000003.body")).unwrap(), b"GET /three");
    assert!(run.stderr.is_empty(), "reported on its line, not on stderr: {}", run.stderr);
    // The human form says it too.
    let run = pipelining(&["fetch", "-o", dir.to_str().unwrap(), &urls[0], &urls[1]]);
    run.expect_code(1);
    assert!(run.lines()[1].starts_with(&format!("ERROR output GET {}: cannot write", urls[1])), "{}", run.stdout);

    // A directory that cannot be made (under a regular file): every
    // request is sent and each one fails with `output`.
    let file = temp_dir("output-kind-file").join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let under_file = file.join("bodies");
    let before = server.stats().total_received();
    let run = pipelining(&["fetch", "--json", "-o", under_file.to_str().unwrap(), &urls[0], &urls[2]]);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    for (line, url) in lines.iter().zip([&urls[0], &urls[2]]) {
        let v = expect_failure(line, url, "GET", "output", 1);
        assert!(v["error"].as_str().unwrap().contains("cannot create the -o directory"), "{v}");
    }
    assert_eq!(server.stats().total_received(), before + 2);
}

#[test]
fn bad_request_flags_are_usage_errors_and_nothing_is_sent() {
    let server = RawServer::echo();
    let url = server.url("/never");
    let missing = temp_dir("bad-flags").join("missing.body");
    let missing_data = format!("@{}", missing.display());
    let input = input_file("bad-flags-input", &format!("{url}\n"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["fetch", "-H", "Two Words: v", &url], "not a header name"),
        (vec!["fetch", "-H", "NoColon", &url], "Name: value"),
        (vec!["fetch", "-H", "X: a\u{1}b", &url], "control character"),
        (vec!["fetch", "-H", "X: a\r\nInjected: yes", &url], "control character"),
        (vec!["fetch", "-H", "Transfer-Encoding: chunked", &url], "Transfer-Encoding"),
        (vec!["fetch", "-d", "abc", "-H", "Content-Length: 4", &url], "Content-Length"),
        (vec!["fetch", "-H", "Host: a", "-H", "Host: b", &url], "Host"),
        (vec!["fetch", "-X", "G T", &url], "not a method"),
        (vec!["fetch", "-u", "no-colon", &url], "USER:PASSWORD"),
        (vec!["fetch", "-d", &missing_data, &url], "cannot read -d @"),
        (vec!["fetch", "-d", "@", &url], "needs a file name"),
        (vec!["fetch", "-d", "@-", "--input", "-"], "both read stdin"),
        (vec!["fetch", "-d", "a", "-d", "b", &url], "cannot be used multiple times"),
        (vec!["fetch", "-H", "Bad Name: v", "--input", &input], "not a header name"),
        (vec!["bench", "-n", "3", "-H", "Bad Name: v", &url], "not a header name"),
        (vec!["bench", "-n", "3", "-H", "Transfer-Encoding: chunked", &url], "Transfer-Encoding"),
    ];
    for (args, says) in cases {
        let run = pipelining_with_stdin(&args, &format!("{url}\n"));
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    // Anything sent would have been accepted well within this.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.stats().connections(), 0, "a usage error sent requests");
}

#[test]
fn bench_sends_the_header_flags_on_every_request() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = RawServer::start(move |r| {
        log.lock().unwrap().push((r.parsed.header("x-bench").map(str::to_owned), r.parsed.header_count("x-bench")));
        vec![Step::Write(raw::ok("0123456789"))]
    });
    let url = server.url("/bench");
    let run = pipelining(&["bench", "--json", "-n", "30", "--depth", "4", "-H", "X-Bench: yes", &url]);
    run.expect_code(0);
    let m: serde_json::Value = serde_json::from_str(run.lines()[0]).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!((m["requests"].as_u64(), m["errors"].as_u64()), (Some(30), Some(0)), "{m}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 30);
    assert!(seen.iter().all(|h| *h == (Some("yes".to_owned()), 1)), "{seen:?}");
}
