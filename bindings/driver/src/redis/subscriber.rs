//! A Redis subscriber: pub/sub on a connection of its own, its messages as
//! a stream, every subscription restored after a lost connection with a
//! gap marker in the stream where messages may be missing.
//!
//! A task of its own does the work, so the caller's futures and stream
//! only wait on it: the `SUBSCRIBE` requests live in the task until they
//! are answered (dropping a request's future would cancel it), and the
//! task notices a lost connection even while nobody polls.

use super::RedisOptions;
use crate::Error;
use crate::config::{Builder, Glue};
use crate::message_client::{MessageClient, MessageFuture, Reply};
use crate::runtime::BoxFuture;
use bytes::Bytes;
use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use pipelining::resp::{Command, RespFactory, Value};
use pipelining::{ConnectionId, ErrorKind, Idempotency, Origin};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Messages the engine keeps for the subscriber's task before it stops
/// reading the connection (`DispatchConfig::unsolicited_buffer`).
const ENGINE_BUFFER: usize = 1024;
/// Events waiting for the caller to take them.
const STREAM_BUFFER: usize = 64;
/// The pause after a failed resubscription, doubled after each failure
/// in a row up to [`RETRY_MOST`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest pause between resubscription attempts.
const RETRY_MOST: Duration = Duration::from_secs(5);

/// A message published to a channel the subscriber listens to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern it matched, for a [`psubscribe`](Subscriber::psubscribe)
    /// subscription.
    pub pattern: Option<Bytes>,
    /// What was published.
    pub payload: Bytes,
}

/// What a [`Subscriber`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriberEvent {
    /// A message.
    Message(Message),
    /// The subscriber's connection was lost: messages published from then
    /// until every subscription is restored on a new connection are
    /// missed (Redis keeps none for an absent subscriber). Everything
    /// received on the lost connection came before this.
    Gap,
    /// Every subscription lost with the connection is restored: the gap
    /// announced by the last [`Gap`](Self::Gap) is closed. A resubscription
    /// that fails (the server is down, or refuses the connection's setup) is
    /// tried again after a pause, from 100 ms doubling up to 5 s, until this
    /// comes.
    Resubscribed,
}

/// A Redis pub/sub subscriber on a connection of its own, and the stream of
/// what it receives ([`SubscriberEvent`]).
///
/// It sets its connection up as a [`RedisClient`](super::RedisClient)
/// does (credentials, protocol, name), and sends only (un)subscribe
/// commands, one channel or pattern each. Messages come as RESP2 arrays or
/// RESP3 pushes alike. The connection has no idle timeout. When it is lost,
/// every subscription is sent again on a new one, and the stream yields
/// [`SubscriberEvent::Gap`] first, then [`SubscriberEvent::Resubscribed`]
/// once all are confirmed.
///
/// A caller that does not take the stream's events holds the messages back:
/// past 64 events waiting, and 1,024 messages in the engine, the
/// connection is not read until it catches up (Redis's own output-buffer
/// limit for pub/sub clients may then disconnect it: a gap).
///
/// ```no_run
/// # async fn example<G: pipelining_driver::Glue>(builder: pipelining_driver::Builder<G>) -> Result<(), pipelining_driver::Error> {
/// use futures_util::StreamExt;
/// use pipelining_driver::redis::{Subscriber, SubscriberEvent};
/// let mut subscriber = Subscriber::from_url("redis://:secret@127.0.0.1:6379", builder)?;
/// subscriber.subscribe("news").await?;
/// subscriber.psubscribe("alerts.*").await?;
/// while let Some(event) = subscriber.next().await {
///     match event {
///         SubscriberEvent::Message(message) => println!("{:?}: {:?}", message.channel, message.payload),
///         SubscriberEvent::Gap => println!("connection lost: messages may be missing from here"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
///
/// Dropping it unsubscribes everything: its connection closes.
pub struct Subscriber {
    control: Arc<Mutex<Control>>,
    events: mpsc::Receiver<SubscriberEvent>,
    /// Events sent into `events` and not taken yet.
    buffered: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subscriber")
    }
}

