//! A fault-injecting TCP proxy: it listens on loopback ports, one origin
//! each, and forwards every connection to one upstream server — breaking
//! some on purpose.
//!
//! Each accepted connection gets a [`Plan`] drawn from the seed, the
//! listener and the connection's number on that listener (so the plans
//! replay with the seed; which client connection gets which plan depends
//! on the order the client connects in); the first connections of the
//! first listeners are a tour of every fault ([`Plan::for_connection`]).
//! A plan has a **shaping**, which
//! changes timing but never bytes:
//!
//! - `Delay`: every piece forwarded, either way, waits 0..=`max_ms` ms;
//! - `Split`: `len` bytes of one direction's stream, from offset `from`,
//!   are written one byte per write (`TCP_NODELAY`: one segment each);
//!
//! and an **ending**, at a byte offset of the request stream (`Up`, client
//! to server) or of the response stream (`Down`):
//!
//! - `Reset`: exactly `at` bytes are forwarded, then both sockets close
//!   with `SO_LINGER` 0: the client and the server get a reset;
//! - `Fin`: `Down`, the client gets a FIN after `at` response bytes and the
//!   server connection closes; `Up`, the server gets a FIN after `at`
//!   request bytes (a half-close: it answers what it read whole, then
//!   closes, and that close reaches the client) while the client's later
//!   bytes are read and dropped;
//! - `Stall`: after `at` bytes nothing more is forwarded either way; the
//!   client's bytes are read and dropped until it closes;
//! - `Natural`: none of these; the connection ends when an end closes it.
//!
//! The proxy records every connection ([`ConnRecord`]): its plan, whether
//! the ending fired, what it forwarded, and the request-target of every
//! request it read from the client (parsed with the shared test peer's
//! parser), including one the connection ended inside. It never changes a
//! byte, so a body that arrives whole is the server's.
//!
//! It runs on its own thread and current-thread runtime, stops when dropped
//! or [`stop`](ChaosProxy::stop)ped, and by itself after its lifetime.

use crate::seeded_rng::SeededRng;
use pipelining_peer::RequestParser;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};

/// A direction of a proxied connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server: the requests.
    Up,
    /// Server to client: the responses.
    Down,
}

/// How a connection's timing is changed (its bytes never are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shaping {
    /// Forwarded as read.
    Clean,
    /// Every piece forwarded waits 0..=`max_ms` milliseconds.
    Delay {
        /// The longest wait.
        max_ms: u64,
    },
    /// Bytes `from..from + len` of one direction go one byte per write.
    Split {
        /// Which stream.
        direction: Direction,
        /// The first byte split off.
        from: u64,
        /// How many.
        len: u64,
    },
}

/// How a connection is made to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Not by the proxy.
    Natural,
    /// Both ends reset after `at` bytes of `direction`.
    Reset {
        /// Which stream's offset.
        direction: Direction,
        /// Bytes forwarded first.
        at: u64,
    },
    /// A FIN after `at` bytes of `direction` (see the module docs).
    Fin {
        /// Which stream's offset.
        direction: Direction,
        /// Bytes forwarded first.
        at: u64,
    },
    /// Nothing more forwarded after `at` bytes of `direction`.
    Stall {
        /// Which stream's offset.
        direction: Direction,
        /// Bytes forwarded first.
        at: u64,
    },
}

impl Ending {
    /// A name for counts: `natural`, `reset_up`, `fin_down`, `stall_up`…
    pub fn name(&self) -> &'static str {
        match self {
            Ending::Natural => "natural",
            Ending::Reset { direction: Direction::Up, .. } => "reset_up",
            Ending::Reset { direction: Direction::Down, .. } => "reset_down",
            Ending::Fin { direction: Direction::Up, .. } => "fin_up",
            Ending::Fin { direction: Direction::Down, .. } => "fin_down",
            Ending::Stall { direction: Direction::Up, .. } => "stall_up",
            Ending::Stall { direction: Direction::Down, .. } => "stall_down",
        }
    }

    /// Its direction and offset, unless it is natural.
    fn offset(&self) -> Option<(Direction, u64)> {
        match *self {
            Ending::Natural => None,
            Ending::Reset { direction, at } | Ending::Fin { direction, at } | Ending::Stall { direction, at } => {
                Some((direction, at))
            }
        }
    }
}

