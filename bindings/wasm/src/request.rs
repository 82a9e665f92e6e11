//! Requests and their options from JavaScript objects.

use crate::error::invalid;
use crate::{js, time};
use bytes::Bytes;
use pipelining::h1::{Header, Method, Request};
use pipelining::{Idempotency, RequestOptions};
use wasm_bindgen::JsValue;

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

/// A request from `Pool.submit`'s arguments: `headers` a flat `[name, value,
/// …]` array or absent, `body` as in [`request`].
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
    if !js::is_absent(body) {
        let body = js::bytes(body, "body")?;
        if !body.is_empty() {
            request.body = pipelining::h1::Content::Full(Bytes::from(body));
        }
    }
    Ok(request)
}

/// Submission options from `Pool.submit`'s arguments (a request timeout is
/// the pool's `requestTimeoutMs`).
pub(crate) fn raw_options(idempotency: u8, whole: bool) -> Result<RequestOptions, JsValue> {
    let mut options = RequestOptions::DEFAULT.idempotency(match idempotency {
        0 => Idempotency::ByMethod,
        1 => Idempotency::Idempotent,
        2 => Idempotency::NeverRetry,
        _ => return Err(invalid("idempotency must be 0, 1 or 2")),
    });
    if whole {
        options = options.whole();
    }
    Ok(options)
}
