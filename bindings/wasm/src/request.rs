//! Requests and their options from JavaScript objects.

use crate::error::invalid;
use crate::{js, time};
use bytes::Bytes;
use js_sys::Uint8Array;
use pipelining::h1::{Content, ContentPlan, Header, Method, Request};
use pipelining::{Idempotency, RequestOptions};
use wasm_bindgen::{JsCast, JsValue};

/// A request from `{method, target, headers, body}`:
///
/// * `method`: a string, default `"GET"`;
/// * `target`: the request-target (`"/path?query"`), a string or bytes;
/// * `headers`: `[[name, value], …]`, strings (one byte per character) or
///   `Uint8Array`s; `Host` is added from the origin when absent;
/// * `body`: a `Uint8Array` or a string (UTF-8), sent with
///   `Content-Length`.
pub(crate) fn request(init: &JsValue) -> Result<Request, JsValue> {
    if !init.is_object() {
        return Err(invalid("the request must be an object {method, target, headers, body}"));
    }
    let method = match js::string(init, "method")? {
        Some(m) => Method::from_bytes(m.as_bytes())
            .map_err(|_| invalid(&js::text(&["invalid request method \"", &m, "\""])))?,
        None => Method::GET,
    };
    let target = js::get(init, "target");
    if js::is_absent(&target) {
        return Err(invalid("the request has no target"));
    }
    let mut request = Request::new(method, Bytes::from(js::bytes(&target, "target")?));
    let headers = js::get(init, "headers");
    if !js::is_absent(&headers) {
        for field in js::array(&headers, "headers")?.iter() {
            let pair = js::array(&field, "each header")?;
            if pair.length() != 2 {
                return Err(invalid("each header must be a [name, value] pair"));
            }
            let name = js::header_bytes(&pair.get(0), "a header name")?;
            let value = js::header_bytes(&pair.get(1), "a header value")?;
            request.headers.push(Header::new(name, value));
        }
    }
    let body = js::get(init, "body");
    if !js::is_absent(&body) {
        let body = js::bytes(&body, "body")?;
        if !body.is_empty() {
            request.body = pipelining::h1::Content::Full(Bytes::from(body));
        }
    }
    Ok(request)
}

/// Submission options from `{idempotency, whole, deadlineMs}`; absent means
/// the defaults (streaming, replay by method, no deadline).
pub(crate) fn options(init: &JsValue) -> Result<RequestOptions, JsValue> {
    let mut options = RequestOptions::DEFAULT;
    if js::is_absent(init) {
        return Ok(options);
    }
    if let Some(name) = js::string(init, "idempotency")? {
        options = options.idempotency(match name.as_str() {
            "by_method" => Idempotency::ByMethod,
            "idempotent" => Idempotency::Idempotent,
            "never_retry" => Idempotency::NeverRetry,
            _ => return Err(invalid("idempotency must be \"by_method\", \"idempotent\" or \"never_retry\"")),
        });
    }
    if js::boolean(init, "whole")? == Some(true) {
        options = options.whole();
    }
    if let Some(Some(at)) = js::millis(init, "deadlineMs")? {
        options = options.deadline(time::instant(at));
    }
    Ok(options)
}

/// `Pool.submit`'s `flags`: bits 0 and 1 hold the idempotency (0 by
/// method, 1 idempotent, 2 never retry); the others are these.
pub(crate) const WHOLE: u32 = 4;
/// Nothing is written behind the request until its response head arrived
/// (undici's `blocking`).
pub(crate) const BLOCKING: u32 = 8;

/// A request from `Pool.submit`'s arguments: `headers` a flat `[name, value,
/// …]` array or absent; `body` absent, bytes at hand (a `Uint8Array` or a
/// string, UTF-8), or a stream the caller supplies later with `sendBody`: a
/// number, its exact length, or `-1` when unknown (then its `Content-Length`
/// field gives it, if it has one). How the content goes out — whole with
/// the head, or streamed after it, with `Expect: 100-continue` — is the
/// core's [`ContentPlan`].
pub(crate) fn raw(method: &str, target: &str, headers: &JsValue, body: &JsValue) -> Result<Request, JsValue> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| invalid(&js::text(&["invalid request method \"", method, "\""])))?;
    let mut request = Request::new(method, Bytes::copy_from_slice(target.as_bytes()));
    if !js::is_absent(headers) {
        let flat = js::array(headers, "headers")?;
        let n = flat.length();
        if n % 2 != 0 {
            return Err(invalid("the headers must be a flat [name, value, …] array"));
        }
        for i in (0..n).step_by(2) {
            let name = js::header_bytes(&flat.get(i), "a header name")?;
            let value = js::header_bytes(&flat.get(i + 1), "a header value")?;
            request.headers.push(Header::new(name, value));
        }
    }
    if let Some(n) = body.as_f64() {
        let length = if n == -1.0 {
            declared_length(&request.headers)
        } else if n >= 0.0 && js::is_whole(n) {
            Some(n as u64)
        } else {
            return Err(invalid("a streamed body's length must be a whole number ≥ 0, or -1 when unknown"));
        };
        ContentPlan::of(length, false).apply(&mut request);
    } else if !js::is_absent(body) {
        let length = match (body.dyn_ref::<Uint8Array>(), body.as_string()) {
            (Some(array), _) => u64::from(array.length()),
            (None, Some(text)) => text.len() as u64,
            (None, None) => return Err(invalid("body must be a string, a Uint8Array or a stream's length")),
        };
        match ContentPlan::of(Some(length), true) {
            ContentPlan::Whole if length > 0 => request.body = Content::Full(Bytes::from(js::bytes(body, "body")?)),
            ContentPlan::Whole => {}
            streamed => streamed.apply(&mut request),
        }
    }
    Ok(request)
}

/// The value of the first `Content-Length` field, if it is a number.
fn declared_length(headers: &[Header]) -> Option<u64> {
    let value = &headers.iter().find(|h| h.is("content-length"))?.value;
    let digits = core::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Submission options from `Pool.submit`'s `flags` and per-request
/// timeouts (`undefined`: the pool's; a request timeout is the pool's
/// `requestTimeoutMs`).
pub(crate) fn raw_options(
    flags: u32,
    headers_timeout_ms: Option<f64>,
    body_timeout_ms: Option<f64>,
) -> Result<RequestOptions, JsValue> {
    let mut options = RequestOptions::DEFAULT.idempotency(match flags & 3 {
        0 => Idempotency::ByMethod,
        1 => Idempotency::Idempotent,
        2 => Idempotency::NeverRetry,
        _ => return Err(invalid("idempotency must be 0, 1 or 2")),
    });
    if flags & !(3 | WHOLE | BLOCKING) != 0 {
        return Err(invalid("unknown submit flags"));
    }
    if flags & WHOLE != 0 {
        options = options.whole();
    }
    if flags & BLOCKING != 0 {
        options = options.blocking();
    }
    let timeout = |ms: Option<f64>, what: &str| match ms {
        None => Ok(None),
        Some(ms) if ms >= 0.0 => Ok(Some(time::duration(ms))),
        Some(_) => Err(invalid(&js::text(&[what, " must be a number of milliseconds ≥ 0"]))),
    };
    let headers = timeout(headers_timeout_ms, "headersTimeoutMs")?;
    let body = timeout(body_timeout_ms, "bodyTimeoutMs")?;
    Ok(options.progress_timeouts(headers, body))
}
