//! Commands: arrays of bulk strings, and which of them are safe to resend.

use super::CommandError;
use alloc::vec::Vec;
use bytes::Bytes;

/// What resending a command after a lost connection would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayClass {
    /// Nothing different: reads, and writes that set a value and answer
    /// the same (`SET k v`, `MSET`, `HMSET`). Resent after a loss.
    Safe,
    /// The same state, but a different answer: `DEL` answers how many keys
    /// it removed, and 0 the second time; `SADD`, `SREM`, `HDEL`, `HSET`,
    /// `EXPIRE`, `SET … NX|XX|GET`, `GETEX` likewise. Not resent by
    /// default: the caller would see the resend's answer, not what
    /// happened. A client option allows it.
    SameState,
    /// A different state: `INCR`, `LPUSH`, `APPEND` … and every command not
    /// known here. Never resent once written.
    Never,
}

/// Reads, and writes that answer the same when repeated.
const SAFE: &[&str] = &[
    "GET",
    "MGET",
    "EXISTS",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "TYPE",
    "STRLEN",
    "GETRANGE",
    "SUBSTR",
    "HGET",
    "HMGET",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS",
    "HSTRLEN",
    "HRANDFIELD",
    "LRANGE",
    "LLEN",
    "LINDEX",
    "LPOS",
    "SMEMBERS",
    "SCARD",
    "SISMEMBER",
    "SMISMEMBER",
    "SRANDMEMBER",
    "SINTER",
    "SUNION",
    "SDIFF",
    "SINTERCARD",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGE",
    "ZREVRANGEBYSCORE",
    "ZSCORE",
    "ZMSCORE",
    "ZCARD",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZRANK",
    "ZREVRANK",
    "ZRANDMEMBER",
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
    "LASTSAVE",
    "BITCOUNT",
    "BITPOS",
    "GETBIT",
    "OBJECT",
    "DUMP",
    "RANDOMKEY",
    "XRANGE",
    "XREVRANGE",
    "XLEN",
    "XINFO",
    "PFCOUNT",
    "GEOPOS",
    "GEODIST",
    "GEOHASH",
    "GEOSEARCH",
    "MSET",
    "HMSET",
    "TOUCH",
    "MEMORY",
    "COMMAND",
    "LCS",
];