impl Shaping {
    /// A name for counts: `clean`, `delay`, `split_up`, `split_down`.
    pub fn name(&self) -> &'static str {
        match self {
            Shaping::Clean => "clean",
            Shaping::Delay { .. } => "delay",
            Shaping::Split { direction: Direction::Up, .. } => "split_up",
            Shaping::Split { direction: Direction::Down, .. } => "split_down",
        }
    }
}

/// What the proxy does to one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Its timing.
    pub shaping: Shaping,
    /// Its end.
    pub ending: Ending,
}

/// How often each fault is planned, per thousand connections, and how
/// large its numbers get.
#[derive(Clone, Copy, Debug)]
pub struct FaultMix {
    /// Connections delayed.
    pub delay: u64,
    /// Connections with a stretch split into 1-byte writes.
    pub split: u64,
    /// Connections reset.
    pub reset: u64,
    /// Connections given a FIN.
    pub fin: u64,
    /// Connections stalled.
    pub stall: u64,
    /// Of the endings, how many per thousand are at an offset of the
    /// request stream rather than the response stream.
    pub up: u64,
    /// The longest delay of one piece.
    pub max_delay_ms: u64,
    /// The longest stretch split into 1-byte writes.
    pub max_split: u64,
    /// The largest ending offset in the response stream (log-uniform
    /// below it, so offsets inside the first response head are common).
    pub max_down_offset: u64,
    /// The largest ending offset in the request stream.
    pub max_up_offset: u64,
}

impl Default for FaultMix {
    fn default() -> Self {
        FaultMix {
            delay: 150,
            split: 150,
            reset: 150,
            fin: 200,
            stall: 80,
            up: 300,
            max_delay_ms: 10,
            max_split: 4096,
            max_down_offset: 4 << 20,
            max_up_offset: 64 << 10,
        }
    }
}

/// The endings and shapings of the tour (see [`Plan::for_connection`]).
const TOUR_ENDINGS: [fn(u64) -> Ending; 6] = [
    |at| Ending::Reset { direction: Direction::Up, at },
    |at| Ending::Reset { direction: Direction::Down, at },
    |at| Ending::Fin { direction: Direction::Up, at },
    |at| Ending::Fin { direction: Direction::Down, at },
    |at| Ending::Stall { direction: Direction::Up, at },
    |at| Ending::Stall { direction: Direction::Down, at },
];
/// Connections on each listener that may be on the tour.
const TOUR_SERIALS: u64 = 2;
/// The tour's largest ending offset: inside the first request or the
/// first response head, which every connection that carries a request
/// reaches.
const TOUR_MAX_OFFSET: u64 = 64;

impl Plan {
    /// The plan of connection `serial` of listener `listener`.
    ///
    /// The first [`TOUR_SERIALS`] connections of the first listeners make
    /// a **tour**: each fault is planned on at least two of them, at a
    /// small offset, so that every kind of fault happens even in a short
    /// soak (drawn at the mix's odds alone, a run of a hundred connections
    /// can miss one). Every other connection's plan is drawn from `rng`.
    pub fn for_connection(mix: &FaultMix, listener: usize, serial: u64, rng: &mut SeededRng) -> Plan {
        let key = listener as u64 * TOUR_SERIALS + serial;
        if serial >= TOUR_SERIALS || key >= 2 * TOUR_ENDINGS.len() as u64 {
            return Plan::draw(mix, rng);
        }
        let ending = TOUR_ENDINGS[(key % TOUR_ENDINGS.len() as u64) as usize](rng.log_uniform(TOUR_MAX_OFFSET));
        let direction = if key % 2 == 0 { Direction::Up } else { Direction::Down };
        let shaping = match key % 3 {
            0 => Shaping::Delay { max_ms: 1 + rng.below(mix.max_delay_ms) },
            _ => {
                Shaping::Split { direction, from: rng.log_uniform(TOUR_MAX_OFFSET), len: 1 + rng.below(mix.max_split) }
            }
        };
        Plan { shaping, ending }
    }

