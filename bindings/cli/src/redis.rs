//! `pipelining redis`: commands from stdin, pipelined to one Redis server,
//! one JSON line per command in order.

use crate::flags::{self, ClientFlags};
use crate::{exit, json};
use bytes::Bytes;
use clap::Args;
use pipelining_tokio::Idempotency;
use pipelining_tokio::redis::{Command, RedisClient, RedisOptions, Value};
use std::fmt;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::ops::Range;
use std::process::ExitCode;

/// `pipelining redis`'s flags.
#[derive(Args)]
pub(crate) struct RedisArgs {
    /// The server, HOST:PORT, with nothing set up on its connections.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:6379")]
    host: String,
    /// The server and what every connection sets up first:
    /// redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB][?protocol=2|3]
    /// (instead of --host).
    #[arg(long, value_name = "URL", conflicts_with = "host")]
    url: Option<String>,
    /// Commands in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = flags::depth())]
    depth: usize,
    /// Connections to the server.
    #[arg(long, default_value_t = 1, value_parser = flags::connections(64))]
    connections: usize,
    /// Tries per command (only idempotent commands are ever resent).
    #[arg(long, default_value_t = 3, value_parser = flags::max_tries())]
    max_tries: u32,
    /// Connect and stall timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = flags::parse_seconds)]
    timeout: Option<f64>,
    /// Accepted for older scripts: every command is pipelined, INCR and
    /// LPUSH included (a Redis server runs a connection's commands in
    /// order); a lost one is still never resent.
    #[arg(long, hide = true)]
    pipeline_writes: bool,
    /// One JSON object per command on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `pipelining redis`: all of stdin is read and parsed before any
/// command is sent.
pub(crate) async fn run(args: RedisArgs) -> ExitCode {
    let options = match server_options(&args) {
        Ok(options) => options,
        Err(message) => return exit::usage_error(message),
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        return exit::usage_error(format!("cannot read stdin: {e}"));
    }
    let commands = match parse_commands(Bytes::from(input)) {
        Ok(commands) => commands,
        Err(e) => return exit::usage_error(e),
    };
    let flags = ClientFlags {
        depth: args.depth,
        connections: args.connections,
        max_tries: Some(args.max_tries),
        timeout: args.timeout,
    };
    // `--pipeline-writes` changes nothing any more: the Redis client
    // pipelines every command.
    let _ = args.pipeline_writes;
    let client = match RedisClient::with_options(options, flags.builder()) {
        Ok(client) => client,
        Err(e) => return exit::usage_error(e),
    };
    let window = 4 * args.depth * args.connections;
    exit::after_run(send_all(&client, commands, window, args.json).await)
}

/// The server and its connections' setup, from `--url` or `--host`.
fn server_options(args: &RedisArgs) -> Result<RedisOptions, String> {
    if let Some(url) = &args.url {
        // The message names the URL with its password hidden.
        return RedisOptions::from_url(url).map_err(|e| format!("--url: {}", e.message()));
    }
    let Some((host, port)) = args.host.rsplit_once(':') else {
        return Err(format!("--host {:?}: expected HOST:PORT", args.host));
    };
    let Ok(port) = port.parse::<u16>() else {
        return Err(format!("--host {:?}: bad port", args.host));
    };
    Ok(RedisOptions::new(host.trim_start_matches('[').trim_end_matches(']'), port))
}

/// One command of the input: a non-blank line.
#[derive(Debug, PartialEq, Eq)]
struct CommandLine {
    /// The line, trimmed, as the output echoes it: a slice of the input.
    text: Bytes,
    /// The command's name, then its arguments: slices of the input, except
    /// quoted arguments with escapes, which are decoded.
    args: Vec<Bytes>,
}

/// Why the input cannot be sent: a usage error.
#[derive(Debug, PartialEq, Eq)]
enum InputError {
    /// The input is not UTF-8.
    NotUtf8,
    /// A line cannot be split into arguments.
    Line {
        /// 1-based.
        number: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The words of `std::io::Read::read_to_string`'s error.
            InputError::NotUtf8 => f.write_str("cannot read stdin: stream did not contain valid UTF-8"),
            InputError::Line { number, reason } => write!(f, "line {number}: {reason}"),
        }
    }
}

