//! Incremental RESP parsing: first measure a complete value (no
//! allocation), then build it with slices of the frozen bytes.

use super::{RespError, RespLimits, Value};
use alloc::vec::Vec;
use bytes::Bytes;

/// Result of measuring the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Measure {
    /// A whole value occupies `buf[..end]`.
    Complete { end: usize },
    /// Not yet; at least `need` bytes in all are required.
    Partial { need: usize },
}

/// Finds the end of the value at the start of `buf`.
pub(crate) fn measure(buf: &[u8], limits: &RespLimits) -> Result<Measure, RespError> {
    let mut pos = 0;
    match skip_value(buf, &mut pos, 0, limits)? {
        Some(()) => Ok(Measure::Complete { end: pos }),
        None => Ok(Measure::Partial { need: pos.max(buf.len() + 1) }),
    }
}

/// Builds the value that [`measure`] found complete in `bytes`.
pub(crate) fn build(bytes: &Bytes, limits: &RespLimits) -> Result<Value, RespError> {
    let mut pos = 0;
    build_value(bytes, &mut pos, limits)
}

fn line<'a>(buf: &'a [u8], pos: &mut usize, limits: &RespLimits) -> Result<Option<&'a [u8]>, RespError> {
    let start = *pos;
    let window = &buf[start..buf.len().min(start.saturating_add(limits.max_line + 2))];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(i) => {
            *pos = start + i + 2;
            Ok(Some(&buf[start..start + i]))
        }
        None if buf.len() - start > limits.max_line + 1 => Err(RespError::LineTooLong { limit: limits.max_line }),
        None => Ok(None),
    }
}

fn integer(digits: &[u8]) -> Result<i64, RespError> {
    let (negative, digits) = match digits {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(RespError::InvalidNumber);
    }
    let magnitude = digits.iter().try_fold(0i64, |acc, &d| acc.checked_mul(10)?.checked_sub(i64::from(d - b'0')));
    let negated = magnitude.ok_or(RespError::InvalidNumber)?;
    if negative { Ok(negated) } else { negated.checked_neg().ok_or(RespError::InvalidNumber) }
}

/// A length: -1 means null; other negatives are invalid.
fn length(digits: &[u8], limit: u64) -> Result<Option<u64>, RespError> {
    match integer(digits)? {
        -1 => Ok(None),
        n if n < 0 => Err(RespError::InvalidNumber),
        n if n as u64 > limit => Err(RespError::TooLarge { limit }),
        n => Ok(Some(n as u64)),
    }
}

/// Advances `pos` past one value; `None` (with `pos` a lower bound on the
/// bytes needed) if it is not complete yet.
fn skip_value(buf: &[u8], pos: &mut usize, depth: usize, limits: &RespLimits) -> Result<Option<()>, RespError> {
    if depth > limits.max_depth {
        return Err(RespError::TooDeep { limit: limits.max_depth });
    }
    let Some(&kind) = buf.get(*pos) else {
        *pos += 1;
        return Ok(None);
    };
    *pos += 1;
    let Some(header) = line(buf, pos, limits)? else { return Ok(None) };
    match kind {
        b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => {
            if kind == b':' {
                integer(header)?;
            }
            Ok(Some(()))
        }
        b'$' | b'!' | b'=' => match length(header, limits.max_bulk)? {
            None => Ok(Some(())),
            Some(n) => {
                let end = *pos + n as usize + 2;
                if buf.len() < end {
                    *pos = end;
                    return Ok(None);
                }
                if &buf[end - 2..end] != b"\r\n" {
                    return Err(RespError::MissingCrlf);
                }
                *pos = end;
                Ok(Some(()))
            }
        },
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let Some(n) = length(header, limits.max_elements)? else { return Ok(Some(())) };
            let items = if matches!(kind, b'%' | b'|') { n * 2 } else { n };
            for _ in 0..items {
                if skip_value(buf, pos, depth + 1, limits)?.is_none() {
                    return Ok(None);
                }
            }
            if kind == b'|' {
                // An attribute describes the value that follows it.
                return skip_value(buf, pos, depth + 1, limits);
            }
            Ok(Some(()))
        }
        byte => Err(RespError::UnknownType { byte }),
    }
}