    /// A plan drawn from `rng` with `mix`'s odds.
    pub fn draw(mix: &FaultMix, rng: &mut SeededRng) -> Plan {
        let shaping = {
            let roll = rng.below(1000);
            if roll < mix.delay {
                Shaping::Delay { max_ms: 1 + rng.below(mix.max_delay_ms) }
            } else if roll < mix.delay + mix.split {
                let direction = if rng.chance(500) { Direction::Up } else { Direction::Down };
                Shaping::Split { direction, from: rng.log_uniform(64 << 10), len: 1 + rng.below(mix.max_split) }
            } else {
                Shaping::Clean
            }
        };
        let ending = {
            let roll = rng.below(1000);
            let direction = if rng.chance(mix.up) { Direction::Up } else { Direction::Down };
            let max = if direction == Direction::Up { mix.max_up_offset } else { mix.max_down_offset };
            let at = rng.log_uniform(max);
            if roll < mix.reset {
                Ending::Reset { direction, at }
            } else if roll < mix.reset + mix.fin {
                Ending::Fin { direction, at }
            } else if roll < mix.reset + mix.fin + mix.stall {
                Ending::Stall { direction, at }
            } else {
                Ending::Natural
            }
        };
        Plan { shaping, ending }
    }
}

/// How to run the proxy.
#[derive(Clone, Copy, Debug)]
pub struct ChaosConfig {
    /// The seed of every plan.
    pub seed: u64,
    /// Listening ports (origins).
    pub listeners: usize,
    /// Where every connection goes.
    pub upstream: SocketAddr,
    /// The faults' odds.
    pub mix: FaultMix,
    /// It stops by itself after this.
    pub lifetime: Duration,
    /// After a FIN to the client or a stall, how long the proxy waits for
    /// the client to close before it gives up (and records that it did not).
    pub close_wait: Duration,
}

/// What happened on one connection.
#[derive(Clone, Debug)]
pub struct ConnRecord {
    /// Which listener accepted it.
    pub listener: usize,
    /// Its number among that listener's connections.
    pub serial: u64,
    /// The client's port.
    pub client_port: u16,
    /// What the proxy planned for it.
    pub plan: Plan,
    /// The ending's offset was reached and the ending done.
    pub fired: bool,
    /// Bytes forwarded up (requests) and down (responses).
    pub forwarded: [u64; 2],
    /// Bytes that were delayed or split.
    pub shaped: u64,
    /// Request-targets of the requests read from the client, whole.
    pub targets: Vec<String>,
    /// The target of a request the client had begun writing when the
    /// connection ended.
    pub partial: Option<String>,
    /// The proxy could not connect to the upstream server.
    pub upstream_failed: bool,
    /// After a FIN to the client or a stall: how long the client took to
    /// close its end.
    pub client_closed_after: Option<Duration>,
    /// After a FIN to the client or a stall, the client had not closed
    /// within the close wait.
    pub client_kept_open: bool,
}

