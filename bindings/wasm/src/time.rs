//! Milliseconds from JavaScript (`performance.now()`) to the core's
//! microsecond [`Instant`] and back.

use pipelining::{Duration, Instant};

/// The instant `ms` milliseconds after the caller's epoch. Negative or NaN
/// times are the epoch itself; an infinite one is the end of time.
pub(crate) fn instant(ms: f64) -> Instant {
    // `as` saturates: NaN → 0, below zero → 0, too large → u64::MAX.
    Instant::from_micros((ms * 1_000.0) as u64)
}

/// A span of `ms` milliseconds, clamped like [`instant`].
pub(crate) fn duration(ms: f64) -> Duration {
    Duration::from_micros((ms * 1_000.0) as u64)
}

/// An instant as milliseconds since the caller's epoch, sub-millisecond
/// precision kept.
pub(crate) fn millis(at: Instant) -> f64 {
    at.as_micros() as f64 / 1_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip_through_microseconds() {
        assert_eq!(instant(1.5).as_micros(), 1_500);
        assert_eq!(millis(instant(1234.567)), 1234.567);
        assert_eq!(instant(-3.0), Instant::ZERO);
        assert_eq!(instant(f64::NAN), Instant::ZERO);
        assert_eq!(instant(f64::INFINITY).as_micros(), u64::MAX);
        assert_eq!(duration(2.0), Duration::from_millis(2));
    }
}