impl Subscriber {
    /// A subscriber to the server of `options`, with `builder`'s roots,
    /// client certificate, connector, observer, timeouts and tries (for
    /// tokio: call inside a runtime). Nothing connects until the first
    /// subscription.
    pub fn with_options<G: Glue>(options: &RedisOptions, builder: Builder<G>) -> Result<Self, Error> {
        let mut config = options.resp_config()?;
        config.subscriber = true;
        let mut builder = super::redis_builder(builder);
        // One connection that stays open while it has nothing outstanding,
        // whose messages wait for the task.
        builder.pool.connections = 1;
        builder.pool.connection.idle_timeout = None;
        builder.pool.connection.large_response = None;
        builder.dispatch.unsolicited_buffer = ENGINE_BUFFER;
        let client = MessageClient::new(builder, RespFactory { config })?;
        let control = Arc::new(Mutex::new(Control::default()));
        // A futures channel holds its buffer plus one event per sender.
        let (sender, events) = mpsc::channel(STREAM_BUFFER - 1);
        let buffered = Arc::new(AtomicUsize::new(0));
        let runtime = client.shared().runtime.clone();
        let task = Task {
            client,
            server: options.origin(),
            control: control.clone(),
            events: sender,
            buffered: buffered.clone(),
            held: None,
            outbox: VecDeque::new(),
            subscriptions: HashMap::new(),
            answers: FuturesUnordered::new(),
            serial: 0,
            in_gap: false,
            retry: None,
            backoff: RETRY_FIRST,
        };
        runtime.spawn(Box::pin(task));
        Ok(Subscriber { control, events, buffered })
    }

    /// A subscriber for a Redis URL ([`RedisOptions::from_url`]).
    pub fn from_url<G: Glue>(url: &str, builder: Builder<G>) -> Result<Self, Error> {
        Self::with_options(&RedisOptions::from_url(url)?, builder)
    }

    /// Subscribes to `channel` (`SUBSCRIBE`). The future gives the server's
    /// confirmation (`subscribe`, the channel, how many subscriptions the
    /// connection has), or its error reply (`-NOPERM …`: not subscribed);
    /// it fails when the command got no answer (`connect`, …). Dropping it
    /// changes nothing: the subscription is made all the same.
    pub fn subscribe(&self, channel: impl Into<Bytes>) -> SubscribeFuture {
        self.ask(Op::Subscribe, Kind::Channel, channel.into())
    }

    /// Subscribes to the channels matching `pattern` (`PSUBSCRIBE`, glob
    /// style): its messages carry the pattern.
    pub fn psubscribe(&self, pattern: impl Into<Bytes>) -> SubscribeFuture {
        self.ask(Op::Subscribe, Kind::Pattern, pattern.into())
    }

    /// Unsubscribes from `channel` (`UNSUBSCRIBE`): it is not restored
    /// after a loss from now on. Messages sent before the server's
    /// confirmation may still come.
    pub fn unsubscribe(&self, channel: impl Into<Bytes>) -> SubscribeFuture {
        self.ask(Op::Unsubscribe, Kind::Channel, channel.into())
    }

    /// Unsubscribes from `pattern` (`PUNSUBSCRIBE`).
    pub fn punsubscribe(&self, pattern: impl Into<Bytes>) -> SubscribeFuture {
        self.ask(Op::Unsubscribe, Kind::Pattern, pattern.into())
    }

    /// How many events wait in the stream for the caller to take them: at
    /// most 64 (what else arrives waits in the engine, then in the server).
    pub fn events_waiting(&self) -> usize {
        self.buffered.load(Ordering::SeqCst)
    }

    fn ask(&self, op: Op, kind: Kind, name: Bytes) -> SubscribeFuture {
        let (done, answer) = oneshot::channel();
        let waker = {
            let mut control = lock(&self.control);
            control.asked.push_back(Ask { op, key: (kind, name), done });
            control.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        SubscribeFuture { answer }
    }
}

impl Stream for Subscriber {
    type Item = SubscriberEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SubscriberEvent>> {
        let next = self.events.poll_next_unpin(cx);
        if let Poll::Ready(Some(_)) = next {
            self.buffered.fetch_sub(1, Ordering::SeqCst);
        }
        next
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let waker = {
            let mut control = lock(&self.control);
            control.dropped = true;
            control.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The answer to a [`Subscriber`]'s (un)subscribe.
#[must_use = "the subscription is made whether or not this is awaited"]
pub struct SubscribeFuture {
    answer: oneshot::Receiver<Result<Value, Error>>,
}

impl std::fmt::Debug for SubscribeFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubscribeFuture")
    }
}

impl Future for SubscribeFuture {
    type Output = Result<Value, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.answer).poll(cx).map(|answer| {
            answer.unwrap_or_else(|_| Err(Error::new(ErrorKind::ConnectionLost, "the subscriber stopped")))
        })
    }
}

