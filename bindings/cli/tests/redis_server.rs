//! Pipelined Redis commands against a real redis-server, killed
//! mid-pipeline with `CLIENT KILL`: reads are replayed and correct, and an
//! INCR is never applied twice. And the `pipelining redis` command against
//! it: stdin's lines, quoted arguments included, sent and answered in order;
//! with `--url`, every connection authenticated and in its database first,
//! and a wrong password one `connect` failure line per command.

mod support;

use pipelining_tokio::Idempotency;
use pipelining_tokio::redis::{Command, RedisClient, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct RedisServer {
    child: Child,
    port: u16,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis() -> RedisServer {
    start_redis_with(&[])
}

/// redis-server with `extra` arguments (`--requirepass …`).
fn start_redis_with(extra: &[&str]) -> RedisServer {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed (apt-get install redis-server)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    RedisServer { child, port }
}

/// One command on its own connection, read back as one line (enough for
/// integer and simple replies).
fn side_command(port: u16, command: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(command.as_bytes()).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).trim().to_owned()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs redis-server"]
async fn a_killed_pipeline_replays_reads_and_never_applies_an_incr_twice() {
    let server = start_redis();
    let builder =
        pipelining_tokio::Client::builder().depth(16).connections(1).max_tries(3).pipeline_non_idempotent(true);
    let client = RedisClient::new("127.0.0.1", server.port, builder).unwrap();
    for i in 0..100 {
        let set =
            client.command(Command::new(["SET".to_string(), format!("k{i}"), format!("v{i}")]), Idempotency::ByMethod);
        assert_eq!(set.await.unwrap().response, Value::Simple("OK".into()));
    }
    let (mut incr_ok, mut incr_lost, mut kills) = (0u64, 0u64, 0u64);
    let mut seen_counts = std::collections::BTreeSet::new();
    for round in 0..8 {
        let commands: Vec<(usize, bool)> = (0..2000).map(|i| (i, i % 5 == 0)).collect();
        let futures: Vec<_> = commands
            .iter()
            .map(|&(i, incr)| {
                let command = if incr {
                    Command::new(["INCR", "counter"])
                } else {
                    Command::new(["GET".to_string(), format!("k{}", i % 100)])
                };
                client.command(command, Idempotency::ByMethod)
            })
            .collect();
        for (n, (future, &(i, incr))) in futures.into_iter().zip(&commands).enumerate() {
            if n == 300 {
                // Kill our pipeline from a second connection, mid-flight.
                let reply = side_command(server.port, "CLIENT KILL TYPE normal SKIPME yes\r\n");
                kills += reply.trim_start_matches(':').parse::<u64>().unwrap_or(0);
            }
            match (future.await, incr) {
                (Ok(reply), false) => {
                    assert_eq!(reply.response, Value::Bulk(format!("v{}", i % 100).into()), "round {round} GET {i}");
                }
                (Err(e), false) => panic!("round {round}: GET k{} failed: {e}", i % 100),
                (Ok(reply), true) => {
                    let Value::Integer(n) = reply.response else { panic!("INCR replied {:?}", reply.response) };
                    assert!(seen_counts.insert(n), "INCR value {n} seen twice");
                    incr_ok += 1;
                }
                (Err(e), true) => {
                    // A written INCR that was lost is never resent.
                    assert_eq!(e.kind(), pipelining_tokio::ErrorKind::MayHaveBeenProcessed, "{e}");
                    incr_lost += 1;
                }
            }
        }
    }
    eprintln!("{kills} kills, {incr_ok} INCRs answered, {incr_lost} lost after writing");
    assert!(kills >= 4, "the pipeline was killed mid-flight ({kills} kills)");
    let counter: u64 = side_command(server.port, "GET counter\r\n")
        .lines()
        .last()
        .and_then(|l| l.parse().ok())
        .expect("counter value");
    assert!(
        counter >= incr_ok && counter <= incr_ok + incr_lost,
        "counter {counter}: {incr_ok} INCRs answered, {incr_lost} lost after writing"
    );
}

#[test]
#[ignore = "needs redis-server"]
fn the_redis_command_sends_each_line_and_prints_each_reply_in_order() {
    let server = start_redis();
    let host = format!("127.0.0.1:{}", server.port);
    let input = concat!(
        "SET plain v1\n",
        "  SET \"a key\" \"two words\"  \r\n",
        "\n",
        "SET esc \"tab\\there \\x41 \\\"q\\\" \\\\ \u{e9}\"\n",
        "MGET plain \"a key\" esc missing\n",
        "INCR counter\n",
        "BOGUS\n",
    );
    let run = support::pipelining_with_stdin(&["redis", "--json", "--host", &host], input);
    run.expect_code(0);
    let expected = [
        r#"{"command":"SET plain v1","reply":"OK","attempts":1,"error":null,"error_kind":null}"#,
        r#"{"command":"SET \"a key\" \"two words\"","reply":"OK","attempts":1,"error":null,"error_kind":null}"#,
        r#"{"command":"SET esc \"tab\\there \\x41 \\\"q\\\" \\\\ é\"","reply":"OK","attempts":1,"error":null,"error_kind":null}"#,
        r#"{"command":"MGET plain \"a key\" esc missing","reply":["v1","two words","tab\there A \"q\" \\ é",null],"attempts":1,"error":null,"error_kind":null}"#,
        r#"{"command":"INCR counter","reply":1,"attempts":1,"error":null,"error_kind":null}"#,
    ];
    let lines = run.lines();
    assert_eq!(lines.len(), 6, "{}", run.stdout);
    assert_eq!(lines[..5], expected, "{}", run.stdout);
    // An error reply is a reply: the command got its answer.
    let bogus: serde_json::Value = serde_json::from_str(lines[5]).unwrap();
    assert_eq!(bogus["command"], "BOGUS");
    assert!(bogus["reply"]["error"].as_str().is_some_and(|e| e.starts_with("ERR unknown command")), "{bogus}");
    assert!(bogus["error_kind"].is_null(), "{bogus}");
    // The server holds exactly what the quoted arguments say.
    assert_eq!(side_command(server.port, "STRLEN esc\r\n"), format!(":{}", "tab\there A \"q\" \\ é".len()));
}

#[test]
#[ignore = "needs redis-server"]
fn the_redis_command_takes_credentials_and_a_database_from_its_url() {
    let server = start_redis_with(&["--requirepass", "pw@9"]);
    // `@` in the password is percent-encoded.
    let url = format!("redis://:pw%409@127.0.0.1:{}/3", server.port);
    let input = "SET k v\nINCR n\nSELECT 1\nGET k\n";
    let run = support::pipelining_with_stdin(&["redis", "--json", "--url", &url], input);
    run.expect_code(1);
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert_eq!(lines[0], r#"{"command":"SET k v","reply":"OK","attempts":1,"error":null,"error_kind":null}"#);
    assert_eq!(lines[1], r#"{"command":"INCR n","reply":1,"attempts":1,"error":null,"error_kind":null}"#);
    // SELECT would move one connection of several: refused, pointing at
    // the URL.
    let select: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(
        (select["command"].as_str(), select["error_kind"].as_str()),
        (Some("SELECT 1"), Some("invalid_request"))
    );
    assert!(select["reply"].is_null() && select["attempts"] == 0, "{select}");
    assert_eq!(lines[3], r#"{"command":"GET k","reply":"v","attempts":1,"error":null,"error_kind":null}"#);
    // The key is in database 3, not 0.
    let auth = "*2\r\n$4\r\nAUTH\r\n$4\r\npw@9\r\n";
    assert_eq!(
        side_command(server.port, &format!("{auth}*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$6\r\nDBSIZE\r\n")),
        "+OK\r\n+OK\r\n:2"
    );
    assert_eq!(side_command(server.port, &format!("{auth}*1\r\n$6\r\nDBSIZE\r\n")), "+OK\r\n:0");
}

#[test]
#[ignore = "needs redis-server"]
fn a_wrong_password_in_the_url_fails_every_command_with_the_servers_reply() {
    let server = start_redis_with(&["--requirepass", "right"]);
    let url = format!("redis://default:wrong@127.0.0.1:{}", server.port);
    let started = Instant::now();
    let run = support::pipelining_with_stdin(&["redis", "--json", "--url", &url], "GET a\nSET b c\nINCR d\n");
    run.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let lines = run.lines();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    for (line, command) in lines.iter().zip(["GET a", "SET b c", "INCR d"]) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!((v["command"].as_str(), v["error_kind"].as_str()), (Some(command), Some("connect")), "{line}");
        assert!(v["error"].as_str().is_some_and(|e| e.contains("WRONGPASS")), "{line}");
        assert!(!line.contains("wrong@"), "the password stays out of the output: {line}");
    }
}
