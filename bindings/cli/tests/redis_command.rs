//! `pipelining redis` end to end without a server: the input is parsed
//! whole before anything is sent (a bad line is a usage error, exit 2,
//! nothing on stdout), and a command that gets no reply is a C1 failure line
//! echoing the command as written (exit 1). Replies from a real server are
//! in `redis_server.rs`.

mod support;

use support::{pipelining, pipelining_with_stdin, refused_port};

#[test]
fn malformed_input_is_a_usage_error_naming_the_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    for (input, message) in [
        ("GET \"open\n", "line 1: unterminated quote"),
        ("SET a b\n\nGET \"x\"y\n", "line 3: a closing quote must be followed by a space"),
        ("PING\nGET \"\\xzz\"\n", "line 2: bad escape \\xzz"),
        ("GET \"abc\\", "line 1: unterminated escape"),
    ] {
        let run = pipelining_with_stdin(&["redis", "--host", &host], input);
        run.expect_code(2);
        assert_eq!(run.stderr, format!("pipelining: {message}\n"), "{input:?}");
        assert!(run.stdout.is_empty(), "{input:?}: {}", run.stdout);
    }
    // Not even a connection was made: the bad lines came after good ones.
    assert!(listener.accept().is_err(), "a connection was made");
}

#[test]
fn a_bad_host_is_a_usage_error() {
    for (host, message) in
        [("nocolon", "--host \"nocolon\": expected HOST:PORT"), ("h:99999", "--host \"h:99999\": bad port")]
    {
        let run = pipelining_with_stdin(&["redis", "--host", host], "PING\n");
        run.expect_code(2);
        assert_eq!(run.stderr, format!("pipelining: {message}\n"));
    }
    let run = pipelining(&["redis", "--depth", "0"]);
    run.expect_code(2);
}

#[test]
fn a_url_that_cannot_be_honoured_is_a_usage_error_hiding_its_password() {
    for (url, message) in [
        ("http://h:1", "the scheme must be redis:// or rediss://"),
        ("redis://app:topsecret@h/x", "the path must be a database number"),
        ("redis://h?db=2", "unknown parameter"),
    ] {
        let run = pipelining_with_stdin(&["redis", "--url", url], "PING\n");
        run.expect_code(2);
        assert!(run.stderr.starts_with("pipelining: --url: Redis URL "), "{url}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{url}: {}", run.stderr);
        assert!(!run.stderr.contains("topsecret"), "{url}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{url}: {}", run.stdout);
    }
    // --url replaces --host.
    let run = pipelining_with_stdin(&["redis", "--url", "redis://h", "--host", "h:1"], "PING\n");
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn unanswered_commands_are_failure_lines_echoing_each_command() {
    let host = format!("127.0.0.1:{}", refused_port());
    let input = "  GET a  \r\n\nSET \"a key\" \"x\\ty\"\n";
    let run = pipelining_with_stdin(&["redis", "--json", "--host", &host], input);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    for (line, command) in lines.iter().zip(["GET a", "SET \"a key\" \"x\\ty\""]) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(
            support::object_keys(line),
            ["command", "reply", "attempts", "error", "error_kind"].map(|k| (1, k.to_owned())),
            "{line}"
        );
        assert_eq!(v["command"], command, "{line}");
        assert!(v["reply"].is_null(), "{line}");
        assert_eq!(v["attempts"], 0, "{line}");
        assert_eq!(v["error_kind"], "connect", "{line}");
    }
    let run = pipelining_with_stdin(&["redis", "--host", &host], "GET a\n");
    run.expect_code(1);
    assert!(run.stdout.starts_with("GET a → ERROR connect: "), "{}", run.stdout);
    // No commands: nothing to fail.
    pipelining_with_stdin(&["redis", "--host", &host], "\n  \n").expect_code(0);
}
