//! Every scenario on `pipelining-tokio`.

pipelining_tests::scenarios!(pipelining_tests::run_on_tokio, pipelining_tokio::Tokio);