impl ConnRecord {
    /// Every target the client wrote here, whole or begun.
    pub fn all_targets(&self) -> impl Iterator<Item = &str> {
        self.targets.iter().chain(&self.partial).map(String::as_str)
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct ChaosProxy {
    ports: Vec<u16>,
    records: Arc<Mutex<Vec<ConnRecord>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Salt of the plans' seeds, so a plan never shares a stream with the
/// soak's request schedule drawn from the same seed.
const PLAN_SALT: u64 = 0x6368_616f_735f_7078;
/// Bytes read at a time.
const PIECE: usize = 16 * 1024;

impl ChaosProxy {
    /// Binds `config.listeners` ports on `127.0.0.1` and starts proxying.
    pub fn start(config: ChaosConfig) -> Self {
        let listeners: Vec<std::net::TcpListener> = (0..config.listeners)
            .map(|_| {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
                listener.set_nonblocking(true).expect("nonblocking listener");
                listener
            })
            .collect();
        let ports = listeners.iter().map(|l| l.local_addr().expect("local address").port()).collect();
        let records = Arc::new(Mutex::new(Vec::new()));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = records.clone();
        let thread = std::thread::Builder::new()
            .name("chaos-proxy".into())
            .spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("proxy runtime");
                runtime.block_on(async move {
                    for (index, listener) in listeners.into_iter().enumerate() {
                        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                        tokio::spawn(accept_loop(listener, index, config, shared.clone()));
                    }
                    tokio::select! {
                        _ = stop_rx => {}
                        _ = tokio::time::sleep(config.lifetime) => {}
                    }
                });
                // Dropping the runtime drops every connection task: every
                // socket closes.
            })
            .expect("proxy thread");
        ChaosProxy { ports, records, stop: Some(stop_tx), thread: Some(thread) }
    }

    /// The listening ports, by listener.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// Every connection so far, in the order they were accepted.
    pub fn records(&self) -> Vec<ConnRecord> {
        lock(&self.records).clone()
    }

    /// Stops proxying: every connection closes. Returns once the proxy's
    /// thread has ended.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    index: usize,
    config: ChaosConfig,
    records: Arc<Mutex<Vec<ConnRecord>>>,
) {
    let mut serial = 0u64;
    loop {
        let Ok((client, peer)) = listener.accept().await else { continue };
        let mut rng = SeededRng::stream(config.seed ^ PLAN_SALT, (index as u64) << 32 | serial);
        let plan = Plan::for_connection(&config.mix, index, serial, &mut rng);
        let record = ConnRecord {
            listener: index,
            serial,
            client_port: peer.port(),
            plan,
            fired: false,
            forwarded: [0, 0],
            shaped: 0,
            targets: Vec::new(),
            partial: None,
            upstream_failed: false,
            client_closed_after: None,
            client_kept_open: false,
        };
        let recorder = {
            let mut all = lock(&records);
            all.push(record);
            Recorder { records: records.clone(), index: all.len() - 1 }
        };
        serial += 1;
        tokio::spawn(serve(client, config, plan, rng, recorder));
    }
}

/// Writes one connection's record.
struct Recorder {
    records: Arc<Mutex<Vec<ConnRecord>>>,
    index: usize,
}

impl Recorder {
    fn update(&self, change: impl FnOnce(&mut ConnRecord)) {
        change(&mut lock(&self.records)[self.index]);
    }

