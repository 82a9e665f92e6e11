//! redis-server started by a test (password, protocol and all), and a raw
//! connection to it of the test's own, for what the client under test must
//! not be trusted with: killing the client's connections, publishing,
//! reading back what the server holds.

use super::{TempDir, free_port, require_program};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A redis-server process on a free loopback port, killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    password: Option<String>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts redis-server with no persistence, requiring `password` when
    /// one is given (`requirepass`), and waits until it answers.
    pub fn start(password: Option<&str>) -> Self {
        let program = require_program("redis-server", "redis-server");
        let dir = TempDir::new("redis");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("redis.log")).expect("log file");
        let mut command = std::process::Command::new(program);
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--dir", dir.path().to_str().expect("UTF-8 path")]);
        if let Some(password) = password {
            command.args(["--requirepass", password]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start redis-server");
        let mut server = RedisServer { child, port, password: password.map(str::to_owned), dir };
        let deadline = Instant::now() + super::START_LIMIT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("redis-server exited ({status}):\n{}", server.log());
            }
            if let Ok(mut raw) = RawRedis::connect(port, server.password.as_deref()) {
                if raw.command(&["PING"]) == Reply::Simple("PONG".into()) {
                    return server;
                }
            }
            assert!(Instant::now() < deadline, "redis-server did not answer on {port}:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A raw connection of the test's own, authenticated.
    pub fn raw(&self) -> RawRedis {
        RawRedis::connect(self.port, self.password.as_deref()).expect("a raw connection to redis-server")
    }

    /// What it logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reply as the raw connection reads it (RESP2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+…`.
    Simple(String),
    /// `-…`.
    Error(String),
    /// `:…`.
    Integer(i64),
    /// `$…`; `None` for a null.
    Bulk(Option<Vec<u8>>),
    /// `*…`; `None` for a null.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The integer of an integer reply, or of a bulk string holding one
    /// (`GET counter`); 0 for a null.
    pub fn number(&self) -> i64 {
        match self {
            Reply::Integer(n) => *n,
            Reply::Bulk(None) => 0,
            Reply::Bulk(Some(text)) => String::from_utf8_lossy(text).parse().expect("a number"),
            other => panic!("not a number: {other:?}"),
        }
    }
}

/// A blocking RESP2 connection, one command at a time.
#[derive(Debug)]
pub struct RawRedis {
    reader: BufReader<TcpStream>,
}

impl RawRedis {
    /// Connects to `127.0.0.1:port`, authenticating with `password`.
    pub fn connect(port: u16, password: Option<&str>) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut raw = RawRedis { reader: BufReader::new(stream) };
        if let Some(password) = password {
            match raw.command(&["AUTH", password]) {
                Reply::Simple(_) => {}
                other => return Err(std::io::Error::other(format!("AUTH: {other:?}"))),
            }
        }
        Ok(raw)
    }

    /// Sends one command and reads its reply.
    pub fn command(&mut self, words: &[&str]) -> Reply {
        let mut out = format!("*{}\r\n", words.len()).into_bytes();
        for word in words {
            out.extend_from_slice(format!("${}\r\n{word}\r\n", word.len()).as_bytes());
        }
        self.reader.get_mut().write_all(&out).expect("write to redis-server");
        self.read_reply()
    }

    /// Reads one reply.
    pub fn read_reply(&mut self) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read from redis-server");
        let line = line.trim_end_matches("\r\n");
        let (kind, rest) = line.split_at(1.min(line.len()));
        match kind {
            "+" => Reply::Simple(rest.to_owned()),
            "-" => Reply::Error(rest.to_owned()),
            ":" => Reply::Integer(rest.parse().expect("an integer reply")),
            "$" => match rest.parse::<i64>().expect("a bulk length") {
                -1 => Reply::Bulk(None),
                n => {
                    let mut data = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut data).expect("a bulk string");
                    data.truncate(n as usize);
                    Reply::Bulk(Some(data))
                }
            },
            "*" => match rest.parse::<i64>().expect("an array length") {
                -1 => Reply::Array(None),
                n => Reply::Array(Some((0..n).map(|_| self.read_reply()).collect())),
            },
            _ => panic!("not a RESP2 reply: {line:?}"),
        }
    }
}
