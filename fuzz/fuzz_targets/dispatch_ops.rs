//! libFuzzer target `dispatch_ops`: the body is `pipelining_fuzzing::dispatch_ops::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::dispatch_ops::run(data));
