//! The depth changes at run time (`docs/DESIGN.md` P1): `Pool::set_depth`
//! applies to open connections from their next write on, and zero is
//! refused.

use pipelining::h1::{H1Factory, Request};
use pipelining::{
    Capability, ConfigError, ConnectionId, Instant, Instruction, Origin, Pool, PoolConfig, RequestOptions,
};

/// How many requests the transmit holds (each starts with `GET `).
fn requests_in(bytes: &[u8]) -> usize {
    bytes.windows(4).filter(|w| w == b"GET ").count()
}

fn answer(n: usize) -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".repeat(n)
}

fn write_all(pool: &mut Pool<H1Factory>, now: Instant) -> Option<(ConnectionId, usize)> {
    let mut buf = Vec::new();
    let (conn, n) = pool.poll_transmit(now, &mut buf)?;
    pool.handle_written(now, conn, n);
    Some((conn, requests_in(&buf)))
}

#[test]
fn set_depth_takes_effect_on_open_connections_and_refuses_zero() {
    let mut config = PoolConfig::default();
    config.connections = 1;
    config.connection.depth = 2;
    config.connection.capability = Capability::Pipelining;
    let mut pool = Pool::new(H1Factory::default(), config).expect("valid config");
    let origin = Origin::new("http", "depth.test", 80);
    let now = Instant::from_millis(1);
    for i in 0..20 {
        pool.submit(now, &origin, Request::get(format!("/{i}")), RequestOptions::default()).expect("submit");
    }
    let Some(Instruction::Connect { conn, .. }) = pool.poll_instruction() else { panic!("no connect") };
    pool.handle_connected(now, conn);
    assert_eq!(write_all(&mut pool, now), Some((conn, 2)), "depth 2: two in the first window");

    assert_eq!(pool.set_depth(now, 0), Err(ConfigError::Zero { setting: "depth" }));
    pool.set_depth(now, 6).expect("a positive depth");
    assert_eq!(pool.config().connection.depth, 6);
    assert_eq!(write_all(&mut pool, now), Some((conn, 4)), "room for four more at once, before any answer");
    pool.handle_received(now, conn, &answer(6));
    assert_eq!(write_all(&mut pool, now), Some((conn, 6)), "a whole window of six");

    pool.set_depth(now, 1).expect("a positive depth");
    pool.handle_received(now, conn, &answer(6));
    assert_eq!(write_all(&mut pool, now), Some((conn, 1)), "one at a time from now on");
    pool.handle_received(now, conn, &answer(1));
    assert_eq!(write_all(&mut pool, now), Some((conn, 1)));
}
