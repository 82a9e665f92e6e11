//! What the pool remembers of origins is bounded: learned facts expire after
//! the origin memory (10 minutes after an origin's last connection closed),
//! at most `max_origins` idle origins are remembered (the least recently used
//! forgotten first), an origin that taught nothing is dropped as soon as it
//! is idle, and finding the next deadline never walks the origins
//! (`docs/DESIGN.md` Defaults, P10).

use pipelining::h1::{H1Factory, Request};
use pipelining::{Capability, Instant, Instruction, Origin, Pool, PoolConfig, PoolEvent, RequestOptions};

const ORIGINS: usize = 10_000;

/// Drives one GET to `origin` through a connection the server answers with
/// `head` and then closes while idle, so the origin learns from the answer.
fn serve_one(pool: &mut Pool<H1Factory>, now: Instant, origin: &Origin, head: &[u8]) {
    pool.submit(now, origin, Request::get("/"), RequestOptions::default()).expect("submit");
    let conn = match pool.poll_instruction() {
        Some(Instruction::Connect { conn, .. }) => conn,
        other => panic!("expected a connect for {origin}, got {other:?}"),
    };
    pool.handle_connected(now, conn);
    let mut buf = Vec::new();
    let (written_on, n) = pool.poll_transmit(now, &mut buf).expect("the GET is written");
    assert_eq!(written_on, conn);
    pool.handle_written(now, conn, n);
    pool.handle_received(now, conn, head);
    let mut ended = false;
    while let Some(event) = pool.poll_event() {
        ended |= matches!(event, PoolEvent::Response { end: true, .. });
    }
    assert!(ended, "{origin}: the response ended");
    // The server closes the idle connection: nothing lost, but the origin
    // keeps what the response taught.
    pool.handle_eof(now, conn);
    while pool.poll_instruction().is_some() {}
    while pool.poll_event().is_some() {}
}

const PIPELINING_WITH_BUDGET: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: max=5\r\n\r\n";

#[test]
fn ten_thousand_origins_that_learned_something_are_all_forgotten_once_their_memory_expires() {
    let config = PoolConfig::default();
    let mut pool = Pool::new(H1Factory::default(), config).expect("valid config");
    let start = Instant::from_millis(1_000);
    let origins: Vec<Origin> = (0..ORIGINS).map(|i| Origin::new("http", &format!("o{i}.test"), 80)).collect();
    for origin in &origins {
        serve_one(&mut pool, start, origin, PIPELINING_WITH_BUDGET);
    }
    assert_eq!(pool.origin_count(), ORIGINS, "every origin is remembered while its memory holds");
    let status = pool.origin_status(&origins[1234], start).expect("remembered");
    assert_eq!(status.capability, Capability::Pipelining);
    assert_eq!(status.budget, Some(6), "Keep-Alive: max=5 after the first response: 6 in all");
    assert_eq!((status.open, status.queued), (0, 0));
    assert_eq!(status.forget_at, Some(start + config.origin_memory));

    // One armed deadline per remembered origin, and finding the next one
    // looks at one entry, not at the origins.
    assert_eq!(pool.armed_timers(), ORIGINS);
    let before = pool.timer_entries_looked_at();
    for _ in 0..100 {
        assert_eq!(pool.poll_timeout(), Some(start + config.origin_memory));
    }
    assert_eq!(pool.timer_entries_looked_at() - before, 100, "one entry per poll_timeout call");

    // Just before the memory expires nothing is forgotten; just after, all.
    let almost = Instant::from_micros((start + config.origin_memory).as_micros() - 1);
    pool.handle_timeout(almost);
    assert_eq!(pool.origin_count(), ORIGINS);
    let expired = start + config.origin_memory;
    assert_eq!(pool.poll_timeout(), Some(expired));
    pool.handle_timeout(expired);
    assert_eq!(pool.origin_count(), 0, "the pool holds none of them");
    assert_eq!(pool.armed_timers(), 0);
    assert_eq!(pool.poll_timeout(), None);
    assert!(pool.origin_status(&origins[0], expired).is_none());
    assert_eq!(pool.pending(), 0);
}

#[test]
fn an_origin_met_again_after_it_was_forgotten_starts_unknown() {
    let config = PoolConfig::default();
    let mut pool = Pool::new(H1Factory::default(), config).expect("valid config");
    let origin = Origin::new("http", "again.test", 80);
    let start = Instant::from_millis(5);
    serve_one(&mut pool, start, &origin, PIPELINING_WITH_BUDGET);
    let first = pool.origin_id(&origin).expect("known");
    let later = start + config.origin_memory;
    pool.handle_timeout(later);
    assert_eq!(pool.origin_id(&origin), None);
    pool.submit(later, &origin, Request::get("/"), RequestOptions::default()).expect("submit");
    let second = pool.origin_id(&origin).expect("known again");
    assert_ne!(first, second, "an origin id is never reused");
    assert!(pool.origin(first).is_none());
    let status = pool.origin_status(&origin, later).expect("known");
    assert_eq!((status.capability, status.budget), (Capability::Unknown, None), "nothing of the old lessons");
}

#[test]
fn beyond_max_origins_the_least_recently_used_idle_origins_are_forgotten() {
    let mut config = PoolConfig::default();
    config.max_origins = 100;
    let mut pool = Pool::new(H1Factory::default(), config).expect("valid config");
    let now = Instant::from_millis(1);
    let origins: Vec<Origin> = (0..150).map(|i| Origin::new("http", &format!("lru{i}.test"), 8080)).collect();
    for origin in &origins {
        serve_one(&mut pool, now, origin, PIPELINING_WITH_BUDGET);
        assert!(pool.origin_count() <= 100, "never more than max_origins idle origins");
    }
    assert_eq!(pool.origin_count(), 100);
    assert!(origins[..50].iter().all(|o| pool.origin_id(o).is_none()), "the 50 used first are forgotten");
    assert!(origins[50..].iter().all(|o| pool.origin_id(o).is_some()), "the 100 used last are kept");
    assert_eq!(pool.armed_timers(), 100, "forgotten origins leave no deadline behind");
}

#[test]
fn an_origin_that_taught_nothing_is_dropped_once_idle() {
    let mut pool = Pool::new(H1Factory::default(), PoolConfig::default()).expect("valid config");
    let origin = Origin::new("http", "silent.test", 80);
    let now = Instant::from_millis(1);
    let id = pool.submit(now, &origin, Request::get("/"), RequestOptions::default()).expect("submit");
    let Some(Instruction::Connect { conn, .. }) = pool.poll_instruction() else { panic!("no connect") };
    pool.cancel(now, id);
    // The connect the pool asked for is abandoned once nothing waits: the
    // driver reports it failed, and the origin learned nothing.
    pool.handle_connect_failed(now, conn);
    assert!(matches!(pool.poll_event(), Some(PoolEvent::Failed(f)) if f.id == id));
    assert_eq!(pool.origin_count(), 1, "dropped at the next timer call, after the driver drained its events");
    assert_eq!(pool.poll_timeout(), Some(now));
    pool.handle_timeout(now);
    assert_eq!(pool.origin_count(), 0);
    assert_eq!(pool.armed_timers(), 0);
}
