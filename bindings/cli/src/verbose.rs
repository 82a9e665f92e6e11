//! `--verbose`: connection events and everything learned about each origin,
//! on stderr.

use pipelining::Lesson;
use pipelining_tokio::{Client, Observation, OriginStatus};

/// Prints one line per connection event.
pub(crate) fn observe(observation: &Observation) {
    match observation {
        Observation::Connecting { conn, origin } => eprintln!("* {conn:?} connecting to {origin}"),
        Observation::Connected { conn } => eprintln!("* {conn:?} connected"),
        Observation::ConnectFailed { conn, error } => eprintln!("* {conn:?} connect failed: {error}"),
        Observation::Closed { conn, origin, summary: Some(s) } => eprintln!(
            "* {conn:?} to {origin} closed: {} after {} responses{}{}",
            s.reason.describe(),
            s.responses,
            match s.lesson {
                Lesson::PipelineBreak => ", a pipeline break",
                Lesson::ServerClose => ", the server's request budget",
                Lesson::StaleRace => ", the stale-connection race",
                _ => "",
            },
            s.idle_closed_after.map_or_else(String::new, |d| format!(", idle {} ms", d.as_millis())),
        ),
        Observation::Closed { conn, origin, summary: None } => eprintln!("* {conn:?} to {origin} abandoned"),
        Observation::Learned { origin, fact } => eprintln!("* learned: {origin} {fact}"),
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
    let idle = s.idle_timeout.map_or_else(|| String::from("none learnt"), |d| format!("{} ms", d.as_millis()));
    format!(
        "capability {:?}, request budget {budget}, idle timeout {idle}, recent pipeline breaks {}, demoted {}",
        s.capability,
        s.recent_breaks,
        if s.demoted_until.is_some() { "yes" } else { "no" }
    )
}