/// What the caller asked the task, and the task's way to be woken.
#[derive(Default)]
struct Control {
    asked: VecDeque<Ask>,
    waker: Option<Waker>,
    /// The [`Subscriber`] is gone: the task ends.
    dropped: bool,
}

fn lock(control: &Mutex<Control>) -> std::sync::MutexGuard<'_, Control> {
    control.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Subscribe,
    Unsubscribe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Channel,
    Pattern,
}

/// A channel or a pattern.
type Key = (Kind, Bytes);

fn command(op: Op, key: &Key) -> Command {
    let name = match (op, key.0) {
        (Op::Subscribe, Kind::Channel) => "SUBSCRIBE",
        (Op::Subscribe, Kind::Pattern) => "PSUBSCRIBE",
        (Op::Unsubscribe, Kind::Channel) => "UNSUBSCRIBE",
        (Op::Unsubscribe, Kind::Pattern) => "PUNSUBSCRIBE",
    };
    Command { args: vec![Bytes::from_static(name.as_bytes()), key.1.clone()] }
}

/// Where the answer to one of the caller's (un)subscribes goes.
type Answer = oneshot::Sender<Result<Value, Error>>;

/// One (un)subscribe from the caller.
struct Ask {
    op: Op,
    key: Key,
    done: Answer,
}

/// A subscription the caller wants.
struct Subscription {
    /// Told apart from an earlier subscription to the same key, dropped
    /// since: answers to that one's commands change nothing here.
    serial: u64,
    /// The connection its last confirmation came on, until that connection
    /// is lost.
    on: Option<ConnectionId>,
    /// `SUBSCRIBE`s sent and not answered yet.
    pending: u32,
    /// Lost with its connection and not confirmed again yet.
    lost: bool,
}

/// An (un)subscribe on its way: the request, and who waits for it.
struct Answering {
    future: MessageFuture<RespFactory>,
    about: Option<(Op, Key, u64, Option<Answer>)>,
}

/// An answered (un)subscribe.
struct Answered {
    op: Op,
    key: Key,
    serial: u64,
    done: Option<Answer>,
    outcome: Result<Reply<Value>, Error>,
}

impl Future for Answering {
    type Output = Answered;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answered> {
        let outcome = std::task::ready!(Pin::new(&mut self.future).poll(cx));
        // Polled again after its answer (never, in a `FuturesUnordered`):
        // nothing more to give.
        let Some((op, key, serial, done)) = self.about.take() else { return Poll::Pending };
        Poll::Ready(Answered { op, key, serial, done, outcome })
    }
}

/// The subscriber's work, on a task of its own.
struct Task<G: Glue> {
    client: MessageClient<G, RespFactory>,
    server: Origin,
    control: Arc<Mutex<Control>>,
    events: mpsc::Sender<SubscriberEvent>,
    /// Events sent and not taken by the caller yet (counted before they are
    /// sent: never fewer than the stream holds).
    buffered: Arc<AtomicUsize>,
    /// A message taken from the engine and not sent on yet.
    held: Option<Value>,
    /// `Gap` and `Resubscribed` waiting for room (at most one of each).
    outbox: VecDeque<SubscriberEvent>,
    subscriptions: HashMap<Key, Subscription>,
    answers: FuturesUnordered<Answering>,
    serial: u64,
    /// A `Gap` was announced and its `Resubscribed` not yet.
    in_gap: bool,
    retry: Option<BoxFuture<'static, ()>>,
    backoff: Duration,
}

// Nothing in the task is pinned in place (its futures are boxed or
// `Unpin`); only the glue type parameter keeps this from being derived.
impl<G: Glue> Unpin for Task<G> {}

/// How far delivering got.
enum Delivered {
    /// The engine has no more messages.
    Drained,
    /// The caller is behind.
    Full,
    /// The caller is gone.
    Gone,
}

impl<G: Glue> Future for Task<G> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let mut moved = false;
            let asked = {
                let mut control = lock(&this.control);
                if control.dropped {
                    return Poll::Ready(());
                }
                match &mut control.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                std::mem::take(&mut control.asked)
            };
            for ask in asked {
                this.start(ask);
                moved = true;
            }
            while let Poll::Ready(Some(answered)) = this.answers.poll_next_unpin(cx) {
                this.answered(answered);
                moved = true;
            }
            if this.retry.as_mut().is_some_and(|timer| timer.as_mut().poll(cx).is_ready()) {
                this.retry = None;
                this.resubscribe_lost();
                moved = true;
            }
            match this.deliver(cx) {
                Delivered::Gone => return Poll::Ready(()),
                Delivered::Drained => moved |= this.notice_losses(cx),
                Delivered::Full => {}
            }
            // New requests must be polled once to be woken for.
            if !moved {
                return Poll::Pending;
            }
        }
    }
}

