//! A pool of pipelined connections for JavaScript.

use crate::error::{invalid, submit_error};
use crate::types::{PoolOptions, SubmitOptions, or_undefined};
use crate::{config, events, js, request, time};
use pipelining::h1::H1Factory;
use pipelining::{ConnectionId, Origin, PoolEvent, RequestId};
use wasm_bindgen::prelude::*;

/// A sans-IO pool of pipelined HTTP/1.1 connections keyed by origin: the
/// core's `pipelining::Pool` for JavaScript.
///
/// The same shape as [`Connection`](crate::Connection), with connection ids:
/// submit requests to an origin; the pool asks for transports with
/// `{type: "connect", conn, origin}` events (answer with `handleConnected`
/// or `handleConnectFailed`) and drops them with `{type: "close", conn}`;
/// `pollTransmit` says which connection each transmit is for. It schedules
/// requests over at most `connections` connections per origin, `depth` deep,
/// resends what a lost connection hands back when that is safe, and ends
/// every request with exactly one `response` (with `end`), `complete` or
/// `failed` event.
#[wasm_bindgen]
pub struct Pool {
    inner: pipelining::Pool<H1Factory>,
    transmit: Vec<u8>,
    /// The connection of the last `pollTransmitData`.
    transmit_conn: f64,
    /// Origins registered with `internOrigin`, by index.
    origins: Vec<Origin>,
    /// The buffer `pollEventPacked` encodes into.
    packed: Vec<u8>,
}

fn origin(value: &JsValue) -> Result<Origin, JsValue> {
    let scheme = js::string(value, "scheme")?;
    let host = js::string(value, "host")?;
    let port = js::count(value, "port")?;
    match (scheme, host, port) {
        (Some(scheme), Some(host), Some(port)) if port <= 65_535.0 && !host.is_empty() => {
            Ok(Origin::new(&scheme, &host, port as u16))
        }
        _ => Err(invalid("the origin must be {scheme, host, port} with a host and a port below 65536")),
    }
}

fn conn(id: f64) -> ConnectionId {
    ConnectionId::from_raw(id as u64)
}

