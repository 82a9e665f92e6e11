//! Every scenario on `pipelining-smol`.

pipelining_tests::scenarios!(pipelining_tests::run_on_smol, pipelining_smol::Smol);
