//! The core's events as plain JavaScript objects, each with a `type`.

use crate::{js, time};
use alloc::string::{String, ToString};
use js_sys::{Array, Object};
use pipelining::h1::{H1Codec, Header, Response, ResponseHead, ResponsePart, Version};
use pipelining::{
    Capability, Cause, CloseReason, CloseSummary, Event, Fact, Instruction, Lesson, Origin, OriginId, OriginStatus,
    Progress, Retry, Unanswered,
};
use wasm_bindgen::JsValue;

/// `"unknown"`, `"pipelining"` or `"one_at_a_time"`.
pub(crate) fn capability(capability: Capability) -> &'static str {
    match capability {
        Capability::Unknown => "unknown",
        Capability::Pipelining => "pipelining",
        Capability::OneAtATime => "one_at_a_time",
    }
}

fn progress(progress: Progress) -> &'static str {
    match progress {
        Progress::NotWritten => "not_written",
        Progress::PartlyWritten => "partly_written",
        Progress::Written => "written",
        Progress::ResponsePartlyReceived => "response_partly_received",
    }
}

fn retry(retry: Retry) -> &'static str {
    match retry {
        Retry::Move => "move",
        Retry::Replay => "replay",
        Retry::Never => "never",
    }
}

/// The snake_case name of a close reason.
pub(crate) fn close_reason(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Local => "local",
        CloseReason::ServerClose => "server_close",
        CloseReason::PeerClosed => "peer_closed",
        CloseReason::Truncated => "truncated",
        CloseReason::Transport => "transport",
        CloseReason::StallTimeout => "stall_timeout",
        CloseReason::IdleTimeout => "idle_timeout",
        CloseReason::Protocol => "protocol",
        CloseReason::Upgraded => "upgraded",
        CloseReason::CancelDrain => "cancel_drain",
        CloseReason::BudgetSpent => "budget_spent",
        CloseReason::SetupRefused => "setup_refused",
        _ => "other",
    }
}

/// A request or connection id as a JavaScript number (exact below 2^53).
pub(crate) fn id_number(id: u64) -> JsValue {
    JsValue::from_f64(id as f64)
}

/// `[[name, value], …]`, one character per byte.
fn field_list<'a>(fields: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Array {
    fields.map(|(name, value)| JsValue::from(Array::of2(&js::latin1(name), &js::latin1(value)))).collect()
}

/// Trailer fields as `[[name, value], …]`.
fn headers(fields: &[Header]) -> Array {
    field_list(fields.iter().map(|h| (&h.name[..], &h.value[..])))
}

/// Fills `status`, `reason`, `version` and `headers` of a head.
fn head_fields(object: &Object, head: &ResponseHead) {
    js::set(object, "status", head.status);
    js::set(object, "reason", js::latin1(&head.reason));
    js::set(
        object,
        "version",
        match head.version {
            Version::Http10 => "1.0",
            Version::Http11 => "1.1",
        },
    );
    js::set(object, "headers", field_list(head.headers.iter().map(|h| (h.name, h.value))));
}

/// `{type: "interim" | "head" | "data" | "trailers" | "end", …}`.
pub(crate) fn part(part: ResponsePart) -> Object {
    match part {
        ResponsePart::Interim(head) => {
            let object = js::tagged("interim");
            head_fields(&object, &head);
            object
        }
        ResponsePart::Head(head) => {
            let object = js::tagged("head");
            head_fields(&object, &head);
            object
        }
        ResponsePart::Data(data) => {
            let object = js::tagged("data");
            js::set(&object, "data", js::uint8array(&data));
            object
        }
        ResponsePart::Trailers(fields) => {
            let object = js::tagged("trailers");
            js::set(&object, "headers", headers(&fields));
            object
        }
        ResponsePart::End => js::tagged("end"),
    }
}

/// `{status, reason, version, headers, body, trailers}`.
fn whole(response: &Response) -> Object {
    let object = Object::new();
    head_fields(&object, &response.head);
    js::set(&object, "body", js::uint8array(&response.body));
    js::set(&object, "trailers", headers(&response.trailers));
    object
}

/// `{scheme, host, port}`.
pub(crate) fn origin(origin: &Origin) -> Object {
    let object = Object::new();
    js::set(&object, "scheme", origin.scheme());
    js::set(&object, "host", origin.host());
    js::set(&object, "port", origin.port());
    object
}

/// `{reason, responses, pipelineBreak, serverClose, stale}` on `object`.
fn closed_fields(object: &Object, closed: &CloseSummary) {
    js::set(object, "reason", close_reason(closed.reason));
    js::set(object, "responses", closed.responses as f64);
    js::set(object, "pipelineBreak", closed.lesson == Lesson::PipelineBreak);
    js::set(object, "serverClose", closed.lesson == Lesson::ServerClose);
    js::set(object, "stale", closed.lesson == Lesson::StaleRace);
}

/// Why a request failed, for people.
fn message(cause: &Cause<pipelining::h1::DecodeError>) -> String {
    match cause {
        Cause::Cancelled => "cancelled".into(),
        Cause::Deadline => "the request's deadline passed".into(),
        Cause::Response(e) => js::text(&["bad response (", e.kind().as_str(), "): ", &e.to_string()]),
        Cause::Lost(reason) => js::text(&["connection lost (", close_reason(*reason), ")"]),
        Cause::Unencodable => "the request could not be encoded".into(),
        Cause::ConnectFailed => "every connect failed".into(),
        Cause::Rerouted => "handed back unwritten: the connection was held by a large response".into(),
    }
}

