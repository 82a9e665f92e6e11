//! The exact JSON lines of docs/DESIGN.md C1 and C2: keys in a fixed order.

use std::fmt::Write;

/// A JSON string literal.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// Appends `s` as a JSON string literal (RFC 8259 §7), escaped as
/// serde_json escapes: quote, backslash and control characters only.
pub(crate) fn push_string(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escape: one check, one copy.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut plain = 0;
    for (at, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain..at]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        plain = at + 1;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// One JSON object written straight into a reused buffer, keys in the order
/// they are added: no allocation per field.
pub(crate) struct Line<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Line<'a> {
    /// Starts an object at the end of `out`.
    pub(crate) fn new(out: &'a mut String) -> Self {
        out.push('{');
        Line { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_string(self.out, key);
        self.out.push(':');
    }

    /// Appends `n` in decimal without the formatting machinery.
    fn push_number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &digit in &digits[at..] {
            self.out.push(char::from(digit));
        }
    }

    /// A field whose value is already JSON.
    pub(crate) fn raw(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(value);
        self
    }

    /// A string field.
    pub(crate) fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_string(self.out, value);
        self
    }

    /// A number field.
    pub(crate) fn number(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        self.push_number(value);
        self
    }

    /// A field whose value `write` appends as JSON.
    pub(crate) fn with(&mut self, key: &str, write: impl FnOnce(&mut String)) -> &mut Self {
        self.key(key);
        write(self.out);
        self
    }

    /// Closes the object.
    pub(crate) fn end(&mut self) {
        self.out.push('}');
    }
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
    fn strings_escape_as_serde_json_does() {
        for s in ["plain", "q\"uote", "back\\slash", "new\nline\r\t", "\u{1}\u{1f}\u{8}\u{c}", "é ∑ 🦀", "/"] {
            assert_eq!(string(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
        let mut out = String::new();
        Line::new(&mut out).string("a", "x\"y").number("n", 42).raw("r", "null").with("v", |o| o.push_str("[1]")).end();
        assert_eq!(out, r#"{"a":"x\"y","n":42,"r":null,"v":[1]}"#);
    }

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(number(1.5, 3), "1.5");
        assert_eq!(number(2.0, 3), "2");
        assert_eq!(number(0.0001, 3), "0");
        assert_eq!(number(f64::NAN, 3), "0");
    }
}
