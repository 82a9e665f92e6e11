//! libFuzzer target `request_encode`: the body is `pipelining_fuzzing::request_encode::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::request_encode::run(data));
