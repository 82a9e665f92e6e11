//! Small helpers to build and read plain JavaScript objects without serde
//! (a smaller module).

use crate::error::invalid;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// `parts` joined: a loop of `push_str`, smaller in wasm than `concat`.
pub(crate) fn text(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `target[key] = value`. Setting a property of a plain object cannot
/// fail, so the result is ignored.
pub(crate) fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

/// A new plain object whose `type` is `kind`.
pub(crate) fn tagged(kind: &str) -> Object {
    let object = Object::new();
    set(&object, "type", kind);
    object
}

/// `source[key]`, or `undefined` when `source` is not an object.
pub(crate) fn get(source: &JsValue, key: &str) -> JsValue {
    if !source.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(source, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `undefined` and `null` both mean "not given".
pub(crate) fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// An optional number option.
pub(crate) fn number(source: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    let value = get(source, key);
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if !n.is_nan() => Ok(Some(n)),
        _ => Err(invalid(&text(&[key, " must be a number"]))),
    }
}

/// `n` is a whole number (`f64::fract` is zero), without the standard
/// library: below 2⁵², exactly when truncating changes nothing; above, every
/// finite number is whole.
pub(crate) fn is_whole(n: f64) -> bool {
    if n.abs() >= 4_503_599_627_370_496.0 { n.is_finite() } else { (n as i64) as f64 == n }
}

/// An optional count option: a whole number ≥ 0 (saturating at the type's
/// maximum).
pub(crate) fn count(source: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    match number(source, key)? {
        Some(n) if n >= 0.0 && is_whole(n) => Ok(Some(n)),
        Some(_) => Err(invalid(&text(&[key, " must be a whole number ≥ 0"]))),
        None => Ok(None),
    }
}

/// An optional time span in milliseconds: `undefined` keeps the default
/// (`None`), `null` turns it off (`Some(None)`).
pub(crate) fn millis(source: &JsValue, key: &str) -> Result<Option<Option<f64>>, JsValue> {
    let value = get(source, key);
    if value.is_undefined() {
        return Ok(None);
    }
    if value.is_null() {
        return Ok(Some(None));
    }
    match value.as_f64() {
        Some(n) if n >= 0.0 => Ok(Some(Some(n))),
        _ => Err(invalid(&text(&[key, " must be a number of milliseconds ≥ 0 or null"]))),
    }
}

/// An optional boolean option.
pub(crate) fn boolean(source: &JsValue, key: &str) -> Result<Option<bool>, JsValue> {
    let value = get(source, key);
    if is_absent(&value) {
        return Ok(None);
    }
    value.as_bool().map(Some).ok_or_else(|| invalid(&text(&[key, " must be a boolean"])))
}

/// An optional string option.
pub(crate) fn string(source: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let value = get(source, key);
    if is_absent(&value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| invalid(&text(&[key, " must be a string"])))
}

/// Bytes from a `Uint8Array` (copied) or a string (UTF-8).
pub(crate) fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(s.into_bytes());
    }
    match value.dyn_ref::<Uint8Array>() {
        Some(array) => Ok(array.to_vec()),
        None => Err(invalid(&text(&[what, " must be a string or a Uint8Array"]))),
    }
}

/// The elements of a JavaScript array.
pub(crate) fn array(value: &JsValue, what: &str) -> Result<Array, JsValue> {
    if Array::is_array(value) {
        Ok(value.clone().unchecked_into())
    } else {
        Err(invalid(&text(&[what, " must be an array"])))
    }
}

/// Bytes as a string, one character per byte (Latin-1), as Node's `http`
/// does for header values: every byte survives, whatever its encoding.
pub(crate) fn latin1(bytes: &[u8]) -> JsValue {
    if bytes.is_ascii() {
        // Every byte is one character: no decoding needed.
        return JsValue::from_str(core::str::from_utf8(bytes).unwrap_or_default());
    }
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    JsValue::from_str(&text)
}

/// A copy of `bytes` in JavaScript memory (wasm memory may move).
pub(crate) fn uint8array(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// Header text to bytes, one byte per character (Latin-1) like
/// [`latin1`]; a `Uint8Array` is taken as it is.
pub(crate) fn header_bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    let Some(chars) = value.as_string() else { return bytes(value, what) };
    chars
        .chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| invalid(&text(&[what, " has a character above U+00FF"]))))
        .collect()
}
