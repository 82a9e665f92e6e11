//! Pipelined Redis commands against a real redis-server, killed
//! mid-pipeline with `CLIENT KILL`: reads are replayed and correct, and an
//! INCR is never applied twice.

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
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
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
