//! RESP values (RESP2 and RESP3).

use alloc::vec::Vec;
use bytes::Bytes;

/// A reply from a Redis server.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `+OK`: a simple string.
    Simple(Bytes),
    /// `-ERR …`: an error reply. It answers its command; the connection
    /// stays healthy.
    Error(Bytes),
    /// `:42`.
    Integer(i64),
    /// `$5\r\nhello`: a bulk string; `$-1` is [`Value::Null`].
    Bulk(Bytes),
    /// `*2\r\n…`: an array; `*-1` is [`Value::Null`].
    Array(Vec<Value>),
    /// RESP2's null bulk string or array, RESP3's `_`.
    Null,
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `,3.14`.
    Double(f64),
    /// RESP3 `(3492890328409238509324850943850943825024385`, as its digits.
    BigNumber(Bytes),
    /// RESP3 `!21\r\nSYNTAX invalid syntax`: a bulk error.
    BulkError(Bytes),
    /// RESP3 `=15\r\ntxt:Some string`: the format and the text.
    Verbatim {
        /// The three-letter format (`txt`, `mkd`).
        format: Bytes,
        /// The text.
        text: Bytes,
    },
    /// RESP3 `%`: key-value pairs in order.
    Map(Vec<(Value, Value)>),
    /// RESP3 `~`: a set, in the order sent.
    Set(Vec<Value>),
    /// RESP3 `>`: an out-of-band push message (pub/sub, invalidation). Never
    /// the answer to a command.
    Push(Vec<Value>),
}

impl Value {
    /// Whether this is an error reply (simple or bulk).
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_) | Value::BulkError(_))
    }
}
