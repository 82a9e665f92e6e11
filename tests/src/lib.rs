//! Integration tests of `pipelining` against real servers.
//!
//! The suites arrive with the drivers; this crate is wired into the workspace
//! now so that `cargo test --workspace` already builds it.
