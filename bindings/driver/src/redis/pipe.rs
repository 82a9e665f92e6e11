//! A batch of commands sent together with one future for all their replies
//! (redis-rs's `pipe()`), or as one transaction (`atomic()`).

use super::RedisClient;
use crate::Error;
use crate::config::Glue;
use crate::message_client::MessageFuture;
use pipelining::Idempotency;
use pipelining::resp::{Command, Request, RespFactory, Transaction, Value};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Commands to send together: [`RedisClient::pipe`].
///
/// ```no_run
/// # async fn example<G: pipelining_driver::Glue>(client: pipelining_driver::redis::RedisClient<G>) -> Result<(), pipelining_driver::Error> {
/// use pipelining_driver::redis::{Command, Value};
/// let replies = client
///     .pipe()
///     .command(Command::new(["SET", "k", "1"]))
///     .command(Command::new(["INCR", "k"]))
///     .send()
///     .await?;
/// assert_eq!(replies, [Value::Simple("OK".into()), Value::Integer(2)]);
/// // All or nothing: MULTI, the commands, EXEC.
/// let applied = client
///     .pipe()
///     .atomic()
///     .command(Command::new(["INCR", "a"]))
///     .command(Command::new(["INCR", "b"]))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a pipe sends nothing until `send`"]
pub struct Pipe<'c, G: Glue> {
    client: &'c RedisClient<G>,
    commands: Vec<Command>,
    atomic: bool,
}

impl<G: Glue> std::fmt::Debug for Pipe<'_, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipe").field("commands", &self.commands.len()).field("atomic", &self.atomic).finish()
    }
}

impl<'c, G: Glue> Pipe<'c, G> {
    pub(super) fn new(client: &'c RedisClient<G>) -> Self {
        Pipe { client, commands: Vec::new(), atomic: false }
    }

    /// Adds a command (builder style).
    pub fn command(mut self, command: Command) -> Self {
        self.commands.push(command);
        self
    }

    /// Adds a command (in a loop).
    pub fn add(&mut self, command: Command) -> &mut Self {
        self.commands.push(command);
        self
    }

    /// Sends the commands as one transaction (`MULTI`, the commands,
    /// `EXEC`): the server runs them all, with nothing of another client's
    /// in between, or none (`docs/DESIGN.md` P8). Lost before its `EXEC`
    /// was written, the transaction is resent whole on a new connection,
    /// whatever its commands; lost after, it fails with
    /// `may_have_been_processed`. For `WATCH`, send a
    /// [`Transaction`] with [`RedisClient::transaction`].
    pub fn atomic(mut self) -> Self {
        self.atomic = true;
        self
    }

    /// How many commands it holds.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Sends the commands now and returns one future for all their
    /// replies, one per command, in order.
    ///
    /// Without [`atomic`](Self::atomic), the commands are written together
    /// on one connection, in order, so the server runs them in that order
    /// (with other clients' commands possibly in between), and their
    /// replies come as one. Lost, the batch is resent whole on a new
    /// connection when every command in it may be resent (reads, `SET k
    /// v`, …: see [`ReplayClass`](super::ReplayClass)); otherwise, once
    /// written, it fails with `may_have_been_processed`: some of its
    /// commands may have run, and which is not known. An error reply
    /// (`-ERR …`) is one command's reply, not a failure.
    ///
    /// With [`atomic`](Self::atomic), the replies are `EXEC`'s. When the
    /// server discarded the transaction (`EXECABORT`: a command was refused
    /// as it was queued), none ran and every command's reply is that error
    /// reply.
    pub fn send(self) -> PipeFuture {
        let Pipe { client, commands, atomic } = self;
        let count = commands.len();
        let state = if commands.is_empty() {
            State::Ready(Some(Ok(Vec::new())))
        } else if atomic {
            State::Waiting(client.transaction(Transaction::new(commands)))
        } else {
            State::Waiting(client.inner.request(&client.server, Request::Batch(commands), Idempotency::ByMethod))
        };
        PipeFuture { state, count }
    }
}

/// The replies of a [`Pipe`], in order. Dropping it cancels the commands
/// if they are not written yet.
#[must_use = "futures do nothing unless polled"]
pub struct PipeFuture {
    state: State,
    /// How many commands the pipe holds.
    count: usize,
}

impl std::fmt::Debug for PipeFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeFuture").field("commands", &self.count).finish()
    }
}

enum State {
    /// The batch or transaction, sent.
    Waiting(MessageFuture<RespFactory>),
    /// The outcome, until taken.
    Ready(Option<Result<Vec<Value>, Error>>),
}

impl Future for PipeFuture {
    type Output = Result<Vec<Value>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            State::Waiting(future) => {
                let outcome = std::task::ready!(Pin::new(future).poll(cx));
                let count = this.count;
                this.state = State::Ready(None);
                Poll::Ready(outcome.map(|reply| match reply.response {
                    Value::Array(replies) => replies,
                    // A transaction discarded (EXECABORT) or not run (a
                    // null EXEC): the same answer for every command.
                    other => vec![other; count],
                }))
            }
            State::Ready(outcome) => {
                Poll::Ready(outcome.take().unwrap_or_else(|| {
                    Err(Error::new(pipelining::ErrorKind::InvalidRequest, "polled after completion"))
                }))
            }
        }
    }
}
