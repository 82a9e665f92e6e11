//! Commands: arrays of bulk strings, and which of them are safe to resend.

use super::CommandError;
use alloc::vec::Vec;
use bytes::Bytes;

/// A Redis command: its name and arguments, sent as an array of bulk
/// strings (the RESP request form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The name first, then the arguments.
    pub args: Vec<Bytes>,
}

impl Command {
    /// A command from its words.
    pub fn new<I, A>(args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<Bytes>,
    {
        Command { args: args.into_iter().map(Into::into).collect() }
    }

    /// The command's name, as sent.
    pub fn name(&self) -> &[u8] {
        self.args.first().map_or(&[][..], |a| &a[..])
    }

    /// Whether sending it twice has the effect of sending it once: reads,
    /// and writes that set rather than change a value. INCR, LPUSH, APPEND,
    /// EXPIRE and the like are not: a lost one is never resent.
    pub fn is_idempotent(&self) -> bool {
        const IDEMPOTENT: &[&str] = &[
            // Reads.
            "GET",
            "MGET",
            "EXISTS",
            "TTL",
            "PTTL",
            "TYPE",
            "STRLEN",
            "GETRANGE",
            "HGET",
            "HMGET",
            "HGETALL",
            "HKEYS",
            "HVALS",
            "HLEN",
            "HEXISTS",
            "HSTRLEN",
            "LRANGE",
            "LLEN",
            "LINDEX",
            "SMEMBERS",
            "SCARD",
            "SISMEMBER",
            "SMISMEMBER",
            "SRANDMEMBER",
            "ZRANGE",
            "ZRANGEBYSCORE",
            "ZREVRANGE",
            "ZSCORE",
            "ZMSCORE",
            "ZCARD",
            "ZCOUNT",
            "ZRANK",
            "ZREVRANK",
            "KEYS",
            "SCAN",
            "HSCAN",
            "SSCAN",
            "ZSCAN",
            "DBSIZE",
            "PING",
            "ECHO",
            "TIME",
            "INFO",
            "BITCOUNT",
            "GETBIT",
            "OBJECT",
            "DUMP",
            "RANDOMKEY",
            "XRANGE",
            "XREVRANGE",
            "XLEN",
            "PFCOUNT",
            "GEOPOS",
            "GEODIST",
            "HELLO",
            // Writes that set a value: repeating them changes nothing more.
            "SET",
            "MSET",
            "DEL",
            "UNLINK",
            "HSET",
            "HMSET",
            "HDEL",
            "SADD",
            "SREM",
            "PERSIST",
            "SETBIT",
            "ZREM",
        ];
        let name = self.name();
        // SET with GET, NX or XX conditions can answer differently when
        // repeated; only its plain form is safe.
        if name.eq_ignore_ascii_case(b"SET")
            && self.args.iter().skip(3).any(|a| {
                a.eq_ignore_ascii_case(b"GET") || a.eq_ignore_ascii_case(b"NX") || a.eq_ignore_ascii_case(b"XX")
            })
        {
            return false;
        }
        IDEMPOTENT.iter().any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
    }

    /// Appends the command as a RESP array of bulk strings.
    pub fn encode(&self, dst: &mut Vec<u8>) -> Result<(), CommandError> {
        if self.args.is_empty() || self.args[0].is_empty() {
            return Err(CommandError::Empty);
        }
        push_header(dst, b'*', self.args.len());
        for arg in &self.args {
            push_header(dst, b'$', arg.len());
            dst.extend_from_slice(arg);
            dst.extend_from_slice(b"\r\n");
        }
        Ok(())
    }
}

fn push_header(dst: &mut Vec<u8>, kind: u8, n: usize) {
    dst.push(kind);
    crate::decimal::push_decimal(dst, n as u64);
    dst.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_encode_as_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        Command::new(["SET", "k", "hello world"]).encode(&mut out).unwrap();
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\nhello world\r\n");
        assert_eq!(Command::new(Vec::<Bytes>::new()).encode(&mut out), Err(CommandError::Empty));
    }

    #[test]
    fn idempotency_follows_the_command() {
        assert!(Command::new(["get", "k"]).is_idempotent());
        assert!(Command::new(["SET", "k", "v"]).is_idempotent());
        assert!(!Command::new(["SET", "k", "v", "NX"]).is_idempotent());
        assert!(!Command::new(["INCR", "k"]).is_idempotent());
        assert!(!Command::new(["LPUSH", "l", "x"]).is_idempotent());
    }
}
