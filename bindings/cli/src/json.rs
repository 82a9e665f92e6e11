//! The exact JSON lines of docs/DESIGN.md C1 and C2: keys in a fixed order.

use std::fmt::Write;

/// A JSON string literal.
pub(crate) fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// `null` or the value.
pub(crate) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| String::from("null"), |v| v.to_string())
}

/// `null` or a JSON string.
pub(crate) fn opt_string(v: Option<&str>) -> String {
    v.map_or_else(|| String::from("null"), string)
}

/// A JSON number for a float: finite values with up to `decimals` places.
pub(crate) fn number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return String::from("0");
    }
    let mut s = String::new();
    let _ = write!(s, "{v:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { String::from("0") } else { s }
}

/// Builds an object with keys in insertion order.
#[derive(Default)]
pub(crate) struct Object {
    body: String,
}

impl Object {
    /// Appends `key` with an already-encoded JSON value.
    pub(crate) fn field(mut self, key: &str, raw_value: impl AsRef<str>) -> Self {
        if !self.body.is_empty() {
            self.body.push(',');
        }
        self.body.push_str(&string(key));
        self.body.push(':');
        self.body.push_str(raw_value.as_ref());
        self
    }

    /// The object's text.
    pub(crate) fn finish(self) -> String {
        format!("{{{}}}", self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_key_order_and_escape_strings() {
        let line = Object::default()
            .field("url", string("http://h/\"q\""))
            .field("status", opt(Some(200)))
            .field("error", opt_string(None))
            .finish();
        assert_eq!(line, r#"{"url":"http://h/\"q\"","status":200,"error":null}"#);
    }

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(number(1.5, 3), "1.5");
        assert_eq!(number(2.0, 3), "2");
        assert_eq!(number(0.0001, 3), "0");
        assert_eq!(number(f64::NAN, 3), "0");
    }
}