/// Parses the whole input: one command per non-blank line, split into
/// arguments as redis-cli does (see [`next_argument`]).
///
/// Nothing is copied per character: the text and every plain or quoted
/// argument are slices of `input`; only a quoted argument holding an escape
/// gets its own buffer, sized once. A command costs one allocation (its
/// argument list, sized by a first pass over the line) plus one per escaped
/// argument; the input, one more (the list of commands).
fn parse_commands(input: Bytes) -> Result<Vec<CommandLine>, InputError> {
    let text = std::str::from_utf8(&input).map_err(|_| InputError::NotUtf8)?;
    // Sized by a first pass, so the list is allocated once.
    let mut commands = Vec::with_capacity(text.split('\n').filter(|raw| !raw.trim().is_empty()).count());
    let mut line_start = 0;
    for (index, raw) in text.split('\n').enumerate() {
        let offset = line_start;
        line_start += raw.len() + 1;
        // `trim` also drops the `\r` of a CRLF line ending.
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let start = offset + (raw.len() - raw.trim_start().len());
        let slice = |range: Range<usize>| input.slice(start + range.start..start + range.end);
        let args = split_arguments(line, slice).map_err(|reason| InputError::Line { number: index + 1, reason })?;
        commands.push(CommandLine { text: slice(0..line.len()), args });
    }
    Ok(commands)
}

/// Splits one line into its arguments; `slice` turns a byte range of the
/// line into a shared slice of the input.
fn split_arguments(line: &str, slice: impl Fn(Range<usize>) -> Bytes) -> Result<Vec<Bytes>, String> {
    // Most lines are plain ASCII words: split them in one pass over the
    // bytes, without the quoting and Unicode-whitespace rules.
    if line.bytes().all(|b| b.is_ascii() && b != b'"' && b != 0x0b) {
        let bytes = line.as_bytes();
        let mut args = Vec::with_capacity(bytes.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty()).count());
        let mut at = 0;
        while at < bytes.len() {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if at > start {
                args.push(slice(start..at));
            }
        }
        return Ok(args);
    }
    // First pass: validate and count, so the list is allocated once.
    let mut count = 0;
    let mut at = 0;
    while let Some(found) = next_argument(line, at)? {
        count += 1;
        at = found.next;
    }
    let mut args = Vec::with_capacity(count);
    let mut at = 0;
    while let Some(found) = next_argument(line, at)? {
        args.push(match found.escaped_len {
            // Exactly the value's length: `Bytes` takes the buffer over as
            // it is, with no second allocation.
            Some(len) => {
                let mut value = Vec::with_capacity(len);
                read_quoted(&line[found.content.start..], Some(&mut value))?;
                Bytes::from(value)
            }
            None => slice(found.content),
        });
        at = found.next;
    }
    Ok(args)
}

/// An argument found in a line.
struct Found {
    /// Its bytes in the line: the whole word, or what lies between its
    /// quotes.
    content: Range<usize>,
    /// The length of its value when it is quoted with an escape inside, so
    /// its value must be decoded rather than sliced.
    escaped_len: Option<usize>,
    /// Where the search for the next argument starts.
    next: usize,
}

/// The next argument at or after byte `from` of `line`, as redis-cli splits
/// them: whitespace separates, double quotes group, and inside quotes `\"`,
/// `\\`, `\n`, `\r`, `\t` and `\xHH` escape (any other escaped character
/// stands for itself). A quote inside an unquoted word is an ordinary
/// character; a closing quote must be followed by whitespace or the end.
fn next_argument(line: &str, from: usize) -> Result<Option<Found>, String> {
    let rest = &line[from..];
    let word = rest.trim_start();
    if word.is_empty() {
        return Ok(None);
    }
    let start = from + (rest.len() - word.len());
    if let Some(quoted) = word.strip_prefix('"') {
        let Quoted { len, escaped_len } = read_quoted(quoted, None)?;
        let content = start + 1..start + 1 + len;
        let next = content.end + 1;
        if line[next..].chars().next().is_some_and(|c| !c.is_whitespace()) {
            return Err("a closing quote must be followed by a space".into());
        }
        Ok(Some(Found { content, escaped_len, next }))
    } else {
        let len = word.find(char::is_whitespace).unwrap_or(word.len());
        Ok(Some(Found { content: start..start + len, escaped_len: None, next: start + len }))
    }
}

/// What lies between a pair of quotes.
struct Quoted {
    /// Its length in the line, in bytes.
    len: usize,
    /// The length of its value, when an escape makes the value differ from
    /// the text.
    escaped_len: Option<usize>,
}