    /// Feeds bytes read from the client to `parser` and records the
    /// requests they complete and the one they begin.
    fn requests(&self, parser: &mut RequestParser, data: &[u8]) {
        let complete = parser.push(data);
        let partial = partial_target(parser.buffered());
        self.update(|r| {
            r.targets.extend(complete.into_iter().map(|request| request.target));
            r.partial = partial;
        });
    }
}

/// The target of a request whose head is cut short (what a
/// [`RequestParser`] holds), once its request line has the target and the
/// space after it.
pub fn partial_target(buffered: &[u8]) -> Option<String> {
    let mut words = buffered.splitn(3, |&b| b == b' ');
    let (_method, target) = (words.next()?, words.next()?);
    words.next()?;
    Some(String::from_utf8_lossy(target).into_owned())
}

async fn serve(mut client: TcpStream, config: ChaosConfig, plan: Plan, mut rng: SeededRng, recorder: Recorder) {
    let _ = client.set_nodelay(true);
    let connected = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(config.upstream)).await;
    let Ok(Ok(mut server)) = connected else {
        recorder.update(|r| r.upstream_failed = true);
        return;
    };
    let _ = server.set_nodelay(true);
    let mut parser = RequestParser::default();
    let mut up = Pump::new(Direction::Up, plan, SeededRng::new(rng.next_u64()));
    let mut down = Pump::new(Direction::Down, plan, SeededRng::new(rng.next_u64()));
    let ended = {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let up_run = up.run(&mut client_read, &mut server_write, Some((&mut parser, &recorder)));
        let down_run = down.run(&mut server_read, &mut client_write, None);
        tokio::pin!(up_run, down_run);
        let (mut up_done, mut down_done) = (false, false);
        loop {
            let end = tokio::select! {
                end = &mut up_run, if !up_done => { up_done = true; end }
                end = &mut down_run, if !down_done => { down_done = true; end }
            };
            match end {
                PumpEnd::Eof if !(up_done && down_done) => {}
                PumpEnd::Eof | PumpEnd::Broken => break false,
                PumpEnd::Ending => break true,
            }
        }
    };
    recorder.update(|r| {
        r.forwarded = [up.forwarded, down.forwarded];
        r.shaped = up.shaped + down.shaped;
        r.fired |= ended;
    });
    if !ended {
        return;
    }
    match plan.ending {
        Ending::Reset { .. } => {
            let _ = client.set_zero_linger();
            let _ = server.set_zero_linger();
        }
        Ending::Fin { .. } => {
            // Only a FIN to the client ends the pumps (a FIN up is done
            // inside the request pump, which goes on reading).
            let _ = client.shutdown().await;
            drop(server);
            wait_for_close(&mut client, &mut parser, &recorder, config.close_wait).await;
        }
        Ending::Stall { .. } => {
            // The server's end stays open, unread, until the client gives up.
            wait_for_close(&mut client, &mut parser, &recorder, config.close_wait).await;
        }
        Ending::Natural => {}
    }
}

