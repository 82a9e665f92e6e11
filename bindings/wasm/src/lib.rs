//! # pipelining-wasm
//!
//! The sans-IO core of [`pipelining`] for JavaScript, through WebAssembly.
//!
//! Two classes wrap the core's state machines with the same four groups of
//! methods (the quinn-proto shape):
//!
//! * [`Connection`]: one pipelined connection (`pipelining::Connection`).
//!   Getters (`inFlight`, `queued`, `capability`, …); inputs (`handle*`:
//!   bytes received as a `Uint8Array`, bytes written, EOF, a transport
//!   error, a timer); commands (`submit`, `cancel`, `close`, `setDepth`);
//!   outputs drained after every input in this order: `pollTransmit` until
//!   `undefined` (write each `Uint8Array` in one `socket.write`, then report
//!   it with `handleWritten`), `pollTimeout` (call `handleTimeout` then),
//!   `pollEvent` until `undefined` (plain objects with a `type`, see
//!   `ConnectionEvent` in the TypeScript declarations).
//! * [`Pool`]: connections keyed by origin under the core's dispatcher
//!   (`pipelining::dispatch::Dispatcher`), what a driver drives. `submit`
//!   returns an id or `-1` (no room: `waitForRoom`, then `submitWaiting`
//!   when a `room` notice says so, first come first served); `take` hands
//!   over a request's outcome packed into bytes (`src/packed.rs`); outputs
//!   in this order: `pollTransmit`, `pollInstruction` (`connect`, `close`,
//!   `pause`, `resume`), `pollTimeout`, `pollNotice`.
//!
//! Time is a number of milliseconds the caller passes in —
//! `performance.now()` — and is turned into the core's microsecond
//! [`pipelining::Instant`]; the module never reads a clock. Misuse (an
//! invalid request, a setting that cannot work, a wrong argument) throws a
//! JavaScript `Error` whose `kind` property is one of the
//! [`pipelining::ErrorKind`] names (docs/DESIGN.md C5); peer faults never
//! throw, they become failures of the requests they touch.
//!
//! ```text
//!   submit(request) ──► pollTransmit() ──► socket.write(bytes)
//!                                              │ callback: handleWritten(n)
//!   pollEvent() ◄── handleReceived(bytes) ◄── socket 'data'
//!   {type: "response", id, part: {type: "head", status, headers, …}, end}
//! ```
//!
//! The npm package around this crate (`bindings/wasm/package.json`) adds a
//! Node driver over `net`/`tls` sockets and the `pipelining-fetch` command.

// No standard library: the core needs only `alloc`, and without `std` the
// shipped module (built with `trap-on-panic`) carries no panic message
// formatting (README.md, Size).
#![no_std]

extern crate alloc;
#[cfg(not(feature = "trap-on-panic"))]
extern crate std;

/// A panic (a bug: the module is written not to panic on any input) traps
/// at once, as `panic = "abort"` did after the standard library's handler
/// formatted a message that wasm32-unknown-unknown has nowhere to write.
#[cfg(feature = "trap-on-panic")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    loop {}
}

mod allocator;
mod config;
mod connection;
mod error;
mod events;
mod js;
mod packed;
mod pool;
mod proxy;
mod request;
mod time;
mod types;

pub use connection::Connection;
pub use pool::Pool;
pub use types::{ConnectionOptions, PoolOptions, SubmitOptions};

use wasm_bindgen::prelude::wasm_bindgen;

/// Every error kind name, in the order docs/DESIGN.md C1 lists them: the values
/// a thrown `Error.kind` or a `failed` event's `kind` can take.
#[wasm_bindgen(js_name = errorKinds, unchecked_return_type = "ErrorKind[]")]
pub fn error_kinds() -> js_sys::Array {
    pipelining::ErrorKind::ALL.iter().map(|k| wasm_bindgen::JsValue::from_str(k.as_str())).collect()
}
