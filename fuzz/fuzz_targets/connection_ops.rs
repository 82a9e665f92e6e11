//! libFuzzer target `connection_ops`: the body is `pipelining_fuzzing::connection_ops::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::connection_ops::run(data));
