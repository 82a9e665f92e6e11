//! A pool of pipelined connections for JavaScript, with the dispatcher
//! every driver shares.

use crate::error::{error_with_code, invalid, submit_error};
use crate::types::{PoolOptions, or_undefined};
use crate::{config, events, js, packed, request, time};
use pipelining::dispatch::{DispatchConfig, Dispatcher, Notice, WaiterId};
use pipelining::h1::{H1Factory, Request};
use pipelining::{ConnectionId, OriginRef, Refused, RequestId, SubmitError};
use wasm_bindgen::prelude::*;

/// A sans-IO pool of pipelined HTTP/1.1 connections keyed by origin, with
/// per-request outcomes and first-come-first-served waiting for room: the
/// core's `pipelining::dispatch::Dispatcher` for JavaScript.
///
/// A driver keeps only sockets, a timer and its way of waking callers;
/// everything else — where a response goes, who may submit when a queue is
/// full, what a failure is called and how often a request was written,
/// when to stop reading — is decided here.
///
/// * **requests**: `submit` returns an id, or `-1` when the origin has no
///   room (its queue is full, or others already wait for it): then
///   `waitForRoom` gives a place in line, a `{type: "room", waiter}` notice
///   says when to call `submitWaiting`, and `cancelWaiting` gives the place
///   up. `take` hands over a request's outcome, item by item, packed
///   (layout in `src/packed.rs`); `cancel` when its caller is gone;
///   `shutDown` to finish gracefully.
/// * **inputs** (`handle*`), per connection id.
/// * **outputs**, drained after every input in this order: `pollTransmit`
///   until `undefined` (write the bytes to connection `transmitConn` in one
///   go, report with `handleWritten`), `pollInstruction` until `undefined`
///   (`connect`, `close`, `pause`, `resume`), `pollTimeout` (call
///   `handleTimeout` then), `pollNotice` until `undefined` (a number: that
///   request has something to `take`; or a `room` or `capability` object).
///
/// Origins are passed as scheme, host and port strings on every call: the
/// pool interns them and forgets idle ones, so nothing here grows with the
/// number of origins ever seen.
#[wasm_bindgen]
pub struct Pool {
    inner: Dispatcher<H1Factory>,
    transmit: Vec<u8>,
    /// The connection of the last `pollTransmit`.
    transmit_conn: f64,
    /// The buffer `take` packs into.
    packed: Vec<u8>,
}

/// An origin from its three parts, checked.
fn origin<'a>(scheme: &'a str, host: &'a str, port: f64) -> Result<OriginRef<'a>, JsValue> {
    if host.is_empty() || scheme.is_empty() || !(0.0..=65_535.0).contains(&port) || port.fract() != 0.0 {
        return Err(invalid("an origin is a scheme, a host and a port below 65536"));
    }
    Ok(OriginRef::new(scheme, host, port as u16))
}

fn conn(id: f64) -> ConnectionId {
    ConnectionId::from_raw(id as u64)
}

/// A submission's result for JavaScript: the id, `-1` to wait for room, or
/// a thrown error.
fn admitted(result: Result<RequestId, Refused<Request, pipelining::h1::EncodeError>>) -> Result<f64, JsValue> {
    match result {
        Ok(id) => Ok(id.get() as f64),
        Err(Refused { error: SubmitError::QueueFull { .. }, .. }) => Ok(-1.0),
        Err(Refused { error: SubmitError::Closed, .. }) => Err(error_with_code(
            pipelining::ErrorKind::ConnectionLost,
            "shut down: no new requests are taken",
            "closed",
        )),
        Err(refused) => Err(submit_error(&refused.error)),
    }
}