/// Reads and drops what the client still writes until it closes, for at
/// most `limit`; records how long it took.
async fn wait_for_close(client: &mut TcpStream, parser: &mut RequestParser, recorder: &Recorder, limit: Duration) {
    let started = Instant::now();
    let mut buf = vec![0u8; PIECE];
    let closed = tokio::time::timeout(limit, async {
        loop {
            match client.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => recorder.requests(parser, &buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    recorder.update(|r| {
        if closed {
            r.client_closed_after = Some(started.elapsed());
        } else {
            r.client_kept_open = true;
        }
    });
}

/// Why a pump stopped.
enum PumpEnd {
    /// Its source closed; its destination was given a FIN.
    Eof,
    /// A read or write failed.
    Broken,
    /// The plan's ending fired in its direction and must now be done.
    Ending,
}

/// One direction of a connection.
struct Pump {
    direction: Direction,
    plan: Plan,
    rng: SeededRng,
    forwarded: u64,
    shaped: u64,
}

impl Pump {
    fn new(direction: Direction, plan: Plan, rng: SeededRng) -> Self {
        Pump { direction, plan, rng, forwarded: 0, shaped: 0 }
    }

    /// Forwards `from` to `to` until `from` closes or something breaks or
    /// the ending fires; the request pump records what it reads.
    async fn run(
        &mut self,
        from: &mut ReadHalf<'_>,
        to: &mut WriteHalf<'_>,
        mut record: Option<(&mut RequestParser, &Recorder)>,
    ) -> PumpEnd {
        let mut buf = vec![0u8; PIECE];
        let ending_at = self.plan.ending.offset().filter(|(d, _)| *d == self.direction).map(|(_, at)| at);
        // After a FIN up, the client's bytes are read and dropped.
        let mut dropping = false;
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) => {
                    if !dropping {
                        let _ = to.shutdown().await;
                    }
                    return PumpEnd::Eof;
                }
                Ok(n) => n,
                Err(_) => return PumpEnd::Broken,
            };
            if let Some((parser, recorder)) = record.as_mut() {
                recorder.requests(parser, &buf[..n]);
            }
            if dropping {
                continue;
            }
            let data = &buf[..n];
            if let Some(at) = ending_at {
                let room = (at - self.forwarded) as usize;
                if data.len() >= room {
                    if self.write(to, &data[..room]).await.is_err() {
                        return PumpEnd::Broken;
                    }
                    if let (Ending::Fin { .. }, Direction::Up) = (self.plan.ending, self.direction) {
                        if let Some((_, recorder)) = record.as_ref() {
                            recorder.update(|r| r.fired = true);
                        }
                        let _ = to.shutdown().await;
                        dropping = true;
                        continue;
                    }
                    return PumpEnd::Ending;
                }
            }
            if self.write(to, data).await.is_err() {
                return PumpEnd::Broken;
            }
        }
    }

    /// Writes `data` as the shaping says.
    async fn write(&mut self, to: &mut WriteHalf<'_>, data: &[u8]) -> std::io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let start = self.forwarded;
        match self.plan.shaping {
            Shaping::Delay { max_ms } => {
                let wait = self.rng.below(max_ms + 1);
                if wait > 0 {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    self.shaped += data.len() as u64;
                }
                to.write_all(data).await?;
            }
            Shaping::Split { direction, from, len } if direction == self.direction => {
                let end = start + data.len() as u64;
                let lo = (from.clamp(start, end) - start) as usize;
                let hi = ((from + len).clamp(start, end) - start) as usize;
                to.write_all(&data[..lo]).await?;
                for byte in &data[lo..hi] {
                    to.write_all(std::slice::from_ref(byte)).await?;
                }
                to.write_all(&data[hi..]).await?;
                self.shaped += (hi - lo) as u64;
            }
            _ => to.write_all(data).await?,
        }
        self.forwarded += data.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_replay_and_mix_every_fault() {
        let mix = FaultMix::default();
        let draw = |key| Plan::draw(&mix, &mut SeededRng::stream(5, key));
        assert_eq!(draw(9), draw(9));
        let plans: Vec<Plan> = (0..2000).map(draw).collect();
        for name in ["reset_up", "reset_down", "fin_up", "fin_down", "stall_up", "stall_down", "natural"] {
            assert!(plans.iter().any(|p| p.ending.name() == name), "no {name}");
        }
        for name in ["clean", "delay", "split_up", "split_down"] {
            assert!(plans.iter().any(|p| p.shaping.name() == name), "no {name}");
        }
    }

    #[test]
    fn the_tour_plans_every_fault_on_the_first_connections() {
        let mix = FaultMix::default();
        let plans: Vec<Plan> = (0..6)
            .flat_map(|listener| (0..TOUR_SERIALS).map(move |serial| (listener, serial)))
            .map(|(listener, serial)| Plan::for_connection(&mix, listener, serial, &mut SeededRng::new(3)))
            .collect();
        for name in ["reset_up", "reset_down", "fin_up", "fin_down", "stall_up", "stall_down"] {
            assert_eq!(plans.iter().filter(|p| p.ending.name() == name).count(), 2, "{name}");
        }
        for name in ["delay", "split_up", "split_down"] {
            assert!(plans.iter().any(|p| p.shaping.name() == name), "no {name}");
        }
        assert!(plans.iter().all(|p| p.ending.offset().is_some_and(|(_, at)| at <= TOUR_MAX_OFFSET)));
        // Past the tour, plans are drawn.
        let later = Plan::for_connection(&mix, 0, TOUR_SERIALS, &mut SeededRng::new(3));
        assert_eq!(later, Plan::draw(&mix, &mut SeededRng::new(3)));
    }

    #[test]
    fn a_partial_request_line_names_its_target() {
        assert_eq!(partial_target(b"GET /a?r=1 HT"), Some("/a?r=1".into()));
        assert_eq!(partial_target(b"GET /a?r=1"), None);
        assert_eq!(partial_target(b""), None);
    }
}
