//! `--verbose`: connection events and per-origin capability on stderr.

use pipelining::Lesson;
use pipelining_tokio::{Client, Observation, OriginStatus};

/// Prints one line per connection event.
pub(crate) fn observe(observation: &Observation) {
    match observation {
        Observation::Connecting { conn, origin } => eprintln!("* {conn:?} connecting to {origin}"),
        Observation::Connected { conn } => eprintln!("* {conn:?} connected"),
        Observation::ConnectFailed { conn, error } => eprintln!("* {conn:?} connect failed: {error}"),
        Observation::Closed { conn, origin, summary: Some(s) } => eprintln!(
            "* {conn:?} to {origin} closed: {:?} after {} responses{}{}{}",
            s.reason,
            s.responses,
            if s.lesson == Lesson::PipelineBreak { ", pipeline break" } else { "" },
            if s.lesson == Lesson::ServerClose { ", server close" } else { "" },
            if s.lesson == Lesson::StaleRace { ", stale-connection race" } else { "" },
        ),
        Observation::Closed { conn, origin, summary: None } => eprintln!("* {conn:?} to {origin} abandoned"),
        Observation::Capability { origin, capability, until: Some(until) } => {
            eprintln!("* {origin} now {capability:?} until t={}ms", until.as_micros() / 1000)
        }
        Observation::Capability { origin, capability, until: None } => eprintln!("* {origin} now {capability:?}"),
        other => eprintln!("* {other:?}"),
    }
}

/// Prints what the client learnt about each origin.
pub(crate) fn summary(client: &Client) {
    for origin in client.origins() {
        if let Some(status) = client.origin_status(&origin) {
            eprintln!("* origin {origin}: {}", describe(&status));
        }
    }
}

fn describe(s: &OriginStatus) -> String {
    let budget = s.budget.map_or_else(|| String::from("none learnt"), |b| b.to_string());
    format!(
        "capability {:?}, request budget {budget}, recent pipeline breaks {}, demoted {}",
        s.capability,
        s.recent_breaks,
        if s.demoted_until.is_some() { "yes" } else { "no" }
    )
}