#[wasm_bindgen]
impl Pool {
    /// An empty pool. Options: every `ConnectionOptions` field, plus
    /// `connections`, `maxTries`, `queueLimit` (per origin),
    /// `connectTimeoutMs`, `requestTimeoutMs`, `breakWindowMs`,
    /// `demotionMs`, `budgetMemoryMs`, `originMemoryMs`, `maxOrigins`,
    /// `limits`. Throws an `Error` with `kind` `invalid_request` for a
    /// setting that cannot work (a depth, connection count, try count or
    /// queue limit of 0).
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<PoolOptions>) -> Result<Pool, JsValue> {
        let options = or_undefined(options);
        let config = config::pool(&options)?;
        let limits = config::limits(&options)?;
        let request_timeout = js::millis(&options, "requestTimeoutMs")?.flatten().map(time::duration);
        let inner = Dispatcher::new(H1Factory { limits }, config, DispatchConfig::DEFAULT)
            .map_err(|e| invalid(&e.to_string()))?
            .with_request_timeout(request_timeout);
        Ok(Pool { inner, transmit: Vec::new(), transmit_conn: 0.0, packed: Vec::new() })
    }

    // ---- getters ----

    /// Requests submitted whose outcome was not all taken.
    #[wasm_bindgen(getter)]
    pub fn pending(&self) -> usize {
        self.inner.outstanding()
    }

    /// Callers waiting for room.
    #[wasm_bindgen(getter)]
    pub fn waiting(&self) -> usize {
        self.inner.waiting()
    }

    /// Whether `shutDown` was called and everything finished: no request
    /// outstanding, no connection left.
    #[wasm_bindgen(getter, js_name = isFinished)]
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// How many times the request was written so far (`undefined` once its
    /// outcome was taken).
    pub fn attempts(&self, id: f64) -> Option<u32> {
        self.inner.attempts(RequestId::from_raw(id as u64))
    }

    /// What the pool knows of an origin, or `undefined` if it does not know
    /// it (never saw it, or forgot it).
    #[wasm_bindgen(js_name = originStatus, unchecked_return_type = "OriginStatus | undefined")]
    pub fn origin_status(
        &self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        scheme: &str,
        host: &str,
        port: f64,
    ) -> Result<JsValue, JsValue> {
        let origin = self::origin(scheme, host, port)?;
        Ok(self
            .inner
            .pool()
            .origin_status(origin, time::instant(now_ms))
            .map_or(JsValue::UNDEFINED, |s| events::origin_status(&s)))
    }

    // ---- requests ----

    /// Submits a request to an origin and returns its id, or `-1` when the
    /// origin has no room (its queue is full or others wait for it: call
    /// `waitForRoom`). `headers` is a flat `[name, value, …]` array (or
    /// `undefined`), `body` a `Uint8Array`, a string or nothing,
    /// `idempotency` 0 (by method), 1 (idempotent) or 2 (never retry),
    /// `whole` whether the response comes as one item. Throws an `Error`
    /// with `kind` `invalid_request` (code `"invalid"`) or
    /// `connection_lost` (code `"closed"`: shutting down).
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        scheme: &str,
        host: &str,
        port: f64,
        method: &str,
        target: &str,
        #[wasm_bindgen(unchecked_param_type = "(string | Uint8Array)[] | undefined")] headers: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string | null | undefined")] body: JsValue,
        idempotency: u8,
        whole: bool,
    ) -> Result<f64, JsValue> {
        let origin = self::origin(scheme, host, port)?;
        let core = request::raw(method, target, &headers, &body)?;
        let options = request::raw_options(idempotency, whole)?;
        admitted(self.inner.submit(time::instant(now_ms), origin, core, options))
    }

    /// A place in line for room at an origin, after `submit` returned `-1`;
    /// returns the waiter's id. `sinceMs` is when the caller first tried (a
    /// request timeout counts from there).
    #[wasm_bindgen(js_name = waitForRoom)]
    pub fn wait_for_room(
        &mut self,
        #[wasm_bindgen(js_name = "sinceMs")] since_ms: f64,
        scheme: &str,
        host: &str,
        port: f64,
    ) -> Result<f64, JsValue> {
        let origin = self::origin(scheme, host, port)?;
        Ok(self.inner.wait_for_room(time::instant(since_ms), origin).get() as f64)
    }

    /// `submit` for a waiter told there is room (a `room` notice): the id,
    /// or `-1` when it must wait on (it keeps its place and is told again).
    /// A waiter whose request timeout passed while it waited gets an id
    /// whose outcome is that failure. Throws like `submit`; once shutting
    /// down, with code `"closed"`.
    #[wasm_bindgen(js_name = submitWaiting)]
    #[allow(clippy::too_many_arguments)]
    pub fn submit_waiting(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        waiter: f64,
        scheme: &str,
        host: &str,
        port: f64,
        method: &str,
        target: &str,
        #[wasm_bindgen(unchecked_param_type = "(string | Uint8Array)[] | undefined")] headers: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string | null | undefined")] body: JsValue,
        idempotency: u8,
        whole: bool,
    ) -> Result<f64, JsValue> {
        let waiter = WaiterId::from_raw(waiter as u64);
        let parsed = self::origin(scheme, host, port).and_then(|origin| {
            Ok((origin, request::raw(method, target, &headers, &body)?, request::raw_options(idempotency, whole)?))
        });
        let (origin, core, options) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                // A request that cannot be sent gives its place up, or the
                // line would wait for it forever.
                self.inner.cancel_waiting(waiter);
                return Err(error);
            }
        };
        admitted(self.inner.submit_waiting(time::instant(now_ms), waiter, origin, core, options))
    }

    /// Gives up a place in line (the caller is gone).
    #[wasm_bindgen(js_name = cancelWaiting)]
    pub fn cancel_waiting(&mut self, waiter: f64) {
        self.inner.cancel_waiting(WaiterId::from_raw(waiter as u64));
    }

    /// The request's next outcome item, packed into one `Uint8Array` (the
    /// layout of `src/packed.rs`, version 1), or `undefined` when there is
    /// nothing yet or its last item was taken.
    pub fn take(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, id: f64) -> Option<js_sys::Uint8Array> {
        let taken = self.inner.take(time::instant(now_ms), RequestId::from_raw(id as u64))?;
        packed::delivery(&mut self.packed, taken.item, taken.attempts);
        Some(js::uint8array(&self.packed))
    }

    /// The request's caller is gone: it is cancelled unless it already
    /// ended, and nothing more of it is kept. Unknown ids are ignored.
    pub fn cancel(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, id: f64) {
        self.inner.cancel(time::instant(now_ms), RequestId::from_raw(id as u64));
    }

    /// Finishes gracefully: no new submissions (waiters are told, and
    /// `submitWaiting` refuses them), outstanding requests finish, then
    /// every connection closes; `isFinished` says when it is over.
    #[wasm_bindgen(js_name = shutDown)]
    pub fn shut_down(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.shut_down(time::instant(now_ms));
    }

    /// Changes how many requests each connection keeps in flight, from now
    /// on (requests already written stay). Throws an `Error` with `kind`
    /// `invalid_request` for zero.
    #[wasm_bindgen(js_name = setDepth)]
    pub fn set_depth(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, depth: usize) -> Result<(), JsValue> {
        self.inner.set_depth(time::instant(now_ms), depth).map_err(|e| invalid(&e.to_string()))
    }

    // ---- inputs ----

    /// The transport asked for by a `connect` instruction is open.
    #[wasm_bindgen(js_name = handleConnected)]
    pub fn handle_connected(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64) {
        self.inner.handle_connected(time::instant(now_ms), self::conn(conn));
    }

    /// Opening the transport failed; `error` says why (the operating
    /// system's text), for the message of the requests that fail when
    /// every allowed connect failed.
    #[wasm_bindgen(js_name = handleConnectFailed)]
    pub fn handle_connect_failed(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64, error: &str) {
        self.inner.handle_connect_failed(time::instant(now_ms), self::conn(conn), error);
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

    /// The next transmit's bytes, or `undefined`; its connection is then
    /// `transmitConn`. Write them in one go and report with
    /// `handleWritten`.
    #[wasm_bindgen(js_name = pollTransmit)]
    pub fn poll_transmit(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) -> Option<js_sys::Uint8Array> {
        self.transmit.clear();
        let (conn, _) = self.inner.poll_transmit(time::instant(now_ms), &mut self.transmit)?;
        self.transmit_conn = conn.get() as f64;
        Some(js::uint8array(&self.transmit))
    }

    /// The connection of the last transmit from `pollTransmit`.
    #[wasm_bindgen(getter, js_name = transmitConn)]
    pub fn transmit_conn(&self) -> f64 {
        self.transmit_conn
    }

    /// The next thing to do with a transport, or `undefined`:
    /// `{type: "connect", conn, origin}` (answer with `handleConnected` or
    /// `handleConnectFailed`), `{type: "close", conn, summary}`,
    /// `{type: "pause", conn}` (stop reading it: a consumer is behind),
    /// `{type: "resume", conn}`.
    #[wasm_bindgen(js_name = pollInstruction, unchecked_return_type = "PoolInstruction | undefined")]
    pub fn poll_instruction(&mut self) -> JsValue {
        match self.inner.poll_instruction() {
            Some(instruction) => events::instruction(instruction, |id| self.inner.pool().origin(id)),
            None => JsValue::UNDEFINED,
        }
    }

    /// When to call `handleTimeout` next, in the caller's milliseconds, or
    /// `undefined`.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.inner.poll_timeout().map(time::millis)
    }

    /// The next notice, or `undefined`: a number is a request id with
    /// something to `take`; `{type: "room", waiter}` says that waiter may
    /// `submitWaiting` now; `{type: "learned", origin, fact, …}` says what
    /// was learned about an origin.
    #[wasm_bindgen(js_name = pollNotice, unchecked_return_type = "PoolNotice | undefined")]
    pub fn poll_notice(&mut self) -> JsValue {
        loop {
            return match self.inner.poll_notice() {
                None => JsValue::UNDEFINED,
                Some(Notice::Request(id)) => events::id_number(id.get()),
                Some(Notice::Room(waiter)) => {
                    let object = js::tagged("room");
                    js::set(&object, "waiter", events::id_number(waiter.get()));
                    object.into()
                }
                Some(Notice::Learned { origin, fact }) => {
                    events::learned_notice(self.inner.pool().origin(origin), fact)
                }
                // Nothing for a driver to do.
                Some(_) => continue,
            };
        }
    }
}

impl core::fmt::Debug for Pool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.inner.fmt(f)
    }
}
