//! What a Redis client sends: one command, a transaction written and
//! answered as one unit (`MULTI … EXEC`), or a batch of commands written
//! together and answered together.

use super::{Command, CommandError};
use alloc::vec::Vec;
use bytes::Bytes;

/// One request of the RESP codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// A single command, answered by one reply.
    Command(Command),
    /// Commands run by the server as one unit (`docs/DESIGN.md` P8): written
    /// together on one connection, answered by `EXEC`'s reply, resent or
    /// failed as a whole.
    Transaction(Transaction),
    /// Commands written together on one connection, in order, and answered
    /// by one array of their replies, in order (redis-rs's `pipe()`). Unlike
    /// a transaction's, each runs as it arrives, with other clients'
    /// commands in between, and a lost batch may have run in part: it is
    /// resent only when every command in it may be (their
    /// [`ReplayClass`](super::ReplayClass)es), else it fails as a whole.
    /// At least one command.
    Batch(Vec<Command>),
}

impl From<Command> for Request {
    fn from(command: Command) -> Self {
        Request::Command(command)
    }
}

impl From<Transaction> for Request {
    fn from(transaction: Transaction) -> Self {
        Request::Transaction(transaction)
    }
}

/// `WATCH` keys (optional), `MULTI`, the commands, `EXEC`: what Redis
/// applies entirely or not at all. A transaction lost before its `EXEC` was
/// all written is resent whole (Redis discarded what it had queued); after,
/// it may have run. Under `WATCH` it is never resent once written: the
/// check-and-set it guarantees would not hold for a resend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transaction {
    /// Keys to `WATCH` first: `EXEC` runs nothing (a null reply) if another
    /// client changed one of them meanwhile.
    pub watch: Vec<Bytes>,
    /// The commands, in order.
    pub commands: Vec<Command>,
}

impl Transaction {
    /// A transaction of `commands`.
    pub fn new(commands: impl IntoIterator<Item = Command>) -> Self {
        Transaction { watch: Vec::new(), commands: commands.into_iter().collect() }
    }

    /// Watching `keys` first (builder style).
    #[must_use]
    pub fn watching<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<Bytes>,
    {
        self.watch.extend(keys.into_iter().map(Into::into));
        self
    }

    /// How many replies the server sends for it: `WATCH`'s, `MULTI`'s, one
    /// `QUEUED` per command, `EXEC`'s.
    pub(crate) fn replies(&self) -> usize {
        usize::from(!self.watch.is_empty()) + 1 + self.commands.len() + 1
    }

    /// Appends `WATCH`, `MULTI`, the commands and `EXEC`.
    pub(crate) fn encode(&self, dst: &mut Vec<u8>) -> Result<(), CommandError> {
        if !self.watch.is_empty() {
            let mut watch = Vec::with_capacity(self.watch.len() + 1);
            watch.push(Bytes::from_static(b"WATCH"));
            watch.extend(self.watch.iter().cloned());
            Command { args: watch }.encode(dst)?;
        }
        Command::new([&b"MULTI"[..]]).encode(dst)?;
        for command in &self.commands {
            command.encode(dst)?;
        }
        Command::new([&b"EXEC"[..]]).encode(dst)
    }
}