/// Writes whose state is the same when repeated, but not their answer.
const SAME_STATE: &[&str] = &[
    "DEL",
    "UNLINK",
    "HSET",
    "HSETNX",
    "HDEL",
    "SADD",
    "SREM",
    "ZREM",
    "ZADD",
    "PERSIST",
    "SETBIT",
    "SETNX",
    "MSETNX",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "GETEX",
    "GETDEL",
    "SMOVE",
    "SETRANGE",
];

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

    /// What resending it after a loss would do (`docs/DESIGN.md` P8): see
    /// [`ReplayClass`]. The one table of the codec, by name, and by the
    /// arguments where they change the answer.
    pub fn replay_class(&self) -> ReplayClass {
        let name = self.name();
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        let has_arg = |a: &str| self.args.iter().skip(1).any(|x| x.eq_ignore_ascii_case(a.as_bytes()));
        // Argument forms that answer differently when repeated: SET with a
        // condition or GET (RFC-less, Redis's documented semantics).
        if is("SET") {
            return if has_arg("NX") || has_arg("XX") || has_arg("GET") {
                ReplayClass::SameState
            } else {
                ReplayClass::Safe
            };
        }
        // ZADD with INCR adds to a score: a resend adds again.
        if is("ZADD") && has_arg("INCR") {
            return ReplayClass::Never;
        }
        if SAFE.iter().any(|c| is(c)) {
            ReplayClass::Safe
        } else if SAME_STATE.iter().any(|c| is(c)) {
            ReplayClass::SameState
        } else {
            ReplayClass::Never
        }
    }

    /// Whether resending it is safe by default: [`ReplayClass::Safe`].
    pub fn is_idempotent(&self) -> bool {
        self.replay_class() == ReplayClass::Safe
    }

    /// Why it may not be sent as an ordinary command, if it may not: it
    /// changes the connection's state, which would then hold on one
    /// connection of several and be lost with it (the client's
    /// configuration does it on every connection), or it takes the
    /// connection over (use a transaction or a subscriber instead).
    pub fn state_change(&self) -> Option<&'static str> {
        let name = self.name();
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        let sub = |n: &str| self.args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(n.as_bytes()));
        if is("SELECT") {
            Some("set the database in the client's configuration (a redis://host/DB URL)")
        } else if is("AUTH") {
            Some("set the credentials in the client's configuration (a redis://user:password@host URL)")
        } else if is("HELLO") {
            Some("set the protocol version in the client's configuration")
        } else if is("CLIENT") && (sub("SETNAME") || sub("REPLY") || sub("TRACKING")) {
            Some("CLIENT SETNAME goes in the client's configuration; REPLY and TRACKING would break reply matching")
        } else if ["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"].iter().any(|c| is(c)) {
            Some("send a transaction (MULTI … EXEC as one unit) instead")
        } else if ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"]
            .iter()
            .any(|c| is(c))
        {
            Some("subscribe through a subscriber, on a connection of its own")
        } else if ["MONITOR", "QUIT", "RESET", "SYNC", "PSYNC", "REPLCONF"].iter().any(|c| is(c)) {
            Some("it takes the connection over")
        } else {
            None
        }
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
    fn every_command_of_the_table_has_its_class() {
        let class =
            |words: &[&str]| Command::new(words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes()))).replay_class();
        for name in SAFE {
            assert_eq!(class(&[name, "k"]), ReplayClass::Safe, "{name}");
            assert_eq!(class(&[&name.to_ascii_lowercase(), "k"]), ReplayClass::Safe, "{name}, any case");
        }
        for name in SAME_STATE {
            assert_eq!(class(&[name, "k", "v"]), ReplayClass::SameState, "{name}");
        }
        for name in
            ["INCR", "INCRBY", "DECR", "LPUSH", "RPUSH", "APPEND", "LPOP", "SPOP", "HINCRBY", "XADD", "EVAL", "NOPE"]
        {
            assert_eq!(class(&[name, "k"]), ReplayClass::Never, "{name}");
        }
        // Where the arguments change the answer.
        assert_eq!(class(&["SET", "k", "v"]), ReplayClass::Safe);
        assert_eq!(class(&["SET", "k", "v", "EX", "10"]), ReplayClass::Safe);
        for form in ["NX", "XX", "GET", "nx"] {
            assert_eq!(class(&["SET", "k", "v", form]), ReplayClass::SameState, "SET … {form}");
        }
        assert_eq!(class(&["EXPIRE", "k", "10", "NX"]), ReplayClass::SameState);
        assert_eq!(class(&["ZADD", "z", "INCR", "1", "m"]), ReplayClass::Never);
        assert!(Command::new(["GET", "k"]).is_idempotent());
        assert!(!Command::new(["DEL", "k"]).is_idempotent());
    }

    #[test]
    fn commands_that_change_the_connection_are_named() {
        for words in [
            &["SELECT", "3"][..],
            &["auth", "pw"],
            &["HELLO", "3"],
            &["CLIENT", "SETNAME", "x"],
            &["MULTI"],
            &["WATCH", "k"],
            &["SUBSCRIBE", "c"],
            &["QUIT"],
            &["MONITOR"],
        ] {
            assert!(Command::new(words.iter().copied()).state_change().is_some(), "{words:?}");
        }
        for words in [&["GET", "k"][..], &["CLIENT", "INFO"], &["SET", "k", "v"]] {
            assert_eq!(Command::new(words.iter().copied()).state_change(), None, "{words:?}");
        }
    }
}
