//! The stable smoke mode of the fuzz targets (docs/DESIGN.md "Tests and CI"):
//! each target body runs on a bounded number of pseudo-random inputs from a
//! fixed seed, then on every committed seed (`fuzz/seeds/<target>/`) and
//! every regression input (`fuzz/regressions/<target>/`). No nightly, no
//! libFuzzer; a failure prints the input to replay.

use std::path::{Path, PathBuf};

/// SplitMix64: a tiny deterministic generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = (self.next() % (max_len as u64 + 1)) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Every file under `fuzz/<kind>/<target>/`, sorted.
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn smoke(target: &str, run: fn(&[u8]), iterations: u32, max_len: usize, seed: u64) {
    let mut rng = Rng(seed);
    for i in 0..iterations {
        let data = rng.bytes(max_len);
        let outcome = std::panic::catch_unwind(|| run(&data));
        if let Err(panic) = outcome {
            let path = std::env::temp_dir().join(format!("{target}-smoke-{i}"));
            let _ = std::fs::write(&path, &data);
            eprintln!("{target}: iteration {i} failed; input saved to {}", path.display());
            std::panic::resume_unwind(panic);
        }
    }
    let mut replayed = 0;
    for kind in ["seeds", "regressions"] {
        for path in files(kind, target) {
            let data = std::fs::read(&path).expect("readable corpus file");
            if let Err(panic) = std::panic::catch_unwind(|| run(&data)) {
                eprintln!("{target}: {} failed", path.display());
                std::panic::resume_unwind(panic);
            }
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no committed seeds for {target} under {}", fuzz_dir().display());
}

#[test]
fn h1_response_smoke() {
    smoke("h1_response", pipelining_fuzzing::h1_response::run, 4_000, 1_000, 1);
}

#[test]
fn connection_ops_smoke() {
    smoke("connection_ops", pipelining_fuzzing::connection_ops::run, 4_000, 2_000, 2);
}

#[test]
fn pool_ops_smoke() {
    smoke("pool_ops", pipelining_fuzzing::pool_ops::run, 4_000, 2_000, 3);
}

#[test]
fn request_encode_smoke() {
    smoke("request_encode", pipelining_fuzzing::request_encode::run, 5_000, 300, 4);
}

#[test]
fn dns_ops_smoke() {
    smoke("dns_ops", pipelining_fuzzing::dns_ops::run, 3_000, 1_000, 5);
}

#[test]
fn resp_reply_smoke() {
    smoke("resp_reply", pipelining_fuzzing::resp_reply::run, 3_000, 800, 6);
}

#[test]
fn dispatch_ops_smoke() {
    smoke("dispatch_ops", pipelining_fuzzing::dispatch_ops::run, 3_000, 1_500, 7);
}
