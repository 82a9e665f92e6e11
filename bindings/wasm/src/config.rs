//! Connection, pool and limit settings from JavaScript option objects.
//!
//! Every field is optional and defaults to docs/DESIGN.md's Defaults. Times are
//! milliseconds; `null` turns an optional timeout off.

use crate::error::invalid;
use crate::{js, time};
use pipelining::h1::Limits;
use pipelining::pipeline::NonIdempotentPolicy;
use pipelining::{Capability, ConnectionConfig, PoolConfig};
use wasm_bindgen::JsValue;

/// `n` as a `usize`, saturating (counts come from JavaScript numbers).
fn size(n: f64) -> usize {
    n as usize
}

/// An optional count that bounds work and so must be at least one: zero
/// would stall every request forever, so it is refused by name rather than
/// clamped (docs/DESIGN.md P1).
fn at_least_one(source: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    match js::count(source, key)? {
        Some(n) if n < 1.0 => Err(invalid(&js::text(&[key, " must be at least 1"]))),
        n => Ok(n),
    }
}

/// A connection's settings: `depth`, `queueLimit`, `stallTimeoutMs`,
/// `idleTimeoutMs`, `cancelThreshold`, `capability`
/// (`"unknown"`/`"pipelining"`/`"one_at_a_time"`), `nonIdempotent`
/// (`"alone"`/`"pipelined"`), `staleAfterMs`, `headersTimeoutMs` (a
/// response head may take this long after its request was written),
/// `bodyTimeoutMs` (a response body may go this long without a byte).
pub(crate) fn connection(options: &JsValue) -> Result<ConnectionConfig, JsValue> {
    let mut config = ConnectionConfig::DEFAULT;
    if js::is_absent(options) {
        return Ok(config);
    }
    if let Some(n) = at_least_one(options, "depth")? {
        config.depth = size(n);
    }
    if let Some(n) = at_least_one(options, "queueLimit")? {
        config.queue_limit = size(n);
    }
    if let Some(ms) = js::millis(options, "stallTimeoutMs")? {
        config.stall_timeout = ms.map(time::duration);
    }
    if let Some(ms) = js::millis(options, "idleTimeoutMs")? {
        config.idle_timeout = ms.map(time::duration);
    }
    if let Some(n) = js::count(options, "cancelThreshold")? {
        config.cancel_threshold = n as u64;
    }
    if let Some(name) = js::string(options, "capability")? {
        config.capability = match name.as_str() {
            "unknown" => Capability::Unknown,
            "pipelining" => Capability::Pipelining,
            "one_at_a_time" => Capability::OneAtATime,
            _ => return Err(invalid("capability must be \"unknown\", \"pipelining\" or \"one_at_a_time\"")),
        };
    }
    if let Some(name) = js::string(options, "nonIdempotent")? {
        config.non_idempotent = match name.as_str() {
            "alone" => NonIdempotentPolicy::Alone,
            "pipelined" => NonIdempotentPolicy::Pipelined,
            _ => return Err(invalid("nonIdempotent must be \"alone\" or \"pipelined\"")),
        };
    }
    if let Some(Some(ms)) = js::millis(options, "staleAfterMs")? {
        config.stale_after = time::duration(ms);
    }
    if let Some(ms) = js::millis(options, "headersTimeoutMs")? {
        config.headers_timeout = ms.map(time::duration);
    }
    if let Some(ms) = js::millis(options, "bodyTimeoutMs")? {
        config.body_timeout = ms.map(time::duration);
    }
    Ok(config)
}

/// A pool's settings: every connection setting, plus `connections`,
/// `maxTries`, `queueLimit` (requests waiting per origin),
/// `connectTimeoutMs`, `breakWindowMs`, `demotionMs`, `budgetMemoryMs`,
/// `originMemoryMs` (how long an idle origin is remembered), `maxOrigins`
/// (idle origins remembered at most).
pub(crate) fn pool(options: &JsValue) -> Result<PoolConfig, JsValue> {
    let mut config = PoolConfig::DEFAULT;
    config.connection = connection(options)?;
    if js::is_absent(options) {
        return Ok(config);
    }
    if let Some(n) = at_least_one(options, "connections")? {
        config.connections = size(n);
    }
    if let Some(n) = at_least_one(options, "maxTries")? {
        config.max_tries = n as u32;
    }
    if let Some(n) = at_least_one(options, "queueLimit")? {
        config.queue_limit = size(n);
    }
    if let Some(ms) = js::millis(options, "connectTimeoutMs")? {
        config.connect_timeout = ms.map(time::duration);
    }
    if let Some(Some(ms)) = js::millis(options, "breakWindowMs")? {
        config.break_window = time::duration(ms);
    }
    if let Some(Some(ms)) = js::millis(options, "demotionMs")? {
        config.demotion = time::duration(ms);
    }
    if let Some(Some(ms)) = js::millis(options, "budgetMemoryMs")? {
        config.budget_memory = time::duration(ms);
    }
    if let Some(Some(ms)) = js::millis(options, "originMemoryMs")? {
        config.origin_memory = time::duration(ms);
    }
    if let Some(n) = js::count(options, "maxOrigins")? {
        config.max_origins = size(n);
    }
    Ok(config)
}

/// Response limits from `options.limits`: `maxHeadBytes`, `maxHeaders`,
/// `maxChunkLineBytes`, `maxTrailerBytes`, `maxBodyBytes`.
pub(crate) fn limits(options: &JsValue) -> Result<Limits, JsValue> {
    let mut limits = Limits::DEFAULT;
    let source = js::get(options, "limits");
    if js::is_absent(&source) {
        return Ok(limits);
    }
    if let Some(n) = js::count(&source, "maxHeadBytes")? {
        limits.max_head_bytes = size(n);
    }
    if let Some(n) = js::count(&source, "maxHeaders")? {
        limits.max_headers = size(n);
    }
    if let Some(n) = js::count(&source, "maxChunkLineBytes")? {
        limits.max_chunk_line_bytes = size(n);
    }
    if let Some(n) = js::count(&source, "maxTrailerBytes")? {
        limits.max_trailer_bytes = size(n);
    }
    if let Some(n) = js::count(&source, "maxBodyBytes")? {
        limits.max_body_bytes = n as u64;
    }
    Ok(limits)
}
