//! The pipeline state machine for one connection (docs/DESIGN.md P1, P2, P5–P10,
//! P12), driven against a scripted HTTP/1.1 server on a virtual clock.
//!
//! Every test runs through [`harness::Pair`], which checks P12 (exactly one
//! outcome per request), matching, depth, submission order and the
//! non-idempotent rule on every run; the tests add what each rule promises.

mod harness;

mod cancel;
mod capability;
mod depth;
mod framing;
mod lessons;
mod loss;
mod non_idempotent;
mod property;
mod rescue;
mod server_close;
mod splits;
mod timers;
mod upload;
mod writes;
