//! A pool of pipelined connections for JavaScript, with the dispatcher
//! every driver shares.

use crate::error::{error_with_code, invalid, submit_error};
use crate::proxy::ProxiedConnect;
use crate::types::{PoolOptions, or_undefined};
use crate::{config, events, js, packed, proxy, request, time};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use pipelining::dispatch::{DispatchConfig, Dispatcher, Notice, WaiterId};
use pipelining::h1::{H1Factory, Request};
use pipelining::proxy::{ConnectHandshake, ProxyConfig, TunnelState};
use pipelining::{ConnectionId, Instruction, OriginRef, Refused, RequestId, RequestOptions, SubmitError};
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
///
/// Proxies (the options `proxy`, `noProxy`, `proxyEnv`, `proxyPipelining`,
/// read by `src/proxy.rs`) are routed here too: a request for an `http://`
/// origin that goes through a proxy is rewritten to absolute form and
/// queued for the proxy's origin; a `connect` instruction for an `https://`
/// origin behind a proxy names the proxy (`proxy`) and carries the
/// `CONNECT` request to write to it (`tunnel`), whose answer goes to
/// `handleTunnel`.
#[wasm_bindgen]
pub struct Pool {
    inner: Dispatcher<H1Factory>,
    transmit: Vec<u8>,
    /// The connection of the last `pollTransmit`.
    transmit_conn: f64,
    /// The buffer `take` packs into.
    packed: Vec<u8>,
    proxies: Option<ProxyConfig>,
    /// Connects under way to a proxy.
    proxied: Vec<ProxiedConnect>,
}

/// An origin from its three parts, checked: a host of printable ASCII
/// without `/` (brackets only around an IPv6 address), so it can be
/// written on a `CONNECT` line too.
fn origin<'a>(scheme: &'a str, host: &'a str, port: f64) -> Result<OriginRef<'a>, JsValue> {
    let origin = OriginRef::new(scheme, host, port as u16);
    let printable = |b: u8| (0x21..0x7f).contains(&b) && !matches!(b, b'/' | b'[' | b']');
    if scheme.is_empty()
        || origin.host().is_empty()
        || !origin.host().bytes().all(printable)
        || !(0.0..=65_535.0).contains(&port)
        || !js::is_whole(port)
    {
        return Err(invalid("an origin is a scheme, a host and a port below 65536"));
    }
    Ok(origin)
}

/// Where requests for `origin` are queued: the proxy's origin for an
/// `http://` origin behind a proxy (what is learned there belongs to the
/// proxy), the origin itself otherwise.
fn pool_origin<'a>(proxies: Option<&'a ProxyConfig>, origin: OriginRef<'a>) -> OriginRef<'a> {
    match proxies {
        Some(config) if origin.scheme().eq_ignore_ascii_case("http") => {
            config.proxy_for(origin).map_or(origin, |p| p.origin().borrowed())
        }
        _ => origin,
    }
}

