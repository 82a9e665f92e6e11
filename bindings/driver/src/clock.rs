//! The driver's clock: the one place time is read, turned into the core's
//! [`pipelining::Instant`].

/// Microseconds since the client was created.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: std::time::Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { epoch: std::time::Instant::now() }
    }

    pub(crate) fn now(&self) -> pipelining::Instant {
        pipelining::Instant::from_micros(u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    /// The driver's own time for a core instant.
    pub(crate) fn std_instant(&self, at: pipelining::Instant) -> std::time::Instant {
        self.epoch + std::time::Duration::from_micros(at.as_micros())
    }

    /// How long from now until `at`.
    pub(crate) fn until(&self, at: pipelining::Instant) -> std::time::Duration {
        at.saturating_duration_since(self.now()).into()
    }
}
