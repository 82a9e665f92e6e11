//! libFuzzer target `resp_reply`: the body is `pipelining_fuzzing::resp_reply::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::resp_reply::run(data));