/// The origin to submit `request` to, rewritten for a proxy if it goes
/// through one ([`ProxyConfig::route`]).
fn route<'a>(
    proxies: Option<&'a ProxyConfig>,
    origin: OriginRef<'a>,
    request: &mut Request,
    options: &mut RequestOptions,
) -> OriginRef<'a> {
    match proxies {
        Some(config) => config.route(origin, request, options),
        None => origin,
    }
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
    /// `bodyBufferBytes`, `limits`, and the proxy settings `proxy`,
    /// `noProxy`, `proxyEnv`, `proxyPipelining` (`src/proxy.rs`). Throws an
    /// `Error` with `kind` `invalid_request` for a setting that cannot work
    /// (a depth, connection count, try count, queue limit or body buffer of
    /// 0; a malformed or unsupported proxy URL, named by where it came
    /// from).
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<PoolOptions>) -> Result<Pool, JsValue> {
        let options = or_undefined(options);
        let config = config::pool(&options)?;
        let limits = config::limits(&options)?;
        let request_timeout = js::millis(&options, "requestTimeoutMs")?.flatten().map(time::duration);
        let mut dispatch = DispatchConfig::DEFAULT;
        if let Some(n) = js::count(&options, "bodyBufferBytes")? {
            dispatch.body_buffer = n as u64;
        }
        let proxies = proxy::config(&options)?;
        let inner = Dispatcher::new(H1Factory { limits }, config, dispatch)
            .map_err(|e| invalid(&e.to_string()))?
            .with_request_timeout(request_timeout);
        Ok(Pool { inner, transmit: Vec::new(), transmit_conn: 0.0, packed: Vec::new(), proxies, proxied: Vec::new() })
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
        let origin = pool_origin(self.proxies.as_ref(), self::origin(scheme, host, port)?);
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
    /// `undefined`); `body` is nothing, bytes at hand (a `Uint8Array` or a
    /// string, UTF-8), or a stream supplied later with `sendBody` when a
    /// `sendBody` notice asks: its exact length as a number, or `-1` when
    /// unknown (its `Content-Length` field, if any, gives it). Small bytes
    /// go with the head; large bytes and streams follow it, with `Expect:
    /// 100-continue` when large or unsized (the core's `ContentPlan`).
    /// `flags`: the idempotency in bits 0–1 (0 by method, 1 idempotent, 2
    /// never retry), `4` whole response in one item, `8` blocking (nothing
    /// written behind it until its head arrives). `headersTimeoutMs` and
    /// `bodyTimeoutMs` override the pool's for this request. Throws an
    /// `Error` with `kind` `invalid_request` (code `"invalid"`) or
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
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string | number | null | undefined")] body: JsValue,
        flags: u32,
        #[wasm_bindgen(js_name = "headersTimeoutMs")] headers_timeout_ms: Option<f64>,
        #[wasm_bindgen(js_name = "bodyTimeoutMs")] body_timeout_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        let origin = self::origin(scheme, host, port)?;
        let mut core = request::raw(method, target, &headers, &body)?;
        let mut options = request::raw_options(flags, headers_timeout_ms, body_timeout_ms)?;
        let origin = route(self.proxies.as_ref(), origin, &mut core, &mut options);
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
        let origin = pool_origin(self.proxies.as_ref(), self::origin(scheme, host, port)?);
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
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string | number | null | undefined")] body: JsValue,
        flags: u32,
        #[wasm_bindgen(js_name = "headersTimeoutMs")] headers_timeout_ms: Option<f64>,
        #[wasm_bindgen(js_name = "bodyTimeoutMs")] body_timeout_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        let waiter = WaiterId::from_raw(waiter as u64);
        let parsed = self::origin(scheme, host, port).and_then(|origin| {
            let core = request::raw(method, target, &headers, &body)?;
            Ok((origin, core, request::raw_options(flags, headers_timeout_ms, body_timeout_ms)?))
        });
        let (origin, mut core, mut options) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                // A request that cannot be sent gives its place up, or the
                // line would wait for it forever.
                self.inner.cancel_waiting(waiter);
                return Err(error);
            }
        };
        let origin = route(self.proxies.as_ref(), origin, &mut core, &mut options);
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

    /// After an `upgraded` notice for request `id`: the bytes of the new
    /// protocol read already past its response (the connection named in
    /// the notice is the caller's now: the `close` instruction that came
    /// for it is not to close its transport). `undefined` when there is
    /// nothing to take for `id`.
    #[wasm_bindgen(js_name = takeUpgrade)]
    pub fn take_upgrade(&mut self, id: f64) -> Option<js_sys::Uint8Array> {
        let (_, leftover) = self.inner.take_upgrade(RequestId::from_raw(id as u64))?;
        Some(js::uint8array(&leftover))
    }

    /// The request's caller is gone: it is cancelled unless it already
    /// ended, and nothing more of it is kept. Unknown ids are ignored.
    pub fn cancel(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, id: f64) {
        self.inner.cancel(time::instant(now_ms), RequestId::from_raw(id as u64));
    }

    /// The next piece of request `id`'s streamed body, after a `sendBody`
    /// notice asked for it; `end` on the last piece (an empty last piece is
    /// fine). Throws (`invalid_request`) when no piece is wanted now (the
    /// request may have ended) or the pieces exceed, or end short of, the
    /// declared length (then the request fails too).
    #[wasm_bindgen(js_name = sendBody)]
    pub fn send_body(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        id: f64,
        piece: Vec<u8>,
        end: bool,
    ) -> Result<(), JsValue> {
        let id = RequestId::from_raw(id as u64);
        self.inner.send_body(time::instant(now_ms), id, Bytes::from(piece), end).map_err(|e| invalid(&e.to_string()))
    }

    /// The source of request `id`'s streamed body failed: the request fails
    /// (`invalid_request`) and its connection closes.
    #[wasm_bindgen(js_name = abortBody)]
    pub fn abort_body(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, id: f64) {
        self.inner.abort_body(time::instant(now_ms), RequestId::from_raw(id as u64));
    }

    /// The proxy requests for this origin go through, as `host:port`, or
    /// `undefined` when they go directly (the pool's proxy settings and
    /// their exceptions).
    #[wasm_bindgen(js_name = proxyFor)]
    pub fn proxy_for(&self, scheme: &str, host: &str, port: f64) -> Result<Option<String>, JsValue> {
        let origin = self::origin(scheme, host, port)?;
        Ok(self.proxies.as_ref().and_then(|c| c.proxy_for(origin)).map(pipelining::proxy::Proxy::authority))
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
        self.forget_proxied(self::conn(conn));
        self.inner.handle_connected(time::instant(now_ms), self::conn(conn));
    }

    /// Opening the transport failed; `error` says why (the operating
    /// system's text), for the message of the requests that fail when
    /// every allowed connect failed.
    #[wasm_bindgen(js_name = handleConnectFailed)]
    pub fn handle_connect_failed(&mut self, #[wasm_bindgen(js_name = "nowMs")] now_ms: f64, conn: f64, error: &str) {
        let conn = self::conn(conn);
        match self.forget_proxied(conn) {
            // A proxy's connect fails in the proxy's name.
            Some(name) => {
                self.inner.handle_connect_failed(time::instant(now_ms), conn, &js::text(&[&name, ": ", error]))
            }
            None => self.inner.handle_connect_failed(time::instant(now_ms), conn, error),
        }
    }

    /// What the proxy answered to the `CONNECT` of a `connect` instruction
    /// with a `tunnel` (`null`: it closed the connection). Returns
    /// `undefined` while its answer is incomplete (read on); the bytes read
    /// past it (usually none), which belong to the tunnel, once it is open
    /// (start TLS on the socket, those bytes first, then `handleConnected`);
    /// `null` when the proxy refused (its status is in the failure's
    /// message) or answered nonsense: the connect has then failed and the
    /// socket is to be closed.
    #[wasm_bindgen(js_name = handleTunnel, unchecked_return_type = "Uint8Array | null | undefined")]
    pub fn handle_tunnel(
        &mut self,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        conn: f64,
        data: Option<Vec<u8>>,
    ) -> Result<JsValue, JsValue> {
        let conn = self::conn(conn);
        let Some(at) = self.proxied.iter().position(|p| p.conn == conn && p.tunnel.is_some()) else {
            return Err(invalid("no tunnel is being opened on this connection"));
        };
        let entry = &mut self.proxied[at];
        let Some((handshake, read)) = entry.tunnel.as_mut() else { return Ok(JsValue::UNDEFINED) };
        let state = match data {
            Some(data) => {
                read.extend_from_slice(&data);
                handshake.handle_received(read)
            }
            None => handshake.handle_eof(),
        };
        match state {
            Ok(TunnelState::Waiting) => Ok(JsValue::UNDEFINED),
            Ok(TunnelState::Open) => {
                let leftover = js::uint8array(read);
                // Past the tunnel, failures (TLS) are the target's own.
                self.proxied.swap_remove(at);
                Ok(leftover.into())
            }
            Err(e) => {
                let message = js::text(&[&entry.name, " ", &e.to_string()]);
                self.proxied.swap_remove(at);
                self.inner.handle_connect_failed(time::instant(now_ms), conn, &message);
                Ok(JsValue::NULL)
            }
        }
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
        let Some(instruction) = self.inner.poll_instruction() else { return JsValue::UNDEFINED };
        let via = match &instruction {
            Instruction::Connect { conn, origin } => self.proxy_connect(*conn, *origin),
            Instruction::Close { conn, .. } => {
                self.forget_proxied(*conn);
                None
            }
            _ => None,
        };
        let object = events::instruction(instruction, |id| self.inner.pool().origin(id));
        if let Some((proxy, tunnel)) = via {
            js::set(&object, "proxy", proxy);
            if let Some(tunnel) = tunnel {
                js::set(&object, "tunnel", tunnel);
            }
        }
        object
    }

    /// When to call `handleTimeout` next, in the caller's milliseconds, or
    /// `undefined`.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.inner.poll_timeout().map(time::millis)
    }

    /// The next notice, or `undefined`: a number is a request id with
    /// something to `take`; `{type: "room", waiter}` says that waiter may
    /// `submitWaiting` now; `{type: "sendBody", id}` asks for the next piece
    /// of a streamed request body; `{type: "upgraded", id, conn}` says the
    /// response to `id` switched `conn` to another protocol (hand the
    /// transport to its caller, with `takeUpgrade`); `{type: "learned",
    /// origin, fact, …}` says what was learned about an origin.
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
                Some(Notice::SendBody(id)) => {
                    let object = js::tagged("sendBody");
                    js::set(&object, "id", events::id_number(id.get()));
                    object.into()
                }
                Some(Notice::Upgraded { id, conn }) => {
                    let object = js::tagged("upgraded");
                    js::set(&object, "id", events::id_number(id.get()));
                    js::set(&object, "conn", events::id_number(conn.get()));
                    object.into()
                }
                // Nothing for a driver to do.
                Some(_) => continue,
            };
        }
    }
}

