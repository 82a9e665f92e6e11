//! A lesson one connection teaches holds for the origin's other open
//! connections at once (`docs/DESIGN.md` P11), and idle closes teach the
//! server's idle timeout, which new and open connections retire before
//! (P6). Driven by hand, byte by byte where it matters.

use pipelining::h1::{H1Factory, Request};
use pipelining::{
    Capability, CloseReason, ConnectionId, Duration, Fact, Instant, Instruction, Origin, Pool, PoolConfig, PoolEvent,
    RequestOptions,
};

fn ok() -> &'static [u8] {
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
}

fn pool(connections: usize, depth: usize) -> Pool<H1Factory> {
    let mut config = PoolConfig::default();
    config.connections = connections;
    config.connection.depth = depth;
    config.connection.capability = Capability::Pipelining;
    config.connection.rescue_delay = None;
    Pool::new(H1Factory::default(), config).expect("valid config")
}

fn connects(pool: &mut Pool<H1Factory>) -> Vec<ConnectionId> {
    let mut conns = Vec::new();
    while let Some(instruction) = pool.poll_instruction() {
        if let Instruction::Connect { conn, .. } = instruction {
            conns.push(conn);
        }
    }
    conns
}

/// Writes everything the pool has for `conn`; how many requests.
fn write(pool: &mut Pool<H1Factory>, now: Instant, conn: ConnectionId) -> usize {
    let mut requests = 0;
    let mut buf = Vec::new();
    while let Some(n) = pool.poll_transmit_on(now, conn, &mut buf) {
        requests += buf.windows(4).filter(|w| w == b"GET ").count();
        pool.handle_written(now, conn, n);
        buf.clear();
    }
    requests
}

fn facts(pool: &mut Pool<H1Factory>) -> Vec<Fact> {
    let mut facts = Vec::new();
    while let Some(event) = pool.poll_event() {
        if let PoolEvent::Learned { fact, .. } = event {
            facts.push(fact);
        }
    }
    facts
}

#[test]
fn a_budget_learned_on_one_connection_holds_at_once_for_the_open_ones() {
    let mut pool = pool(2, 4);
    let origin = Origin::new("http", "budget.test", 80);
    let now = Instant::from_millis(1);
    for i in 0..40 {
        pool.submit(now, &origin, Request::get(format!("/{i}")), RequestOptions::default()).expect("submit");
    }
    let conns = connects(&mut pool);
    assert_eq!(conns.len(), 2);
    let (a, b) = (conns[0], conns[1]);
    pool.handle_connected(now, a);
    pool.handle_connected(now, b);
    assert_eq!(write(&mut pool, now, a), 4);
    assert_eq!(write(&mut pool, now, b), 4);
    // `b` answers one and writes one more: five written on it.
    pool.handle_received(now, b, ok());
    assert_eq!(write(&mut pool, now, b), 1);
    // `a` answers three, then its server closes: a budget of three.
    for byte in ok().repeat(3) {
        pool.handle_received(now, a, &[byte]);
    }
    pool.handle_eof(now, a);
    assert!(facts(&mut pool).contains(&Fact::Budget(3)));
    assert_eq!(pool.origin_status(&origin, now).and_then(|s| s.budget), Some(3));
    // `b` has written five already, more than three: it writes nothing
    // more, and closes once its outstanding requests are answered.
    assert_eq!(pool.connection(b).and_then(|c| c.budget()), Some(0));
    pool.handle_received(now, b, &ok().repeat(4));
    assert_eq!(write(&mut pool, now, b), 0, "nothing past the budget (P11)");
    let closed = std::iter::from_fn(|| pool.poll_instruction()).find_map(|i| match i {
        Instruction::Close { conn, summary: Some(s), .. } if conn == b => Some(s.reason),
        _ => None,
    });
    assert_eq!(closed, Some(CloseReason::BudgetSpent));
}

#[test]
fn idle_closes_teach_the_idle_timeout_and_connections_retire_before_it() {
    let mut pool = pool(1, 4);
    let origin = Origin::new("http", "idle.test", 80);
    let mut now = Instant::from_millis(1);
    pool.submit(now, &origin, Request::get("/0"), RequestOptions::default()).expect("submit");
    let a = connects(&mut pool)[0];
    pool.handle_connected(now, a);
    write(&mut pool, now, a);
    pool.handle_received(now, a, ok());
    // The server closes the idle connection after 400 ms.
    now = now + Duration::from_millis(400);
    pool.handle_eof(now, a);
    assert!(facts(&mut pool).contains(&Fact::IdleTimeout(Duration::from_millis(400))));
    assert_eq!(pool.origin_status(&origin, now).and_then(|s| s.idle_timeout), Some(Duration::from_millis(400)));
    // The next connection retires itself after 300 ms idle (400 less a
    // quarter), before the server's close can cross a request.
    pool.submit(now, &origin, Request::get("/1"), RequestOptions::default()).expect("submit");
    let b = connects(&mut pool)[0];
    pool.handle_connected(now, b);
    write(&mut pool, now, b);
    pool.handle_received(now, b, ok());
    assert_eq!(pool.connection(b).and_then(|c| c.idle_limit()), Some(Duration::from_millis(400)));
    let idle_from = now;
    let retire_at = pool.poll_timeout().expect("the retire timer");
    assert_eq!(retire_at.saturating_duration_since(idle_from), Duration::from_millis(300));
    pool.handle_timeout(retire_at);
    let closed = std::iter::from_fn(|| pool.poll_instruction()).find_map(|i| match i {
        Instruction::Close { conn, summary: Some(s), .. } if conn == b => Some(s.reason),
        _ => None,
    });
    assert_eq!(closed, Some(CloseReason::IdleTimeout));
}
