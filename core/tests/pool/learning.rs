//! Only true lessons, applied at once (docs/DESIGN.md P6, P11): servers
//! with a request limit, worded every way they word it, cost at most a few
//! connections and writes beyond what the limit needs; error responses that
//! close the connection teach no budget.

use super::{all_answered, config};
use crate::net::Net;
use crate::script::{CloseStyle, MaxStyle, Plan, Script};
use pipelining::{Fact, Lesson, Origin};

const REQUESTS: usize = 2_000;
const DEPTH: usize = 16;

/// Requests the origin's server received, replays included.
fn writes(net: &Net, origin: &Origin) -> usize {
    net.stats(origin).conns.iter().map(|c| c.received.len()).sum()
}

/// Connections opened ≤ error closes + ⌈requests / limit⌉ + 3.
fn check_connections(net: &Net, origin: &Origin, limit: Option<u64>, error_closes: usize, what: &str) {
    let needed = limit.map_or(0, |l| (REQUESTS as u64).div_ceil(l) as usize);
    let opened = net.stats(origin).conns.len();
    assert!(
        opened <= error_closes + needed + 3,
        "{what}: {opened} connections for {error_closes} error closes and {needed} needed\n{}",
        net.describe()
    );
}

fn run(script: Script) -> (Net, Origin) {
    let mut cfg = config();
    cfg.connection.depth = DEPTH;
    cfg.queue_limit = REQUESTS;
    let mut net = Net::new(cfg);
    let origin = net.server("limits.test", script);
    let ids = net.gets(&origin, REQUESTS);
    net.settle();
    net.check_settled();
    all_answered(&net, &ids);
    (net, origin)
}

#[test]
fn a_request_limit_costs_a_few_connections_and_writes_however_it_is_worded() {
    let cases = [
        // nginx `keepalive_requests`, lighttpd: `Connection: close` on the last.
        ("close header", CloseStyle::Header, false, MaxStyle::Countdown),
        // A server that just closes after the last response.
        ("eof", CloseStyle::Eof, false, MaxStyle::Countdown),
        // Apache: `Keep-Alive: max` counting down.
        ("apache max countdown", CloseStyle::Header, true, MaxStyle::Countdown),
        // Node's `maxRequestsPerSocket`: the same `max=100` on every response.
        ("node max repeated", CloseStyle::Header, true, MaxStyle::Repeat),
    ];
    for (what, style, announce, max_style) in cases {
        let mut script = Script::http11().plan(Plan::close_after(100, style));
        script.keep_alive_max = announce;
        script.max_style = max_style;
        let (net, origin) = run(script);
        check_connections(&net, &origin, Some(100), 0, what);
        let written = writes(&net, &origin);
        assert!(written <= REQUESTS + 2 * DEPTH, "{what}: {written} writes\n{}", net.describe());
        assert_eq!(net.status(&origin).budget, Some(100), "{what}");
        assert!(net.learned.iter().any(|(_, _, fact)| *fact == Fact::Budget(100)), "{what}: the lesson is reported");
    }
}

#[test]
fn error_responses_that_close_teach_no_budget() {
    // Python's http.server closes after a 404; nginx after a 500. One
    // response in ten, then one in a hundred with a real limit of 100.
    for (what, every, limit) in [("python", 10, None), ("nginx", 100, Some(100))] {
        let mut script = Script::http11();
        script.error_close_every = Some(every);
        if let Some(limit) = limit {
            script.plan = Plan::close_after(limit, CloseStyle::Header);
        }
        let (net, origin) = run(script);
        let error_closes = REQUESTS / every as usize;
        check_connections(&net, &origin, limit, error_closes, what);
        assert_eq!(net.status(&origin).budget, limit, "{what}: no budget from an error close");
        assert_eq!(net.status(&origin).recent_breaks, 0, "{what}");
        assert!(net.status(&origin).demoted_until.is_none(), "{what}");
        let from_errors = net.closes.iter().filter(|(_, _, c)| c.lesson == Lesson::ServerClose).count();
        assert!(
            limit.is_some() || from_errors == 0,
            "{what}: {from_errors} closes taught a budget\n{}",
            net.describe()
        );
    }
}
