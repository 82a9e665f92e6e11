//! The connection's timers, in one small table (P10).

use crate::Instant;

/// The connection-wide timers. Per-request deadlines live on the requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Requests outstanding and nothing moving.
    Stall = 0,
    /// Nothing outstanding.
    Idle = 1,
    /// The head of the pipeline has answered nothing for the rescue delay
    /// (P13).
    Rescue = 2,
    /// A streamed content waited this long for the server's `100 Continue`:
    /// it goes anyway (RFC 9110 §10.1.1).
    Continue = 3,
}

const COUNT: usize = 4;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timers {
    at: [Option<Instant>; COUNT],
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.at[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.at[timer as usize] = None;
    }

    pub(crate) fn is_running(&self, timer: Timer) -> bool {
        self.at[timer as usize].is_some()
    }

    /// Whether `timer` is due at `now`.
    pub(crate) fn expired(&self, timer: Timer, now: Instant) -> bool {
        self.at[timer as usize].is_some_and(|at| at <= now)
    }

    pub(crate) fn stop_all(&mut self) {
        self.at = [None; COUNT];
    }

    /// The earliest running timer.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
}
