//! A hasher for the engine's maps, keyed by small ids and origins that no
//! peer chooses: SipHash's protection against hash flooding buys nothing
//! here and cost a tenth of the client's time per request.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of integers (as in rustc's FxHash), FNV-style
/// mixing for byte strings.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`IdHasher`].
pub(crate) type IdMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};

    #[test]
    fn consecutive_ids_spread_over_buckets() {
        let build = BuildHasherDefault::<IdHasher>::default();
        let low_bits: std::collections::HashSet<u64> = (0..64u64).map(|i| build.hash_one(i) >> 58).collect();
        assert!(low_bits.len() > 16, "top bits vary: {}", low_bits.len());
    }
}