impl<G: Glue> Task<G> {
    /// Sends `op` for `key`; its answer goes to `done` (none for a
    /// resubscription).
    fn send(&mut self, op: Op, key: Key, serial: u64, done: Option<Answer>) {
        // Resent after a loss like a read: (un)subscribing twice is harmless.
        let future = self.client.request(&self.server, command(op, &key).into(), Idempotency::Idempotent);
        self.answers.push(Answering { future, about: Some((op, key, serial, done)) });
    }

    fn start(&mut self, Ask { op, key, done }: Ask) {
        match op {
            Op::Subscribe => {
                self.serial += 1;
                let fresh = self.serial;
                let subscription = self.subscriptions.entry(key.clone()).or_insert(Subscription {
                    serial: fresh,
                    on: None,
                    pending: 0,
                    lost: false,
                });
                subscription.pending += 1;
                let serial = subscription.serial;
                self.send(op, key, serial, Some(done));
            }
            Op::Unsubscribe => {
                let serial = self.subscriptions.remove(&key).map_or(0, |s| s.serial);
                self.send(op, key, serial, Some(done));
                self.close_gap();
            }
        }
    }

    fn answered(&mut self, Answered { op, key, serial, done, outcome }: Answered) {
        let confirmed_on = match &outcome {
            Ok(reply) if !reply.response.is_error() => Some(reply.written.map(|w| w.connection)),
            _ => None,
        };
        if let Some(done) = done {
            let _ = done.send(outcome.map(|reply| reply.response));
        }
        if op == Op::Unsubscribe {
            return;
        }
        let Some(subscription) = self.subscriptions.get_mut(&key).filter(|s| s.serial == serial) else { return };
        subscription.pending = subscription.pending.saturating_sub(1);
        match confirmed_on {
            Some(on) => {
                subscription.on = on;
                subscription.lost = false;
                self.backoff = RETRY_FIRST;
                self.close_gap();
            }
            // Lost and not restored: tried again after a pause.
            None if subscription.lost => {
                if subscription.pending == 0 && self.retry.is_none() {
                    let pause = self.backoff;
                    self.backoff = (self.backoff * 2).min(RETRY_MOST);
                    self.retry = Some(self.client.shared().runtime.sleep(pause));
                }
            }
            // Never made: the caller was told.
            None => {
                if subscription.pending == 0 && subscription.on.is_none() {
                    self.subscriptions.remove(&key);
                }
            }
        }
    }

    /// Sends again every lost subscription not on its way.
    fn resubscribe_lost(&mut self) {
        let lost: Vec<(Key, u64)> = self
            .subscriptions
            .iter_mut()
            .filter(|(_, s)| s.lost && s.pending == 0)
            .map(|(key, s)| {
                s.pending += 1;
                (key.clone(), s.serial)
            })
            .collect();
        for (key, serial) in lost {
            self.send(Op::Subscribe, key, serial, None);
        }
    }

