//! A small seeded random number generator (SplitMix64), for tests whose
//! random choices must replay exactly from a printed seed: the chaos
//! soak's fault plans and request schedule.
//!
//! Independent streams come from one seed by [`SeededRng::stream`], so the
//! plan of connection 17 does not depend on how many numbers connection 16
//! drew — the schedule of one part replays however the others ran.

/// SplitMix64: 64 bits of state, every seed a good one, fast.
#[derive(Clone, Debug)]
pub struct SeededRng {
    state: u64,
}

/// The increment of SplitMix64 (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

impl SeededRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng { state: seed }
    }

    /// The generator of stream `stream` of `seed`: its numbers depend on
    /// the two values only.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut mixer = SeededRng::new(seed ^ mix(stream.wrapping_add(1).wrapping_mul(GAMMA)));
        SeededRng::new(mixer.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A number in `0..n` (`0` when `n` is `0`); the modulo bias is below
    /// 2⁻³² for the small `n` tests use.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// `true` with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A number in `0..=max`, log-uniformly spread: as likely in `1..10` as
    /// in `1000..10000`, so that small offsets (a fault in the first
    /// response's head) come as often as large ones.
    pub fn log_uniform(&mut self, max: u64) -> u64 {
        // Bits of a number in 0..=max, then a number with that many bits.
        let bits = 64 - max.leading_zeros();
        let width = self.below(u64::from(bits) + 1);
        let value = if width == 0 { 0 } else { (1u64 << (width - 1)) | self.below(1u64 << (width - 1)) };
        value.min(max)
    }
}

/// SplitMix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_replays_and_streams_differ() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = SeededRng::stream(7, 3);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = SeededRng::stream(7, 3);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(SeededRng::stream(7, 3).next_u64(), SeededRng::stream(7, 4).next_u64());
        assert_ne!(SeededRng::stream(7, 3).next_u64(), SeededRng::stream(8, 3).next_u64());
    }

    #[test]
    fn ranges_hold() {
        let mut r = SeededRng::new(1);
        let mut small = 0;
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            let v = r.log_uniform(1 << 20);
            assert!(v <= 1 << 20);
            small += usize::from(v < 1024);
        }
        // Half the bit widths are below 11 bits: about half the values.
        assert!((4000..6000).contains(&small), "{small} of 10,000 below 1024");
        assert_eq!(r.below(0), 0);
        assert_eq!(r.log_uniform(0), 0);
    }
}
