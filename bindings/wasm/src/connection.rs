//! One pipelined connection for JavaScript.

use crate::error::submit_error;
use crate::types::{ConnectionOptions, SubmitOptions, or_undefined};
use crate::{config, events, js, request, time};
use alloc::vec::Vec;
use pipelining::RequestId;
use pipelining::h1::H1Codec;
use wasm_bindgen::prelude::*;

/// A sans-IO pipelined HTTP/1.1 connection: the core's
/// `pipelining::Connection` for JavaScript.
///
/// It never touches a socket or a clock. Getters tell its state; `handle*`
/// methods report what happened (bytes received, bytes written, EOF, a
/// transport error, a timer); commands (`submit`, `cancel`, `close`,
/// `setDepth`) say what the application wants. After every call, drain
/// `pollTransmit` until `undefined` (write each `Uint8Array`, report with
/// `handleWritten`), then `pollTimeout`, then `pollEvent` until `undefined`.
///
/// Every time argument is milliseconds since an epoch of the caller's
/// choice (`performance.now()`). Peer faults become `failed` and `closed`
/// events; only local misuse throws (an `Error` with a `kind`).
#[wasm_bindgen]
pub struct Connection {
    inner: pipelining::Connection<H1Codec>,
    transmit: Vec<u8>,
}

#[wasm_bindgen]
impl Connection {
    /// A connection that has just been opened to `host` (the `Host` header
    /// value: `host[:port]`), with optional settings (`depth`,
    /// `queueLimit`, `stallTimeoutMs`, `idleTimeoutMs`, `cancelThreshold`,
    /// `capability`, `nonIdempotent`, `staleAfterMs`, `limits`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        host: &str,
        options: Option<ConnectionOptions>,
    ) -> Result<Connection, JsValue> {
        let options = or_undefined(options);
        let config = config::connection(&options)?;
        let limits = config::limits(&options)?;
        let codec = H1Codec::new(host.as_bytes().to_vec(), limits);
        Ok(Connection {
            inner: pipelining::Connection::new(codec, config, time::instant(now_ms)),
            transmit: Vec::new(),
        })
    }

    // ---- getters ----

    /// Requests written (or being written) and not yet answered.
    #[wasm_bindgen(getter, js_name = inFlight)]
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight()
    }

    /// Requests waiting to be written.
    #[wasm_bindgen(getter)]
    pub fn queued(&self) -> usize {
        self.inner.queued()
    }

    /// What is known of the server: `"unknown"`, `"pipelining"` or
    /// `"one_at_a_time"`.
    #[wasm_bindgen(getter, unchecked_return_type = "Capability")]
    pub fn capability(&self) -> JsValue {
        events::capability(self.inner.capability()).into()
    }

    /// Complete responses delivered.
    #[wasm_bindgen(getter)]
    pub fn responses(&self) -> f64 {
        self.inner.responses() as f64
    }

    /// Requests that may still be written, if limited (`Keep-Alive: max`).
    #[wasm_bindgen(getter)]
    pub fn budget(&self) -> Option<f64> {
        self.inner.budget().map(|b| b as f64)
    }

    /// Requests the connection would write now if they were queued.
    #[wasm_bindgen(getter, js_name = freeSlots)]
    pub fn free_slots(&self) -> usize {
        self.inner.free_slots()
    }

    /// Whether the connection has closed (its last event was `closed`).
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Whether a response said no further request may be written.
    #[wasm_bindgen(getter, js_name = isClosing)]
    pub fn is_closing(&self) -> bool {
        self.inner.is_closing()
    }

    // ---- commands ----

    /// Queues a request (`{method, target, headers, body}`) and returns its
    /// id. Options: `{idempotency, whole, deadlineMs}`. Throws an `Error`
    /// with `kind` `invalid_request` (code `"invalid"`), `limit` (code
    /// `"queue_full"`) or `connection_lost` (code `"closed"`).
    pub fn submit(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        #[wasm_bindgen(unchecked_param_type = "RequestInit")] request: JsValue,
        options: Option<SubmitOptions>,
    ) -> Result<f64, JsValue> {
        let core = request::request(&request)?;
        let options = request::options(&or_undefined(options))?;
        match self.inner.submit(time::instant(now_ms), core, options) {
            Ok(id) => Ok(id.get() as f64),
            Err(refused) => Err(submit_error(&refused.error)),
        }
    }

    /// Cancels a request: removed if not written, otherwise its response is
    /// read and dropped (or the connection closes, past the cancel
    /// threshold). Unknown or finished ids are ignored.
    pub fn cancel(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, id: f64) {
        self.inner.cancel(time::instant(now_ms), RequestId::from_raw(id as u64));
    }

    /// Closes the connection now; unfinished requests come back as `failed`
    /// events, then `closed`.
    pub fn close(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.close(time::instant(now_ms));
    }

    /// Changes the depth from now on (at least 1).
    #[wasm_bindgen(js_name = setDepth)]
    pub fn set_depth(&mut self, depth: usize) {
        self.inner.set_depth(depth);
    }

    // ---- inputs ----

    /// Bytes arrived from the peer.
    #[wasm_bindgen(js_name = handleReceived)]
    pub fn handle_received(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, data: &[u8]) {
        self.inner.handle_received(time::instant(now_ms), data);
    }

    /// The transport accepted `n` more bytes of the last transmit.
    #[wasm_bindgen(js_name = handleWritten)]
    pub fn handle_written(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, n: usize) {
        self.inner.handle_written(time::instant(now_ms), n);
    }

    /// The peer closed its sending side.
    #[wasm_bindgen(js_name = handleEof)]
    pub fn handle_eof(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.handle_eof(time::instant(now_ms));
    }

    /// The transport failed (reset, …).
    #[wasm_bindgen(js_name = handleTransportError)]
    pub fn handle_transport_error(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.handle_transport_error(time::instant(now_ms));
    }

    /// A time from `pollTimeout` has come; other calls are harmless.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) {
        self.inner.handle_timeout(time::instant(now_ms));
    }

    // ---- outputs ----

    /// The next bytes to write, or `undefined`. Write them in one go and
    /// report with `handleWritten`; no new transmit comes until all of it
    /// was accepted.
    #[wasm_bindgen(js_name = pollTransmit)]
    pub fn poll_transmit(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64) -> Option<js_sys::Uint8Array> {
        self.transmit.clear();
        self.inner.poll_transmit(time::instant(now_ms), &mut self.transmit)?;
        Some(js::uint8array(&self.transmit))
    }

    /// When to call `handleTimeout` next, in the caller's milliseconds, or
    /// `undefined`.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.inner.poll_timeout().map(time::millis)
    }

    /// The next event, or `undefined`.
    #[wasm_bindgen(js_name = pollEvent, unchecked_return_type = "ConnectionEvent | undefined")]
    pub fn poll_event(&mut self) -> JsValue {
        self.inner.poll_event().map_or(JsValue::UNDEFINED, events::connection_event)
    }

    /// After a `closed` event with reason `"upgraded"`: the bytes received
    /// after the last response, which belong to the new protocol.
    #[wasm_bindgen(js_name = takeLeftover)]
    pub fn take_leftover(&mut self) -> js_sys::Uint8Array {
        js::uint8array(&self.inner.take_leftover())
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.inner.fmt(f)
    }
}
