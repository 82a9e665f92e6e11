//! `tracing` output, behind the `tracing` feature: one span per connection
//! task and per request, and an event for every connection happening and
//! every lesson the pool learns (capability, budget, idle timeout,
//! demotion), and for requests answered after a replay.

use crate::Observation;
use pipelining::Lesson;

/// An event for what an observer is told.
pub(crate) fn observation(observation: &Observation) {
    match observation {
        Observation::Connecting { conn, origin } => tracing::debug!(conn = conn.get(), %origin, "connecting"),
        Observation::Connected { conn } => tracing::debug!(conn = conn.get(), "connected"),
        Observation::ConnectFailed { conn, error } => tracing::warn!(conn = conn.get(), %error, "connect failed"),
        Observation::Closed { conn, origin, summary: Some(summary) } => {
            let lesson = summary.lesson.as_str();
            if summary.lesson == Lesson::PipelineBreak {
                tracing::warn!(conn = conn.get(), %origin, reason = summary.reason.as_str(), lesson, responses = summary.responses, "connection closed");
            } else {
                tracing::debug!(conn = conn.get(), %origin, reason = summary.reason.as_str(), lesson, responses = summary.responses, "connection closed");
            }
        }
        Observation::Closed { conn, origin, summary: None } => {
            tracing::debug!(conn = conn.get(), %origin, "connect abandoned")
        }
        Observation::Learned { origin, fact } => tracing::info!(%origin, %fact, "learned"),
    }
}

/// The span a connection task runs in.
pub(crate) fn connection_span(conn: pipelining::ConnectionId, origin: &pipelining::Origin) -> tracing::Span {
    tracing::debug_span!("connection", conn = conn.get(), %origin)
}

/// The span a request's response future is polled in.
pub(crate) fn request_span(method: &http::Method, uri: &http::Uri) -> tracing::Span {
    tracing::debug_span!("request", %method, %uri)
}

/// A request answered after more than one attempt.
pub(crate) fn answered(status: u16, attempts: u32) {
    if attempts > 1 {
        tracing::info!(status, attempts, "answered after a replay");
    } else {
        tracing::trace!(status, "answered");
    }
}
