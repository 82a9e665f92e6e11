//! Driver scenarios, generic over the runtime glue: the suites run each on
//! `pipelining-tokio` and on `pipelining-smol` (see [`scenarios!`](crate::scenarios!)).
//!
//! Every scenario checks that each request's future resolved exactly once
//! (the runner fails a scenario that hangs) with the response the server
//! defines for that request — byte for byte — or with the error kind the
//! situation calls for, and checks the server's own counts: connections,
//! the depth it saw, and how often each request reached it.
//!
//! A scenario is an `async fn` in one of the section modules, private to
//! this crate, and reachable only through the table in
//! [`scenarios!`](crate::scenarios!), which generates [`registered`] here
//! and the tests in each suite. A scenario left out of the table is dead
//! code, and dead code here does not compile.

#![deny(dead_code)]

mod bodies;
mod errors;
mod https;
mod hyper;
mod scripted;
mod support;

crate::scenarios!(@table registry);
