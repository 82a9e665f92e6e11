//! Errors thrown into JavaScript: an `Error` with a `kind` property
//! (docs/DESIGN.md C5) and, for a refused submission, a `code`.

use crate::js;
use alloc::string::ToString;
use pipelining::{ErrorKind, SubmitError};
use wasm_bindgen::JsValue;

/// A JavaScript `Error` with `message` and `kind` set to the C5 name.
pub(crate) fn error(kind: ErrorKind, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    js::set(&error, "kind", kind.as_str());
    error.into()
}

/// [`error`] with a `code` naming the exact case.
pub(crate) fn error_with_code(kind: ErrorKind, message: &str, code: &str) -> JsValue {
    let error = error(kind, message);
    js::set(&error, "code", code);
    error
}

/// A wrong argument from JavaScript: `invalid_request`, code `"invalid"`.
pub(crate) fn invalid(message: &str) -> JsValue {
    error_with_code(ErrorKind::InvalidRequest, message, "invalid")
}

/// Why `submit` refused. `kind` says it in C5 terms (`invalid_request` for
/// a request that cannot be encoded, `limit` for a full queue,
/// `connection_lost` for a closed connection); `code` names the exact case
/// (`"invalid"`, `"queue_full"`, `"closed"`) so a driver can wait for room
/// on `queue_full`.
pub(crate) fn submit_error<E: core::fmt::Display>(e: &SubmitError<E>) -> JsValue {
    let code = match e {
        SubmitError::Invalid(_) => "invalid",
        SubmitError::QueueFull { .. } => "queue_full",
        _ => "closed",
    };
    error_with_code(e.kind(), &e.to_string(), code)
}
