//! The `pipelining` command's subcommands as a library, so tests (and the
//! benchmark scripts) can run them in-process.

pub mod bench;
pub mod demo;
pub mod dns;
pub mod fetch;
pub mod json;
pub mod redis;
pub mod request_list;
pub mod verbose;