fn build_value(bytes: &Bytes, pos: &mut usize, limits: &RespLimits) -> Result<Value, RespError> {
    // `measure` already bounded the nesting depth of these same bytes.
    let buf = &bytes[..];
    let kind = *buf.get(*pos).ok_or(RespError::Truncated)?;
    *pos += 1;
    let header = line(buf, pos, limits)?.ok_or(RespError::Truncated)?;
    let slice = |s: &[u8]| bytes.slice_ref(s);
    Ok(match kind {
        b'+' => Value::Simple(slice(header)),
        b'-' => Value::Error(slice(header)),
        b':' => Value::Integer(integer(header)?),
        b'_' => Value::Null,
        b'#' => match header {
            b"t" => Value::Boolean(true),
            b"f" => Value::Boolean(false),
            _ => return Err(RespError::InvalidNumber),
        },
        b',' => {
            let text = core::str::from_utf8(header).map_err(|_| RespError::InvalidNumber)?;
            Value::Double(text.parse().map_err(|_| RespError::InvalidNumber)?)
        }
        b'(' => Value::BigNumber(slice(header)),
        b'$' | b'!' | b'=' => match length(header, limits.max_bulk)? {
            None => Value::Null,
            Some(n) => {
                let data = bytes.slice(*pos..*pos + n as usize);
                *pos += n as usize + 2;
                match kind {
                    b'$' => Value::Bulk(data),
                    b'!' => Value::BulkError(data),
                    _ if data.len() >= 4 && data[3] == b':' => {
                        Value::Verbatim { format: data.slice(..3), text: data.slice(4..) }
                    }
                    _ => return Err(RespError::InvalidNumber),
                }
            }
        },
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let Some(n) = length(header, limits.max_elements)? else { return Ok(Value::Null) };
            // Counts come from the peer; the measured bytes bound them.
            let cap = (n as usize).min(buf.len() / 3);
            if matches!(kind, b'%' | b'|') {
                let mut pairs = Vec::with_capacity(cap);
                for _ in 0..n {
                    let k = build_value(bytes, pos, limits)?;
                    let v = build_value(bytes, pos, limits)?;
                    pairs.push((k, v));
                }
                if kind == b'|' {
                    return build_value(bytes, pos, limits);
                }
                Value::Map(pairs)
            } else {
                let mut items = Vec::with_capacity(cap);
                for _ in 0..n {
                    items.push(build_value(bytes, pos, limits)?);
                }
                match kind {
                    b'*' => Value::Array(items),
                    b'~' => Value::Set(items),
                    _ => Value::Push(items),
                }
            }
        }
        byte => return Err(RespError::UnknownType { byte }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Result<Option<Value>, RespError> {
        let limits = RespLimits::default();
        match measure(input, &limits)? {
            Measure::Complete { end } => Ok(Some(build(&Bytes::copy_from_slice(&input[..end]), &limits)?)),
            Measure::Partial { .. } => Ok(None),
        }
    }

    #[test]
    fn integers_reject_overflow_and_junk() {
        assert_eq!(integer(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(integer(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(integer(b"9223372036854775808"), Err(RespError::InvalidNumber));
        assert_eq!(integer(b""), Err(RespError::InvalidNumber));
        assert_eq!(integer(b"1a"), Err(RespError::InvalidNumber));
    }

    #[test]
    fn attributes_are_skipped_in_favour_of_the_value_they_describe() {
        let v = parse(b"|1\r\n+key\r\n:1\r\n:42\r\n").unwrap();
        assert_eq!(v, Some(Value::Integer(42)));
    }

    #[test]
    fn partial_input_is_not_an_error() {
        assert_eq!(parse(b"$5\r\nhel"), Ok(None));
        assert_eq!(parse(b"*2\r\n:1\r\n"), Ok(None));
        assert_eq!(parse(b"$5\r\nhello!!"), Err(RespError::MissingCrlf));
    }
}
