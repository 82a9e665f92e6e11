//! Head-of-line rescue across connections (docs/DESIGN.md P13): requests
//! stuck behind a silent head are copied to another connection and the
//! first answer wins; a large response sends what would queue behind it
//! elsewhere. One outcome per request throughout (P12).

use super::{all_answered, config};
use crate::net::Net;
use crate::script::{Answer, Plan, Script};
use pipelining::{Capability, Duration, PoolConfig};

fn rescuing() -> PoolConfig {
    let mut cfg = config();
    cfg.connection.rescue_delay = Some(Duration::from_millis(1_500));
    cfg.connection.capability = Capability::Pipelining;
    cfg.connection.depth = 8;
    cfg.connections = 2;
    cfg
}

#[test]
fn requests_behind_a_silent_head_finish_on_the_other_connection_first() {
    let mut net = Net::new(rescuing());
    // The first connection answers nothing until told; the second answers.
    let origin = net.server("slow.test", Script::http11().plans([Plan::answer(Answer::Hold), Plan::NORMAL]));
    let ids = net.gets(&origin, 9);
    let started = net.now;
    // Everything on the silent connection but its head is copied and
    // answered on the other one.
    net.run_until(|n| {
        n.stats(&origin).conns.first().is_some_and(|held| {
            held.received.len() > 1 && held.targets()[1..].iter().all(|t| n.ended.contains(&n.id_of(t)))
        })
    });
    let held = net.stats(&origin).conns[0].clone();
    let head = net.id_of(held.targets()[0]);
    assert!(!net.ended.contains(&head), "the head is still silent");
    assert!(net.now.saturating_duration_since(started) < Duration::from_secs(3), "rescued after the delay");
    let behind = held.received.len() - 1;
    assert_eq!(net.pool.rescues(), behind as u64, "{}", net.describe());
    // The silent connection answers at last: its late answers to the copied
    // requests are read and dropped, the head is answered there.
    net.set_answer(&origin, Answer::All);
    net.settle();
    net.check_settled();
    all_answered(&net, &ids);
    let head_rank = net.ended.iter().position(|&id| id == head).expect("the head ended");
    for target in &held.targets()[1..] {
        let id = net.id_of(target);
        let rank = net.ended.iter().position(|&e| e == id).expect("ended");
        assert!(rank < head_rank, "{target} finished before the head");
        assert_eq!(net.outcome(id).attempts(), 2, "{target}: the copy counts as an attempt");
        assert_eq!(net.stats(&origin).copies(target), 2, "{target}: received on both connections");
    }
    assert_eq!(net.outcome(head).attempts(), 1);
}

#[test]
fn no_rescue_without_another_connection_to_take_the_copies() {
    let mut cfg = rescuing();
    cfg.connections = 1;
    let mut net = Net::new(cfg);
    let origin = net.server("alone.test", Script::http11().plans([Plan::answer(Answer::Hold)]));
    let ids = net.gets(&origin, 4);
    net.run_until(|n| n.stats(&origin).conns.first().is_some_and(|c| c.received.len() == 4));
    net.advance(Duration::from_secs(5));
    assert_eq!(net.pool.rescues(), 0);
    net.set_answer(&origin, Answer::All);
    net.settle();
    net.check_settled();
    all_answered(&net, &ids);
    for &id in &ids {
        assert_eq!(net.outcome(id).attempts(), 1, "{id:?}: {:?}\n{}", net.outcome(id), net.describe());
    }
}

#[test]
fn a_large_response_sends_what_would_wait_behind_it_elsewhere() {
    let mut cfg = rescuing();
    cfg.connection.rescue_delay = None;
    // Every response here is "large": each holds its connection until it is
    // complete, so nothing is ever written behind one.
    cfg.connection.large_response = Some(5);
    let mut net = Net::new(cfg);
    let origin = net.server("large.test", Script::http11().plan(Plan::answer(Answer::PerTurn(1))));
    let ids = net.gets(&origin, 40);
    net.settle();
    net.check_settled();
    all_answered(&net, &ids);
    // Never written twice, nothing wasted.
    assert!(ids.iter().all(|&id| net.outcome(id).attempts() == 1));
    let received: usize = net.stats(&origin).conns.iter().map(|c| c.received.len()).sum();
    assert_eq!(received, 40);
}
