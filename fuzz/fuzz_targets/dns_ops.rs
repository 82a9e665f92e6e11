//! libFuzzer target `dns_ops`: the body is `pipelining_fuzzing::dns_ops::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipelining_fuzzing::dns_ops::run(data));
