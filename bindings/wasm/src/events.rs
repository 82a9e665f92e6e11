//! The core's events as plain JavaScript objects, each with a `type`.

use crate::{js, time};
use js_sys::{Array, Object};
use pipelining::h1::{H1Codec, Header, Response, ResponseHead, ResponsePart, Version};
use pipelining::{
    Capability, Cause, CloseReason, CloseSummary, Event, Fact, Failure, Instruction, Lesson, Origin, OriginStatus,
    PoolEvent, Progress, Retry, Unanswered,
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

fn pool_failed(failure: &Failure<H1Codec>) -> Object {
    let object = js::tagged("failed");
    js::set(&object, "id", id_number(failure.id.get()));
    js::set(&object, "kind", failure.kind.as_str());
    js::set(&object, "progress", progress(failure.progress));
    js::set(&object, "attempts", failure.attempts);
    let tries: Array = failure.tries.iter().map(|r| JsValue::from_str(close_reason(*r))).collect();
    let mut text = message(&failure.cause);
    for (i, reason) in failure.tries.iter().enumerate() {
        text.push_str(if i == 0 { "; tries lost to: " } else { ", " });
        text.push_str(close_reason(*reason));
    }
    js::set(&object, "tries", tries);
    js::set(&object, "message", text);
    object
}

/// A pool's instruction, as an event: `connect` names the origin, `close`
/// the connection (and its origin, if the pool still knows it).
pub(crate) fn instruction(
    instruction: Instruction,
    origin_of: impl Fn(pipelining::OriginId) -> Option<JsValue>,
) -> JsValue {
    let object = match instruction {
        Instruction::Connect { conn, origin } => {
            let object = js::tagged("connect");
            js::set(&object, "conn", id_number(conn.get()));
            js::set(&object, "origin", origin_of(origin).unwrap_or(JsValue::NULL));
            object
        }
        Instruction::Close { conn, origin, summary } => {
            let object = js::tagged("close");
            js::set(&object, "conn", id_number(conn.get()));
            js::set(&object, "origin", origin_of(origin).unwrap_or(JsValue::NULL));
            let summary = match summary {
                Some(closed) => {
                    let summary = Object::new();
                    closed_fields(&summary, &closed);
                    JsValue::from(summary)
                }
                None => JsValue::NULL,
            };
            js::set(&object, "summary", summary);
            object
        }
        _ => js::tagged("unknown"),
    };
    object.into()
}

/// A pool's event; `origin_of` names an origin by its id.
pub(crate) fn pool_event(
    event: PoolEvent<H1Codec>,
    origin_of: impl Fn(pipelining::OriginId) -> Option<JsValue>,
) -> JsValue {
    let object = match event {
        PoolEvent::Response { id, part, end, attempts, .. } => {
            let object = js::tagged("response");
            js::set(&object, "id", id_number(id.get()));
            js::set(&object, "part", self::part(part));
            js::set(&object, "end", end);
            js::set(&object, "attempts", attempts);
            object
        }
        PoolEvent::Complete { id, response, attempts } => {
            let object = js::tagged("complete");
            js::set(&object, "id", id_number(id.get()));
            js::set(&object, "response", whole(&response));
            js::set(&object, "attempts", attempts);
            object
        }
        PoolEvent::Failed(failure) => pool_failed(&failure),
        PoolEvent::Written { id, conn } => {
            let object = js::tagged("written");
            js::set(&object, "id", id_number(id.get()));
            js::set(&object, "conn", id_number(conn.get()));
            object
        }
        PoolEvent::Unsolicited { conn, part } => {
            let object = js::tagged("unsolicited");
            js::set(&object, "conn", id_number(conn.get()));
            js::set(&object, "part", self::part(part));
            object
        }
        PoolEvent::Learned { origin, fact } => {
            let object = js::tagged("learned");
            js::set(&object, "origin", origin_of(origin).unwrap_or(JsValue::NULL));
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
            object
        }
    };
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

/// A `complete` event packed into bytes for the Node driver's fast path
/// (`Pool.pollEventPacked`), little-endian:
///
/// * ten `u32` words: id (low, high), attempts, status, version (0 = 1.0,
///   1 = 1.1), header count, trailer count, reason length, text length,
///   body length;
/// * two `u32` lengths (name, value) per header, then per trailer;
/// * the text, one character per byte: the reason, then every header's
///   name and value, then every trailer's;
/// * the body.
pub(crate) fn packed_complete(out: &mut Vec<u8>, id: u64, attempts: u32, response: &Response) {
    let head = &response.head;
    let headers = head.headers.iter().count();
    let text = head.reason.len()
        + head.headers.iter().map(|h| h.name.len() + h.value.len()).sum::<usize>()
        + response.trailers.iter().map(|h| h.name.len() + h.value.len()).sum::<usize>();
    out.clear();
    out.reserve(40 + 8 * (headers + response.trailers.len()) + text + response.body.len());
    let word = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_le_bytes());
    word(out, (id & 0xffff_ffff) as usize);
    word(out, (id >> 32) as usize);
    word(out, attempts as usize);
    word(out, usize::from(head.status));
    word(out, usize::from(matches!(head.version, Version::Http11)));
    word(out, headers);
    word(out, response.trailers.len());
    word(out, head.reason.len());
    word(out, text);
    word(out, response.body.len());
    for h in head.headers.iter() {
        word(out, h.name.len());
        word(out, h.value.len());
    }
    for h in &response.trailers {
        word(out, h.name.len());
        word(out, h.value.len());
    }
    out.extend_from_slice(&head.reason);
    for h in head.headers.iter() {
        out.extend_from_slice(h.name);
        out.extend_from_slice(h.value);
    }
    for h in &response.trailers {
        out.extend_from_slice(&h.name);
        out.extend_from_slice(&h.value);
    }
    out.extend_from_slice(&response.body);
}