impl Pool {
    /// For a connect to a proxy: the proxy's `host:port`, and for a tunnel
    /// the `CONNECT` request to write; the connect is remembered until it
    /// ends. `None` for a connect to an origin reached directly.
    fn proxy_connect(
        &mut self,
        conn: ConnectionId,
        origin: pipelining::OriginId,
    ) -> Option<(String, Option<js_sys::Uint8Array>)> {
        let config = self.proxies.as_ref()?;
        let origin = self.inner.pool().origin(origin)?;
        let (proxy, tunnel) = if origin.scheme() == "https" {
            let proxy = config.proxy_for(origin)?;
            // Every pool origin can be written on a CONNECT line (see
            // `origin`); should one not be, nothing is written and the
            // connect times out rather than bypass the proxy.
            let handshake = ConnectHandshake::new(proxy, origin.borrowed()).ok();
            let request = handshake.as_ref().map_or(&[][..], ConnectHandshake::request);
            let bytes = js::uint8array(request);
            (proxy, Some((handshake, bytes)))
        } else {
            let proxy =
                [config.http.as_ref(), config.https.as_ref()].into_iter().flatten().find(|p| p.origin() == origin)?;
            (proxy, None)
        };
        let authority = proxy.authority();
        let name = js::text(&["proxy ", &authority]);
        let (tunnel, bytes) = match tunnel {
            Some((Some(handshake), bytes)) => (Some((handshake, BytesMut::new())), Some(bytes)),
            Some((None, bytes)) => (None, Some(bytes)),
            None => (None, None),
        };
        self.proxied.push(ProxiedConnect { conn, name, tunnel });
        Some((authority, bytes))
    }

    /// Forgets a connect to a proxy once it ended; returns its name.
    fn forget_proxied(&mut self, conn: ConnectionId) -> Option<String> {
        let at = self.proxied.iter().position(|p| p.conn == conn)?;
        Some(self.proxied.swap_remove(at).name)
    }
}

impl core::fmt::Debug for Pool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.inner.fmt(f)
    }
}