#[wasm_bindgen]
impl Pool {
    /// An empty pool. Options: every `ConnectionOptions` field, plus
    /// `connections`, `maxTries`, `queueLimit` (per origin),
    /// `connectTimeoutMs`, `breakWindowMs`, `demotionMs`, `budgetMemoryMs`,
    /// `limits`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<PoolOptions>) -> Result<Pool, JsValue> {
        let options = or_undefined(options);
        let config = config::pool(&options)?;
        let limits = config::limits(&options)?;
        Ok(Pool {
            inner: pipelining::Pool::new(H1Factory { limits }, config).map_err(|e| invalid(&e.to_string()))?,
            transmit: Vec::new(),
            transmit_conn: 0.0,
            origins: Vec::new(),
            packed: Vec::new(),
        })
    }

    // ---- getters ----

    /// Requests submitted and not yet ended.
    #[wasm_bindgen(getter)]
    pub fn pending(&self) -> usize {
        self.inner.pending()
    }

    /// What the pool knows of an origin, or `undefined` if it never saw it.
    #[wasm_bindgen(js_name = originStatus, unchecked_return_type = "OriginStatus | undefined")]
    pub fn origin_status(
        &self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        #[wasm_bindgen(unchecked_param_type = "Origin")] origin: JsValue,
    ) -> Result<JsValue, JsValue> {
        let origin = self::origin(&origin)?;
        Ok(self
            .inner
            .origin_status(&origin, time::instant(now_ms))
            .map_or(JsValue::UNDEFINED, |s| events::origin_status(&s)))
    }

    // ---- commands ----

    /// Submits a request (`{method, target, headers, body}`) to `origin`
    /// (`{scheme, host, port}`) and returns its id. Options:
    /// `{idempotency, whole, deadlineMs}`. Throws an `Error` with `kind`
    /// `invalid_request` (code `"invalid"`) or `limit` (code
    /// `"queue_full"`: the origin's queue is full, submit again after
    /// requests end).
    pub fn submit(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        #[wasm_bindgen(unchecked_param_type = "Origin")] origin: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestInit")] request: JsValue,
        options: Option<SubmitOptions>,
    ) -> Result<f64, JsValue> {
        let origin = self::origin(&origin)?;
        let core = request::request(&request)?;
        let options = request::options(&or_undefined(options))?;
        match self.inner.submit(time::instant(now_ms), &origin, core, options) {
            Ok(id) => Ok(id.get() as f64),
            Err(refused) => Err(submit_error(&refused.error)),
        }
    }

    /// Registers an origin (`{scheme, host, port}`) for `submitRaw` and
    /// returns its index (the same index for the same origin).
    #[wasm_bindgen(js_name = internOrigin)]
    pub fn intern_origin(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Origin")] origin: JsValue,
    ) -> Result<u32, JsValue> {
        let origin = self::origin(&origin)?;
        if let Some(at) = self.origins.iter().position(|o| *o == origin) {
            return Ok(at as u32);
        }
        self.origins.push(origin);
        Ok((self.origins.len() - 1) as u32)
    }

    /// `submit` without objects to read back, for drivers: `origin` an
    /// index from `internOrigin`, `headers` a flat `[name, value, name,
    /// value, …]` array (or `undefined`), `idempotency` 0 (by method), 1
    /// (idempotent) or 2 (never retry), `deadlineMs` `undefined` for none.
    /// Throws like `submit`.
    #[wasm_bindgen(js_name = submitRaw)]
    #[allow(clippy::too_many_arguments)]
    pub fn submit_raw(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        origin: u32,
        method: &str,
        target: &str,
        #[wasm_bindgen(unchecked_param_type = "(string | Uint8Array)[] | undefined")] headers: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string | null | undefined")] body: JsValue,
        idempotency: u8,
        whole: bool,
        #[wasm_bindgen(js_name = "deadlineMs")] deadline_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        let origin = self.origins.get(origin as usize).ok_or_else(|| invalid("unknown origin index"))?.clone();
        let core = request::raw(method, target, &headers, &body)?;
        let options = request::raw_options(idempotency, whole, deadline_ms)?;
        match self.inner.submit(time::instant(now_ms), &origin, core, options) {
            Ok(id) => Ok(id.get() as f64),
            Err(refused) => Err(submit_error(&refused.error)),
        }
    }

    /// Changes how many requests each connection keeps in flight, from now
    /// on (requests already written stay). Throws an `Error` with `kind`
    /// `invalid_request` for zero.
    #[wasm_bindgen(js_name = setDepth)]
    pub fn set_depth(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, depth: usize) -> Result<(), JsValue> {
        self.inner.set_depth(time::instant(now_ms), depth).map_err(|e| invalid(&e.to_string()))
    }

    /// Cancels a request; unknown or finished ids are ignored.
    pub fn cancel(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, id: f64) {
        self.inner.cancel(time::instant(now_ms), RequestId::from_raw(id as u64));
    }

    /// Closes every connection; every unfinished request fails.
    pub fn close(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.close(time::instant(now_ms));
    }

    // ---- inputs ----

    /// The transport asked for by a `connect` event is open.
    #[wasm_bindgen(js_name = handleConnected)]
    pub fn handle_connected(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64) {
        self.inner.handle_connected(time::instant(now_ms), self::conn(conn));
    }

    /// Opening the transport failed (refused, unreachable, …).
    #[wasm_bindgen(js_name = handleConnectFailed)]
    pub fn handle_connect_failed(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64) {
        self.inner.handle_connect_failed(time::instant(now_ms), self::conn(conn));
    }

    /// Bytes arrived on `conn`.
    #[wasm_bindgen(js_name = handleReceived)]
    pub fn handle_received(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64, data: &[u8]) {
        self.inner.handle_received(time::instant(now_ms), self::conn(conn), data);
    }

    /// The transport of `conn` accepted `n` more bytes of its last transmit.
    #[wasm_bindgen(js_name = handleWritten)]
    pub fn handle_written(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64, n: usize) {
        self.inner.handle_written(time::instant(now_ms), self::conn(conn), n);
    }

    /// The peer closed `conn`.
    #[wasm_bindgen(js_name = handleEof)]
    pub fn handle_eof(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64) {
        self.inner.handle_eof(time::instant(now_ms), self::conn(conn));
    }

    /// The transport of `conn` failed.
    #[wasm_bindgen(js_name = handleTransportError)]
    pub fn handle_transport_error(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64) {
        self.inner.handle_transport_error(time::instant(now_ms), self::conn(conn));
    }

    /// A time from `pollTimeout` has come; other calls are harmless.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.handle_timeout(time::instant(now_ms));
    }

    // ---- outputs ----

    /// The next transmit, `{conn, data}`, or `undefined`. Write `data` to
    /// that connection in one go and report with `handleWritten`.
    #[wasm_bindgen(js_name = pollTransmit, unchecked_return_type = "PoolTransmit | undefined")]
    pub fn poll_transmit(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) -> JsValue {
        self.transmit.clear();
        let Some((conn, _)) = self.inner.poll_transmit(time::instant(now_ms), &mut self.transmit) else {
            return JsValue::UNDEFINED;
        };
        let object = js_sys::Object::new();
        js::set(&object, "conn", events::id_number(conn.get()));
        js::set(&object, "data", js::uint8array(&self.transmit));
        object.into()
    }

    /// The next transmit's bytes, or `undefined`; its connection is then
    /// `transmitConn`. `pollTransmit` without the object.
    #[wasm_bindgen(js_name = pollTransmitData)]
    pub fn poll_transmit_data(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) -> Option<js_sys::Uint8Array> {
        self.transmit.clear();
        let (conn, _) = self.inner.poll_transmit(time::instant(now_ms), &mut self.transmit)?;
        self.transmit_conn = conn.get() as f64;
        Some(js::uint8array(&self.transmit))
    }

    /// The connection of the last transmit from `pollTransmitData`.
    #[wasm_bindgen(getter, js_name = transmitConn)]
    pub fn transmit_conn(&self) -> f64 {
        self.transmit_conn
    }

    /// When to call `handleTimeout` next, in the caller's milliseconds, or
    /// `undefined`.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.inner.poll_timeout().map(time::millis)
    }

    /// The next event, or `undefined`.
    #[wasm_bindgen(js_name = pollEvent, unchecked_return_type = "PoolEvent | undefined")]
    pub fn poll_event(&mut self) -> JsValue {
        if let Some(instruction) = self.inner.poll_instruction() {
            return events::instruction(instruction, |id| self.origin_object(id));
        }
        match self.inner.poll_event() {
            Some(event) => events::pool_event(event, |id| self.origin_object(id)),
            None => JsValue::UNDEFINED,
        }
    }

    /// `pollEvent` for drivers: a `complete` event comes as one
    /// `Uint8Array` (the layout of `events::packed_complete`), `written`
    /// events are skipped, every other event is the usual object;
    /// `undefined` when there are no more.
    #[wasm_bindgen(js_name = pollEventPacked, unchecked_return_type = "Uint8Array | PoolEvent | undefined")]
    pub fn poll_event_packed(&mut self) -> JsValue {
        if let Some(instruction) = self.inner.poll_instruction() {
            return events::instruction(instruction, |id| self.origin_object(id));
        }
        loop {
            return match self.inner.poll_event() {
                None => JsValue::UNDEFINED,
                Some(PoolEvent::Written { .. }) => continue,
                Some(PoolEvent::Complete { id, response, attempts }) => {
                    events::packed_complete(&mut self.packed, id.get(), attempts, &response);
                    js::uint8array(&self.packed).into()
                }
                Some(event) => events::pool_event(event, |id| self.origin_object(id)),
            };
        }
    }
}

impl Pool {
    fn origin_object(&self, id: pipelining::OriginId) -> Option<JsValue> {
        self.inner.origin(id).map(|origin| events::origin(origin).into())
    }
}

impl core::fmt::Debug for Pool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.inner.fmt(f)
    }
}
