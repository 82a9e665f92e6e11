//! libFuzzer target `pool_ops`: the body is `pipelining_fuzzing::pool_ops::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::pool_ops::run(data));