/// Reads a quoted argument up to its closing quote (`quoted` starts just
/// after the opening one). With `value`, the argument's value is appended
/// to it.
fn read_quoted(quoted: &str, mut value: Option<&mut Vec<u8>>) -> Result<Quoted, String> {
    let mut chars = quoted.char_indices();
    let mut escaped = false;
    let mut value_len = 0;
    let mut emit = |bytes: &[u8]| {
        value_len += bytes.len();
        if let Some(out) = value.as_deref_mut() {
            out.extend_from_slice(bytes);
        }
    };
    loop {
        let Some((at, c)) = chars.next() else { return Err("unterminated quote".into()) };
        match c {
            '"' => return Ok(Quoted { len: at, escaped_len: escaped.then_some(value_len) }),
            '\\' => {
                escaped = true;
                let byte = match chars.next() {
                    None => return Err("unterminated escape".into()),
                    Some((_, 'n')) => b'\n',
                    Some((_, 'r')) => b'\r',
                    Some((_, 't')) => b'\t',
                    Some((x, 'x')) => {
                        // The next two characters, whatever they are, as
                        // redis-cli reads them.
                        let digits = x + 1;
                        let mut end = digits;
                        for (i, d) in chars.by_ref().take(2) {
                            end = i + d.len_utf8();
                        }
                        let hex = &quoted[digits..end];
                        u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape \\x{hex}"))?
                    }
                    Some((_, other)) => {
                        emit(other.encode_utf8(&mut [0; 4]).as_bytes());
                        continue;
                    }
                };
                emit(&[byte]);
            }
            other => emit(other.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

/// A reply as JSON: strings for strings, numbers, `null`, arrays, objects
/// for maps with string keys, and `{"error": …}` for error replies.
#[cfg(test)]
fn value_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends a reply as JSON, straight into `out`.
fn write_value(out: &mut String, value: &Value) {
    let text = |out: &mut String, b: &Bytes| match std::str::from_utf8(b) {
        Ok(s) => json::push_string(out, s),
        Err(_) => json::push_string(out, &String::from_utf8_lossy(b)),
    };
    match value {
        Value::Simple(s) | Value::Bulk(s) | Value::BigNumber(s) => text(out, s),
        Value::Verbatim { text: t, .. } => text(out, t),
        Value::Error(e) | Value::BulkError(e) => {
            json::Line::new(out).with("error", |out| text(out, e)).end();
        }
        Value::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Double(d) if d.is_finite() => {
            let _ = write!(out, "{d}");
        }
        Value::Double(d) => json::push_string(out, &d.to_string()),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Map(pairs) => {
            if pairs.iter().all(|(k, _)| matches!(k, Value::Simple(_) | Value::Bulk(_))) {
                let mut object = json::Line::new(out);
                for (k, v) in pairs {
                    let key = match k {
                        Value::Simple(s) | Value::Bulk(s) => String::from_utf8_lossy(s),
                        _ => std::borrow::Cow::Borrowed(""),
                    };
                    object.with(&key, |out| write_value(out, v));
                }
                object.end();
            } else {
                out.push('[');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('[');
                    write_value(out, k);
                    out.push(',');
                    write_value(out, v);
                    out.push(']');
                }
                out.push(']');
            }
        }
    }
}

/// Appends the JSON line of one command to `out`.
fn json_line(out: &mut String, command: &str, outcome: &Result<(Value, u32), pipelining_tokio::Error>) {
    let mut object = json::Line::new(out);
    object.string("command", command);
    match outcome {
        Ok((value, attempts)) => object
            .with("reply", |out| write_value(out, value))
            .number("attempts", u64::from(*attempts))
            .raw("error", "null")
            .raw("error_kind", "null"),
        Err(e) => object
            .raw("reply", "null")
            .number("attempts", u64::from(e.attempts()))
            .string("error", e.message())
            .string("error_kind", e.kind().as_str()),
    };
    object.end();
}

/// Sends every command, in order, and prints one line per command. At most
/// `window` commands are queued at once: enough to keep every connection's
/// pipeline full, without holding thousands of pending requests. Returns
/// whether every command got a reply.
async fn send_all(
    client: &RedisClient,
    commands: Vec<CommandLine>,
    window: usize,
    json_out: bool,
) -> std::io::Result<bool> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    // One line's text, reused for every line.
    let mut text_out = String::new();
    let mut pending = std::collections::VecDeque::with_capacity(window);
    let mut commands = commands.into_iter();
    loop {
        while pending.len() < window.max(1) {
            let Some(CommandLine { text, args }) = commands.next() else { break };
            // The parsed list becomes the command: no copy.
            pending.push_back((text, client.command(Command { args }, Idempotency::ByMethod)));
        }
        let Some((text, future)) = pending.pop_front() else { break };
        // The input was checked to be UTF-8: borrowed, not copied.
        let line = String::from_utf8_lossy(&text);
        let outcome = future.await.map(|reply| (reply.response, reply.attempts));
        all_ok &= outcome.is_ok();
        text_out.clear();
        match (&outcome, json_out) {
            (_, true) => json_line(&mut text_out, &line, &outcome),
            (Ok((value, _)), false) => {
                text_out.push_str(&line);
                text_out.push_str(" → ");
                write_value(&mut text_out, value);
            }
            (Err(e), false) => {
                let _ = write!(text_out, "{line} → ERROR {}: {}", e.kind(), e.message());
            }
        }
        text_out.push('\n');
        out.write_all(text_out.as_bytes())?;
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

    /// Parses `input` and returns each command's arguments.
    fn args_of(input: &str) -> Result<Vec<Vec<Bytes>>, InputError> {
        parse_commands(Bytes::copy_from_slice(input.as_bytes())).map(|c| c.into_iter().map(|c| c.args).collect())
    }

    fn line_error(number: usize, reason: &str) -> InputError {
        InputError::Line { number, reason: reason.to_owned() }
    }

    #[test]
    fn words_split_like_redis_cli() {
        let words = args_of(r#"SET "a key" "line\nbreak \x41" plain"#).unwrap();
        assert_eq!(words, [vec![Bytes::from("SET"), "a key".into(), "line\nbreak A".into(), "plain".into()]]);
        assert_eq!(args_of(r#"GET "open"#), Err(line_error(1, "unterminated quote")));
        assert_eq!(args_of("   ").unwrap(), Vec::<Vec<Bytes>>::new());
    }

    #[test]
    fn input_lines_become_commands_with_their_quoted_arguments() {
        let input = concat!(
            "  SET k v  \r\n",
            "\n",
            "\t\n",
            "SET \"\" \"a b\"\tx\u{a0}y\n",
            r#"SET "esc \" \\ \q \t \r \x7e \xff" a"b"#,
            "\n",
            "ECHO \"héllo wörld\" \"\\xc3\\xa9\"",
        );
        let commands = parse_commands(Bytes::copy_from_slice(input.as_bytes())).unwrap();
        let texts: Vec<&[u8]> = commands.iter().map(|c| &c.text[..]).collect();
        assert_eq!(
            texts,
            [
                &b"SET k v"[..],
                "SET \"\" \"a b\"\tx\u{a0}y".as_bytes(),
                br#"SET "esc \" \\ \q \t \r \x7e \xff" a"b"#,
                "ECHO \"héllo wörld\" \"\\xc3\\xa9\"".as_bytes(),
            ]
        );
        let args: Vec<Vec<&[u8]>> = commands.iter().map(|c| c.args.iter().map(|a| &a[..]).collect()).collect();
        assert_eq!(
            args,
            [
                vec![&b"SET"[..], b"k", b"v"],
                // An empty quoted argument; a tab separates; so does U+00A0, as
                // in redis-cli's (and the old parser's) notion of whitespace.
                vec![&b"SET"[..], b"", b"a b", b"x", b"y"],
                // `\q` is `q`; `\xff` is one byte; a quote inside a word is a
                // character.
                vec![&b"SET"[..], b"esc \" \\ q \t \r ~ \xff", b"a\"b"],
                vec![&b"ECHO"[..], "héllo wörld".as_bytes(), "é".as_bytes()],
            ]
        );
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        for (input, number, reason) in [
            ("GET \"open\n", 1, "unterminated quote"),
            ("SET a b\n\nGET \"x\"y\n", 3, "a closing quote must be followed by a space"),
            ("GET \"\\x4\"\n", 1, "bad escape \\x4\""),
            ("GET \"\\xzz\"\n", 1, "bad escape \\xzz"),
            ("GET \"\\xé1\"\n", 1, "bad escape \\xé1"),
            ("GET \"abc\\", 1, "unterminated escape"),
            ("PING\r\nGET \"a\\x4", 2, "unterminated quote"),
        ] {
            assert_eq!(args_of(input), Err(line_error(number, reason)), "{input:?}");
        }
        assert_eq!(parse_commands(Bytes::from_static(b"GET \xff\n")), Err(InputError::NotUtf8));
        assert_eq!(
            InputError::NotUtf8.to_string(),
            "cannot read stdin: stream did not contain valid UTF-8",
            "the message std's read_to_string gave before"
        );
        assert_eq!(line_error(3, "unterminated quote").to_string(), "line 3: unterminated quote");
    }

    /// The parser this one replaced (one allocation per character), kept as
    /// the reference: the new one must split every line the same way.
    fn reference_split(line: &str) -> Result<Vec<Bytes>, String> {
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

    #[test]
    fn every_line_splits_as_the_reference_parser_splits_it() {
        // Lines drawn from the characters that matter: quotes, escapes, hex
        // digits and signs, ASCII and Unicode whitespace, multi-byte letters.
        const ALPHABET: [char; 16] =
            ['a', 'Z', ' ', ' ', '\t', '\u{a0}', '\u{2003}', '"', '"', '\\', 'x', 'n', '4', 'f', '+', 'é'];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut ok, mut failed) = (0, 0);
        for _ in 0..20_000 {
            let len = (next() % 14) as usize;
            let line: String = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
            let expected = match reference_split(line.trim()) {
                Ok(words) if words.is_empty() => Ok(vec![]),
                Ok(words) => {
                    ok += 1;
                    Ok(vec![words])
                }
                Err(reason) => {
                    failed += 1;
                    Err(line_error(1, &reason))
                }
            };
            assert_eq!(args_of(&line), expected, "{line:?}");
        }
        // Both outcomes were exercised, not just one.
        assert!(ok > 1000 && failed > 1000, "{ok} lines split, {failed} refused");
    }

    #[test]
    fn plain_and_quoted_arguments_are_slices_of_the_input() {
        let input = Bytes::from("SET \"a key\" value\nSET \"esc\\n\" v\n");
        let commands = parse_commands(input.clone()).unwrap();
        let inside = |b: &Bytes| input.as_ptr_range().contains(&b.as_ptr());
        assert!(commands.iter().all(|c| inside(&c.text)));
        let shared: Vec<Vec<bool>> = commands.iter().map(|c| c.args.iter().map(inside).collect()).collect();
        // Only the argument with an escape has its own buffer.
        assert_eq!(shared, [vec![true, true, true], vec![true, false, true]]);
    }

    /// Parses `input` in rounds and returns the fewest allocations
    /// (reallocations included) a round made, and the commands parsed.
    ///
    /// The counters are process-wide and the other tests of this binary
    /// allocate while one round counts; they can only add to a round's
    /// count. So rounds go on until one comes in at or under `bound`, or for
    /// 10 s: a parser that allocates more than `bound` fails whatever the
    /// timing.
    fn fewest_allocations(input: &Bytes, bound: usize) -> (usize, usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut fewest = usize::MAX;
        let mut commands = 0;
        while fewest > bound && std::time::Instant::now() < deadline {
            let input = input.clone();
            let region = stats_alloc::Region::new(crate::ALLOCATOR);
            let parsed = parse_commands(input).expect("valid input");
            let stats = region.change();
            commands = parsed.len();
            fewest = fewest.min(stats.allocations + stats.reallocations);
        }
        (fewest, commands)
    }

    #[test]
    fn parsing_allocates_per_command_not_per_character_or_argument() {
        const COMMANDS: usize = 200;
        let short: String = (0..COMMANDS).map(|i| format!("SET key{i} value{i}\n")).collect();
        let long: String = (0..COMMANDS)
            .map(|i| {
                let pairs: Vec<String> = (0..40).map(|j| format!("k{i}_{j} \"a quoted value, number {j}\"")).collect();
                format!("MSET {}\n", pairs.join(" "))
            })
            .collect();
        let escaped: String =
            (0..COMMANDS).map(|i| format!("SET \"key\\t{i}\" \"line\\nbreak \\x41\" plain\n")).collect();
        // Per command: its argument list, plus one buffer per escaped
        // argument. Per input: the list of commands, and the input's shared
        // handle (made on its first slice).
        for (name, input, per_command) in [("short", short, 1), ("81 arguments", long, 1), ("escaped", escaped, 3)] {
            let bound = COMMANDS * per_command + 2;
            let (allocations, commands) = fewest_allocations(&Bytes::from(input), bound);
            assert_eq!(commands, COMMANDS);
            assert!(allocations <= bound, "{name}: {allocations} allocations for {COMMANDS} commands (bound {bound})");
            eprintln!("{name}: {allocations} allocations for {COMMANDS} commands");
        }
    }

    #[test]
    fn replies_become_json() {
        let v = Value::Array(vec![Value::Integer(1), Value::Null, Value::Error(Bytes::from("ERR x"))]);
        assert_eq!(value_json(&v), r#"[1,null,{"error":"ERR x"}]"#);
        let m = Value::Map(vec![(Value::Simple(Bytes::from("k")), Value::Boolean(true))]);
        assert_eq!(value_json(&m), r#"{"k":true}"#);
    }
}
