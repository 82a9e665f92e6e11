//! `rediss://` against a real redis-server listening with TLS only
//! (`--port 0 --tls-port P`) and requiring client certificates
//! (`--tls-auth-clients yes`), with certificates generated for the run:
//! pipelined commands answered in order with the client certificate,
//! refused without it (a connection lost during its setup is a failed
//! connect); the connection's setup (password, database, RESP3)
//! from a `rediss://` URL run over TLS like any command.

use futures_util::future::join_all;
use pipelining_driver::redis::{Command, RedisClient, Value};
use pipelining_driver::{Builder, Client, ErrorKind, Glue, Idempotency};
use pipelining_tests::real::{TempDir, free_port, require_program};
use pipelining_tests::tls::MutualPki;
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A redis-server process, killed when dropped.
struct RedisTls {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for RedisTls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts redis-server on a free port with TLS only, its certificate from
/// `pki.server`, client certificates of `pki.client_ca` required.
fn start(pki: &MutualPki) -> RedisTls {
    let program = require_program("redis-server", "redis-server");
    let dir = TempDir::new("redis-tls");
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write a certificate file");
        path.to_str().expect("UTF-8 path").to_owned()
    };
    let cert = file("server.pem", &pki.server.chain_pem);
    let key = file("server.key", &pki.server.key_pem);
    let client_ca = file("client-ca.pem", &pki.client_ca.pem());
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("redis.log")).expect("log file");
    let child = std::process::Command::new(program)
        .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--dir", dir.path().to_str().expect("UTF-8 path")])
        .args(["--tls-cert-file", &cert, "--tls-key-file", &key, "--tls-ca-cert-file", &client_ca])
        .args(["--tls-auth-clients", "yes", "--requirepass", PASSWORD])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("start redis-server");
    let mut server = RedisTls { child, port, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            let log = std::fs::read_to_string(server._dir.path().join("redis.log")).unwrap_or_default();
            panic!("redis-server exited ({status}): is it built with TLS?\n{log}");
        }
        assert!(Instant::now() < deadline, "redis-server did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

const PASSWORD: &str = "tls-pw";

fn builder<G: Glue>(pki: &MutualPki) -> Builder<G> {
    Client::<G>::builder()
        .connect_timeout(Duration::from_secs(2))
        .stall_timeout(Duration::from_secs(3))
        .without_webpki_roots()
        .add_root_certificate(pki.server_ca.pem())
}

async fn rediss_to_redis_server<G: Glue>() {
    let pki = MutualPki::generate();
    let server = start(&pki);
    let url = format!("rediss://:{PASSWORD}@localhost:{}/2?protocol=3", server.port);
    let with_certificate = || {
        builder::<G>(&pki)
            .depth(16)
            .connections(1)
            .client_certificate(pki.client.chain_pem.clone(), pki.client.key_pem.clone())
    };
    let client = RedisClient::<G>::from_url(&url, with_certificate()).expect("client");
    let sets = (0..50).map(|i| {
        client.command(Command::new(["SET".to_owned(), format!("k{i}"), format!("v{i}")]), Idempotency::ByMethod)
    });
    for reply in join_all(sets).await {
        assert_eq!(reply.expect("SET").response, Value::Simple("OK".into()));
    }
    let mut commands = Vec::new();
    for i in 0..50 {
        commands.push(client.command(Command::new(["GET".to_owned(), format!("k{i}")]), Idempotency::ByMethod));
        commands.push(client.command(Command::new(["INCR", "counter"]), Idempotency::ByMethod));
    }
    let replies = join_all(commands).await;
    for (n, reply) in replies.into_iter().enumerate() {
        let value = reply.unwrap_or_else(|e| panic!("command {n}: {e}")).response;
        let expected =
            if n % 2 == 0 { Value::Bulk(format!("v{}", n / 2).into()) } else { Value::Integer(n as i64 / 2 + 1) };
        assert_eq!(value, expected, "command {n}");
    }
    // HELLO 3 took: a hash comes back as a RESP3 map.
    let hset = client.command(Command::new(["HSET", "h", "f", "v"]), Idempotency::ByMethod).await.expect("HSET");
    assert_eq!(hset.response, Value::Integer(1));
    let hash = client.command(Command::new(["HGETALL", "h"]), Idempotency::ByMethod).await.expect("HGETALL");
    assert_eq!(hash.response, Value::Map(vec![(Value::Bulk("f".into()), Value::Bulk("v".into()))]));
    // Everything went to database 2: database 0, seen by a client of its
    // own, is empty.
    let zero = format!("rediss://:{PASSWORD}@localhost:{}", server.port);
    let zero = RedisClient::<G>::from_url(&zero, with_certificate()).expect("client");
    let size = zero.command(Command::new(["DBSIZE"]), Idempotency::ByMethod).await.expect("DBSIZE");
    assert_eq!(size.response, Value::Integer(0));
    let size = client.command(Command::new(["DBSIZE"]), Idempotency::ByMethod).await.expect("DBSIZE");
    assert_eq!(size.response, Value::Integer(52), "50 keys, the counter and the hash");

    // Without the client certificate, redis-server refuses the handshake.
    let client = RedisClient::<G>::from_url(&url, builder::<G>(&pki).max_tries(1)).expect("client");
    // TLS 1.3 lets the client finish its handshake before the server
    // checks the certificate: the connection is lost during its setup,
    // which counts as a failed connect, not as a loss to move the queued
    // commands from forever.
    let got = client.command(Command::new(["PING"]), Idempotency::ByMethod).await;
    let error = got.expect_err("redis-server answered a client without a certificate");
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    assert!(error.message().contains("lost before its setup was answered"), "{error}");
    assert_eq!(error.attempts(), 0, "the PING was never written: {error}");
}

#[test]
#[ignore = "needs redis-server"]
fn rediss_to_redis_server_on_tokio() {
    pipelining_tests::run_on_tokio(rediss_to_redis_server::<pipelining_tokio::Tokio>());
}

#[test]
#[ignore = "needs redis-server"]
fn rediss_to_redis_server_on_smol() {
    pipelining_tests::run_on_smol(rediss_to_redis_server::<pipelining_smol::Smol>());
}
