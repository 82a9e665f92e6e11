//! libFuzzer target `h1_response`: the body is `pipelining_fuzzing::h1_response::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::h1_response::run(data));