/// A connection's event.
pub(crate) fn connection_event(event: Event<H1Codec>) -> JsValue {
    let object = match event {
        Event::Response { id, part, end } => {
            let object = js::tagged("response");
            js::set(&object, "id", id_number(id.get()));
            js::set(&object, "part", self::part(part));
            js::set(&object, "end", end);
            object
        }
        Event::Complete { id, response } => {
            let object = js::tagged("complete");
            js::set(&object, "id", id_number(id.get()));
            js::set(&object, "response", whole(&response));
            object
        }
        Event::Unanswered(failure) => failed(&failure),
        Event::Written { id } => {
            let object = js::tagged("written");
            js::set(&object, "id", id_number(id.get()));
            object
        }
        Event::Unsolicited(part) => {
            let object = js::tagged("unsolicited");
            js::set(&object, "part", self::part(part));
            object
        }
        Event::Capability(c) => {
            let object = js::tagged("capability");
            js::set(&object, "capability", capability(c));
            object
        }
        Event::SlowHead => js::tagged("slowHead"),
        Event::SetupRefused(why) => {
            let object = js::tagged("setupRefused");
            js::set(&object, "why", why.as_str());
            object
        }
        Event::SendBody { id } => {
            let object = js::tagged("sendBody");
            js::set(&object, "id", id_number(id.get()));
            object
        }
        Event::Closed(closed) => {
            let object = js::tagged("closed");
            closed_fields(&object, &closed);
            object
        }
    };
    object.into()
}

fn failed(failure: &Unanswered<H1Codec>) -> Object {
    let object = js::tagged("failed");
    js::set(&object, "id", id_number(failure.id.get()));
    js::set(&object, "kind", failure.kind().as_str());
    js::set(&object, "progress", progress(failure.progress));
    js::set(&object, "retry", retry(failure.retry));
    js::set(&object, "replayable", failure.replayable);
    js::set(&object, "message", message(&failure.cause));
    object
}

/// A pool's instruction: `connect` names the origin, `close` names it too
/// and says how the connection ended (`summary`, `null` for a connect given
/// up), `pause` and `resume` are about reading.
pub(crate) fn instruction<'a>(instruction: Instruction, origin_of: impl Fn(OriginId) -> Option<&'a Origin>) -> JsValue {
    let (kind, conn) = match &instruction {
        Instruction::Connect { conn, .. } => ("connect", *conn),
        Instruction::Close { conn, .. } => ("close", *conn),
        Instruction::PauseReading { conn } => ("pause", *conn),
        Instruction::ResumeReading { conn } => ("resume", *conn),
        _ => return js::tagged("unknown").into(),
    };
    let object = js::tagged(kind);
    js::set(&object, "conn", id_number(conn.get()));
    match instruction {
        Instruction::Connect { origin, .. } => {
            js::set(&object, "origin", origin_of(origin).map_or(JsValue::NULL, |o| self::origin(o).into()));
        }
        Instruction::Close { summary, origin, .. } => {
            js::set(&object, "origin", origin_of(origin).map_or(JsValue::NULL, |o| self::origin(o).into()));
            let summary = match summary {
                Some(closed) => {
                    let summary = Object::new();
                    closed_fields(&summary, &closed);
                    JsValue::from(summary)
                }
                None => JsValue::NULL,
            };
            js::set(&object, "summary", summary);
        }
        _ => {}
    }
    object.into()
}

/// `{type: "learned", origin, fact, …, text}`: something learned about an
/// origin (P6, P11): `capability` (with `capability`), `demoted` (with
/// `until`), `budget` (with `budget`), `idleTimeout` (with `ms`).
pub(crate) fn learned_notice(origin: Option<&Origin>, fact: Fact) -> JsValue {
    let object = js::tagged("learned");
    js::set(&object, "origin", origin.map_or(JsValue::NULL, |o| self::origin(o).into()));
    match fact {
        Fact::Capability(c) => {
            js::set(&object, "fact", "capability");
            js::set(&object, "capability", self::capability(c));
        }
        Fact::Demoted { until } => {
            js::set(&object, "fact", "demoted");
            js::set(&object, "until", JsValue::from_f64(time::millis(until)));
        }
        Fact::Budget(n) => {
            js::set(&object, "fact", "budget");
            js::set(&object, "budget", n as f64);
        }
        Fact::IdleTimeout(d) => {
            js::set(&object, "fact", "idleTimeout");
            js::set(&object, "ms", d.as_millis() as f64);
        }
        _ => js::set(&object, "fact", "other"),
    }
    js::set(&object, "text", fact.to_string());
    object.into()
}

/// `{capability, demotedUntil, recentBreaks, budget, failedConnects, open,
/// connecting, queued}`.
pub(crate) fn origin_status(status: &OriginStatus) -> JsValue {
    let object = Object::new();
    js::set(&object, "capability", capability(status.capability));
    js::set(
        &object,
        "demotedUntil",
        status.demoted_until.map_or(JsValue::NULL, |at| JsValue::from_f64(time::millis(at))),
    );
    js::set(&object, "recentBreaks", status.recent_breaks as f64);
    js::set(&object, "budget", status.budget.map_or(JsValue::NULL, |b| JsValue::from_f64(b as f64)));
    js::set(&object, "failedConnects", status.failed_connects);
    js::set(&object, "open", status.open as f64);
    js::set(&object, "connecting", status.connecting as f64);
    js::set(&object, "queued", status.queued as f64);
    object.into()
}