    /// Hands messages, and `Gap`s and `Resubscribed`s in their place, to the
    /// caller while it has room.
    fn deliver(&mut self, cx: &mut Context<'_>) -> Delivered {
        let shared = self.client.shared().clone();
        loop {
            match self.events.poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Delivered::Gone,
                Poll::Pending => {
                    // Still told of a lost connection, to resubscribe soon.
                    shared.listen_unsolicited(cx.waker());
                    return Delivered::Full;
                }
            }
            let event = if let Some(value) = self.held.take() {
                message(value).map(SubscriberEvent::Message)
            } else if let Some(event) = self.outbox.pop_front() {
                Some(event)
            } else {
                match shared.take_unsolicited(cx.waker()) {
                    Some((_, value)) => message(value).map(SubscriberEvent::Message),
                    None => return Delivered::Drained,
                }
            };
            if let Some(event) = event {
                self.buffered.fetch_add(1, Ordering::SeqCst);
                if self.events.start_send(event).is_err() {
                    return Delivered::Gone;
                }
            }
        }
    }

    /// Finds subscriptions whose connection closed, announces the gap and
    /// sends them again; whether anything changed.
    fn notice_losses(&mut self, cx: &mut Context<'_>) -> bool {
        let shared = self.client.shared().clone();
        let mut closed: Vec<ConnectionId> = Vec::new();
        for on in self.subscriptions.values().filter_map(|s| s.on) {
            if !closed.contains(&on) && !shared.is_open(on) {
                closed.push(on);
            }
        }
        if closed.is_empty() {
            return false;
        }
        // What came on the closed connection goes before the gap: a message
        // may have arrived since the engine was found empty.
        if let Some((_, value)) = shared.take_unsolicited(cx.waker()) {
            self.held = Some(value);
            return true;
        }
        for subscription in self.subscriptions.values_mut() {
            if subscription.on.is_some_and(|on| closed.contains(&on)) {
                subscription.on = None;
                subscription.lost = true;
            }
        }
        if !self.in_gap {
            self.in_gap = true;
            // A gap not yet reported closed goes on: one gap, not two.
            if self.outbox.back() == Some(&SubscriberEvent::Resubscribed) {
                self.outbox.pop_back();
            } else {
                self.outbox.push_back(SubscriberEvent::Gap);
            }
        }
        self.resubscribe_lost();
        true
    }

    /// Reports the gap closed once nothing lost is left.
    fn close_gap(&mut self) {
        if self.in_gap && !self.subscriptions.values().any(|s| s.lost) {
            self.in_gap = false;
            self.retry = None;
            self.outbox.push_back(SubscriberEvent::Resubscribed);
        }
    }
}

/// The message in a pub/sub push: `message`, `pmessage` or `smessage`
/// (RESP2 array or RESP3 push); `None` for anything else.
fn message(value: Value) -> Option<Message> {
    let (Value::Array(items) | Value::Push(items)) = value else { return None };
    let text = |value: &Value| match value {
        Value::Bulk(b) | Value::Simple(b) => Some(b.clone()),
        _ => None,
    };
    let kind = text(items.first()?)?;
    let is = |name: &str| kind.eq_ignore_ascii_case(name.as_bytes());
    match items.len() {
        3 if is("message") || is("smessage") => {
            Some(Message { channel: text(&items[1])?, pattern: None, payload: text(&items[2])? })
        }
        4 if is("pmessage") => {
            Some(Message { pattern: Some(text(&items[1])?), channel: text(&items[2])?, payload: text(&items[3])? })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn messages_of_both_protocols_and_patterns_are_read() {
        let expected = Message { channel: "news".into(), pattern: None, payload: "hi".into() };
        let resp2 = Value::Array(vec![bulk("message"), bulk("news"), bulk("hi")]);
        let resp3 = Value::Push(vec![bulk("message"), bulk("news"), bulk("hi")]);
        assert_eq!(message(resp2), Some(expected.clone()));
        assert_eq!(message(resp3), Some(expected));
        let pattern = Value::Push(vec![bulk("pmessage"), bulk("n*"), bulk("news"), bulk("hi")]);
        assert_eq!(
            message(pattern),
            Some(Message { channel: "news".into(), pattern: Some("n*".into()), payload: "hi".into() })
        );
        // Confirmations with nothing to answer, and anything malformed, are
        // not messages.
        for other in [
            Value::Array(vec![bulk("subscribe"), bulk("news"), Value::Integer(1)]),
            Value::Array(vec![bulk("message"), bulk("news")]),
            Value::Array(vec![bulk("message"), Value::Integer(1), bulk("hi")]),
            Value::Array(vec![]),
            bulk("message"),
        ] {
            assert_eq!(message(other.clone()), None, "{other:?}");
        }
    }

    #[test]
    fn each_subscription_is_one_command_of_one_channel() {
        let key = (Kind::Pattern, Bytes::from_static(b"a.*"));
        assert_eq!(command(Op::Subscribe, &key), Command::new(["PSUBSCRIBE", "a.*"]));
        assert_eq!(command(Op::Unsubscribe, &key), Command::new(["PUNSUBSCRIBE", "a.*"]));
        let key = (Kind::Channel, Bytes::from_static(b"c"));
        assert_eq!(command(Op::Subscribe, &key), Command::new(["SUBSCRIBE", "c"]));
        assert_eq!(command(Op::Unsubscribe, &key), Command::new(["UNSUBSCRIBE", "c"]));
    }
}
