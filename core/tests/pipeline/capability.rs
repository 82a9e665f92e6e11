//! P6: a server not known to pipeline gets one request until its first
//! response says it can take more.

use crate::harness::*;
use pipelining::Lesson;
use pipelining::{Capability, CloseReason, ConnectionConfig, Progress, Retry};

#[test]
fn probe_sends_one_request_until_the_first_response_confirms_pipelining() {
    let mut config = ConnectionConfig::default();
    config.depth = 4;
    let mut pair = Pair::new(config);
    pair.server.hold = true;
    let ids: Vec<_> = (0..7).map(|i| pair.submit(get(&format!("/probe/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.server.targets(), ["/probe/0"], "one request while the capability is unknown");
    assert_eq!(pair.conn.capability(), Capability::Unknown);

    pair.server.release();
    pair.drive();
    assert_eq!(pair.capabilities, [Capability::Pipelining]);
    // After the confirming response, a full window goes out in one transmit.
    let second: Vec<_> = pair.server.received.iter().filter(|r| r.transmit == 1).map(|r| r.target.as_str()).collect();
    assert_eq!(second, ["/probe/1", "/probe/2", "/probe/3", "/probe/4"]);
    assert!(ids.iter().all(|&id| pair.is_ok(id)));
    assert_eq!(pair.server.received.len(), 7);
}

#[test]
fn http10_keep_alive_first_response_keeps_one_request_at_a_time() {
    let mut config = ConnectionConfig::default();
    config.depth = 8;
    let mut pair = Pair::new(config);
    pair.script(|r| Reply::http10(r, true));
    let ids: Vec<_> = (0..5).map(|i| pair.submit(get(&format!("/ka/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.capabilities, [Capability::OneAtATime]);
    assert_eq!(pair.conn.capability(), Capability::OneAtATime);
    // The harness checked one outstanding at a time; each went alone.
    let transmits: Vec<_> = pair.server.received.iter().map(|r| r.transmit).collect();
    assert_eq!(transmits, [0, 1, 2, 3, 4]);
    assert!(ids.iter().all(|&id| pair.is_ok(id)));
    assert!(pair.closed.is_none(), "keep-alive keeps the connection");
}

#[test]
fn close_on_the_first_response_keeps_one_at_a_time_and_moves_the_rest() {
    let mut pair = Pair::new(ConnectionConfig::default());
    pair.script(|r| Reply::ok_with(r, "Connection: close\r\n"));
    let ids: Vec<_> = (0..3).map(|i| pair.submit(get(&format!("/c/{i}")))).collect();
    pair.drive();
    assert_eq!(pair.capabilities, [Capability::OneAtATime]);
    assert!(pair.is_ok(ids[0]));
    for &id in &ids[1..] {
        let (progress, retry, ..) = pair.failure(id);
        assert_eq!((progress, retry), (Progress::NotWritten, Retry::Move));
    }
    let closed = pair.closed();
    assert_eq!(closed.reason, CloseReason::ServerClose);
    assert_eq!(closed.lesson, Lesson::ServerClose);
    assert_eq!(closed.responses, 1);
}

#[test]
fn http10_without_keep_alive_serves_one_response_per_connection() {
    let mut pair = Pair::new(ConnectionConfig::default());
    pair.script(|r| Reply::http10(r, false));
    let ids: Vec<_> = (0..3).map(|i| pair.submit(get(&format!("/old/{i}")))).collect();
    pair.drive();
    assert!(pair.is_ok(ids[0]));
    assert_eq!(pair.server.received.len(), 1);
    assert_eq!(pair.closed().reason, CloseReason::ServerClose);
    assert_eq!(pair.closed().lesson, Lesson::ServerClose);
    for &id in &ids[1..] {
        assert_eq!(pair.failure(id).1, Retry::Move);
    }
}

#[test]
fn a_known_pipelining_server_gets_a_full_window_at_once() {
    let mut pair = Pair::new(pipelining(5));
    let ids: Vec<_> = (0..5).map(|i| pair.submit(get(&format!("/k/{i}")))).collect();
    pair.drive();
    assert!(pair.server.received.iter().all(|r| r.transmit == 0));
    assert!(pair.capabilities.is_empty(), "nothing new learnt");
    assert!(ids.iter().all(|&id| pair.is_ok(id)));
}

#[test]
fn set_capability_overrides_what_is_known() {
    let mut pair = Pair::new(pipelining(4));
    pair.conn.set_capability(Capability::OneAtATime);
    pair.server.hold = true;
    for i in 0..3 {
        pair.submit(get(&format!("/o/{i}")));
    }
    pair.drive();
    assert_eq!(pair.server.received.len(), 1);
    pair.conn.set_capability(Capability::Pipelining);
    pair.drive();
    assert_eq!(pair.server.received.len(), 3);
}
