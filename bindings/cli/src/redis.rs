//! `pipelining redis`: commands from stdin, pipelined to one Redis server,
//! one JSON line per command in order.

use crate::json;
use bytes::Bytes;
use pipelining_tokio::Idempotency;
use pipelining_tokio::redis::{Command, RedisClient, Value};
use std::io::Write;

/// Splits a command line into words: whitespace separates, double quotes
/// group, and `\"`, `\\`, `\n`, `\r`, `\t`, `\xHH` escape inside quotes
/// (as redis-cli does).
pub fn split_words(line: &str) -> Result<Vec<Bytes>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word: Vec<u8> = Vec::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quote".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => word.push(b'\n'),
                        Some('r') => word.push(b'\r'),
                        Some('t') => word.push(b'\t'),
                        Some('x') => {
                            let hex: String = chars.by_ref().take(2).collect();
                            word.push(u8::from_str_radix(&hex, 16).map_err(|_| format!("bad escape \\x{hex}"))?);
                        }
                        Some(c) => word.extend_from_slice(c.to_string().as_bytes()),
                        None => return Err("unterminated escape".into()),
                    },
                    Some(c) => word.extend_from_slice(c.to_string().as_bytes()),
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return Err("a closing quote must be followed by a space".into());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.extend_from_slice(c.to_string().as_bytes());
                chars.next();
            }
        }
        words.push(Bytes::from(word));
    }
    Ok(words)
}

/// A reply as JSON: strings for strings, numbers, `null`, arrays, objects
/// for maps with string keys, and `{"error": …}` for error replies.
pub fn value_json(value: &Value) -> String {
    let text = |b: &Bytes| json::string(&String::from_utf8_lossy(b));
    match value {
        Value::Simple(s) | Value::Bulk(s) | Value::BigNumber(s) => text(s),
        Value::Verbatim { text: t, .. } => text(t),
        Value::Error(e) | Value::BulkError(e) => json::Object::default().field("error", text(e)).finish(),
        Value::Integer(n) => n.to_string(),
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Double(d) if d.is_finite() => format!("{d}"),
        Value::Double(d) => json::string(&d.to_string()),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            format!("[{}]", items.iter().map(value_json).collect::<Vec<_>>().join(","))
        }
        Value::Map(pairs) => {
            if pairs.iter().all(|(k, _)| matches!(k, Value::Simple(_) | Value::Bulk(_))) {
                let mut object = json::Object::default();
                for (k, v) in pairs {
                    let key = match k {
                        Value::Simple(s) | Value::Bulk(s) => String::from_utf8_lossy(s).into_owned(),
                        _ => String::new(),
                    };
                    object = object.field(&key, value_json(v));
                }
                object.finish()
            } else {
                let items: Vec<String> =
                    pairs.iter().map(|(k, v)| format!("[{},{}]", value_json(k), value_json(v))).collect();
                format!("[{}]", items.join(","))
            }
        }
    }
}

/// The JSON line of one command.
pub fn json_line(command: &str, outcome: &Result<(Value, u32), pipelining_tokio::Error>) -> String {
    let object = json::Object::default().field("command", json::string(command));
    match outcome {
        Ok((value, attempts)) => object
            .field("reply", value_json(value))
            .field("attempts", attempts.to_string())
            .field("error", "null")
            .field("error_kind", "null")
            .finish(),
        Err(e) => object
            .field("reply", "null")
            .field("attempts", e.attempts().to_string())
            .field("error", json::string(e.message()))
            .field("error_kind", json::string(e.kind().as_str()))
            .finish(),
    }
}

/// Sends every command line (already split), in order, and prints one line
/// per command. At most `window` commands are queued at once: enough to keep
/// every connection's pipeline full, without holding thousands of pending
/// requests. Returns whether every command got a reply.
pub async fn run(
    client: &RedisClient,
    lines: &[(String, Vec<Bytes>)],
    window: usize,
    json_out: bool,
) -> std::io::Result<bool> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    let mut pending = std::collections::VecDeque::with_capacity(window);
    let mut next = 0;
    while next < lines.len() || !pending.is_empty() {
        while next < lines.len() && pending.len() < window.max(1) {
            let words = lines[next].1.iter().cloned();
            pending.push_back((next, client.command(Command::new(words), Idempotency::ByMethod)));
            next += 1;
        }
        let Some((index, future)) = pending.pop_front() else { break };
        let line = &lines[index].0;
        let outcome = future.await.map(|reply| (reply.response, reply.attempts));
        all_ok &= outcome.is_ok();
        let text = match (&outcome, json_out) {
            (_, true) => json_line(line, &outcome),
            (Ok((value, _)), false) => format!("{line} → {}", value_json(value)),
            (Err(e), false) => format!("{line} → ERROR {}: {}", e.kind(), e.message()),
        };
        writeln!(out, "{text}")?;
        if pending.is_empty() {
            out.flush()?;
        }
    }
    out.flush()?;
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_redis_cli() {
        let words = split_words(r#"SET "a key" "line\nbreak \x41" plain"#).unwrap();
        assert_eq!(words, vec![Bytes::from("SET"), "a key".into(), "line\nbreak A".into(), "plain".into()]);
        assert!(split_words(r#"GET "open"#).is_err());
        assert_eq!(split_words("   ").unwrap(), Vec::<Bytes>::new());
    }

    #[test]
    fn replies_become_json() {
        let v = Value::Array(vec![Value::Integer(1), Value::Null, Value::Error(Bytes::from("ERR x"))]);
        assert_eq!(value_json(&v), r#"[1,null,{"error":"ERR x"}]"#);
        let m = Value::Map(vec![(Value::Simple(Bytes::from("k")), Value::Boolean(true))]);
        assert_eq!(value_json(&m), r#"{"k":true}"#);
    }
}
