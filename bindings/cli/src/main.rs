//! `pipelining`: fetch many URLs over pipelined HTTP/1.1 connections, or
//! load-test a server with a sliding window of pipelined requests. The
//! command lives in the library ([`pipelining_cli::run`]) so tests can run it
//! in-process; this is its entry point.

use std::process::ExitCode;

fn main() -> ExitCode {
    pipelining_cli::run(std::env::args_os())
}
