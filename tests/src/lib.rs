//! Integration tests of `pipelining` against real servers.
//!
//! The library holds what the suites in `tests/` share:
//!
//! - [`hyper_server`]: an in-process hyper HTTP/1.1 server (an independent
//!   implementation), optionally behind TLS ([`tls`]), counting connections,
//!   requests per method and target, and requests read but not yet answered;
//! - [`raw`]: the scripted peer (`pipelining-peer`) over TCP: its script
//!   decides, per request, what bytes to write and whether to close, reset
//!   or fall silent, and it counts the depth it saw on each connection;
//! - [`pattern_server`]: one large response of [`pattern`] bytes, written
//!   as fast as the socket takes it (the slow-reader test's server);
//! - [`tls_probe`]: a TLS server recording each client's hello (ALPN,
//!   server name) and certificate, speaking HTTP/1.1 or a little RESP;
//!   [`tls`] makes the certificate authorities and certificates;
//! - [`memory`]: a process's resident set, and the `client_memory` child
//!   process the memory tests measure a client in;
//! - [`chaos_proxy`]: a TCP proxy that resets, half-closes, stalls,
//!   delays and splits connections at offsets drawn from a seed
//!   ([`seeded_rng`]), between a client and a real server; the chaos
//!   soak's requests and files are in [`chaos_workload`];
//! - [`real`]: real servers run as external programs (nginx, Apache,
//!   lighttpd, Python's `http.server`, Node's `http`), with a client-side
//!   record of what was written on each connection;
//! - [`scenarios`](mod@scenarios): driver scenarios generic over the runtime glue, so each
//!   one runs on both `pipelining-tokio` and `pipelining-smol` through
//!   [`scenarios!`] without duplicated test bodies; its table is the one
//!   place a scenario is registered.
//!
//! Every in-process server binds `127.0.0.1:0`, runs on its own thread and runtime,
//! stops when its handle is dropped, and stops by itself after
//! [`SERVER_LIFETIME`] in any case.

pub mod chaos_proxy;
pub mod chaos_workload;
pub mod cutting_server;
pub mod hyper_server;
pub mod memory;
pub mod pattern_server;
pub mod raw;
pub mod real;
pub mod scenarios;
pub mod seeded_rng;
mod server_thread;
pub mod stats;
pub mod tls;
pub mod tls_probe;

pub use stats::{ConnStats, Stats};

use std::future::Future;
use std::time::Duration;

/// The longest any test server lives.
pub const SERVER_LIFETIME: Duration = Duration::from_secs(30);

/// The longest one scenario may take before it counts as hung (a request
/// whose future never resolved).
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(15);

/// The body the servers answer a plain request with: its method and target,
/// so every response says which request it belongs to.
pub fn echo_body(method: &str, target: &str) -> String {
    format!("{method} {target}")
}

/// `n` bytes of a fixed pattern (for large bodies checked byte by byte).
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Runs a scenario on a fresh multi-threaded tokio runtime, failing it if
/// it takes longer than [`SCENARIO_LIMIT`].
pub fn run_on_tokio<F: Future<Output = ()>>(scenario: F) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        tokio::time::timeout(SCENARIO_LIMIT, scenario).await.expect("the scenario hung");
    });
}

/// Runs a scenario under `smol::block_on`, failing it if it takes longer
/// than [`SCENARIO_LIMIT`].
pub fn run_on_smol<F: Future<Output = ()>>(scenario: F) {
    let finished = smol::block_on(smol::future::or(
        async {
            scenario.await;
            true
        },
        async {
            smol::Timer::after(SCENARIO_LIMIT).await;
            false
        },
    ));
    assert!(finished, "the scenario hung");
}

/// Expands to one `#[test]` per scenario of a group, each running the
/// scenario on `GLUE` through `RUNNER`:
/// `scenarios!(pipelining_tests::run_on_tokio, pipelining_tokio::Tokio)` for
/// the plain-HTTP group, with `, https` for the HTTPS one.
///
/// Its table is the one place a scenario is registered: it also generates
/// [`scenarios::registered`], the only path to the scenario functions, so a
/// scenario missing from the table is dead code, which the [`scenarios`](mod@scenarios)
/// module denies. (The `@` arms are its internals.)
#[macro_export]
macro_rules! scenarios {
    ($runner:path, $glue:ty) => {
        $crate::scenarios!(@table tests plain $runner, $glue);
    };
    ($runner:path, $glue:ty, https) => {
        $crate::scenarios!(@table tests https $runner, $glue);
    };
    // The table: every scenario, by group, as `section::name`.
    (@table $($then:tt)*) => {
        $crate::scenarios!(@ $($then)* ;
            plain: [
                hyper::hyper_gets_pipelined_flush_on,
                hyper::hyper_gets_pipelined_flush_off,
                hyper::hyper_mixed_methods_posts_once,
                hyper::hyper_head_204_304_and_sizes,
                hyper::hyper_large_bodies_byte_checked,
                hyper::hyper_cancel_before_written,
                hyper::hyper_cancel_after_written,
                hyper::hyper_cancel_large_response_closes_and_retries,
                hyper::hyper_backpressure_queue_full_waits,
                scripted::raw_depth_and_connection_limits,
                scripted::raw_small_queue_still_fills_the_pipeline,
                scripted::raw_server_closes_after_k_responses,
                scripted::raw_connection_close_on_response_k,
                scripted::raw_connection_close_resends_pipelined_post,
                scripted::raw_mid_body_drop_replays_gets,
                scripted::raw_reset_mid_pipeline_replays_gets,
                scripted::raw_http10_peer_one_at_a_time,
                scripted::raw_chunked_with_trailers,
                scripted::raw_interim_responses_before_final,
                scripted::raw_head_204_304_bodiless,
                scripted::raw_first_only_then_close,
                scripted::raw_first_only_then_silent,
                scripted::raw_cancel_before_written_never_reaches_server,
                scripted::raw_cancel_after_written_keeps_matching,
                scripted::raw_cancel_body_over_threshold_closes_and_retries,
                scripted::raw_keep_alive_max_is_respected,
                scripted::raw_idle_timeout_closes_connection,
                scripted::raw_interim_responses_reach_the_caller,
                scripted::raw_upgrade_hands_the_connection_over,
                scripted::raw_blocking_request_holds_the_pipeline,
                bodies::body_small_is_collected_and_replayable,
                bodies::body_stream_of_unknown_size_goes_chunked,
                bodies::body_large_known_size_streams_under_content_length,
                bodies::body_stream_lost_is_never_resent,
                bodies::request_defaults_and_userinfo_on_the_wire,
                bodies::request_timeout_extension_bounds_one_request,
                bodies::client_is_a_tower_service,
                errors::error_refused_port_is_connect,
                errors::error_stall_is_timeout,
                errors::error_slow_head_request_deadline_is_timeout,
                errors::error_request_deadline_counts_from_send,
                errors::error_malformed_response_is_protocol,
                errors::error_oversized_head_is_limit,
                errors::error_post_lost_after_writing,
                errors::error_gets_fail_max_tries_when_every_try_breaks,
            ]
            https: [
                https::https_trusted_pipelines,
                https::https_untrusted_is_connect,
                https::https_handshake_timeout_is_connect,
            ]
        );
    };
    (@ tests plain $runner:path, $glue:ty ;
        plain: [$($ps:ident :: $pn:ident),* $(,)?] https: [$($hs:ident :: $hn:ident),* $(,)?]) => {
        $crate::scenarios!(@ tests $runner, $glue ; $($pn)*);
    };
    (@ tests https $runner:path, $glue:ty ;
        plain: [$($ps:ident :: $pn:ident),* $(,)?] https: [$($hs:ident :: $hn:ident),* $(,)?]) => {
        $crate::scenarios!(@ tests $runner, $glue ; $($hn)*);
    };
    (@ tests $runner:path, $glue:ty ; $($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                $runner($crate::scenarios::registered::$name::<$glue>());
            }
        )*
    };
    (@ registry ; plain: [$($ps:ident :: $pn:ident),* $(,)?] https: [$($hs:ident :: $hn:ident),* $(,)?]) => {
        /// Every scenario of the table of [`scenarios!`](crate::scenarios!),
        /// by name: the only way to run one.
        pub mod registered {
            $(
                #[doc = concat!("Runs `", stringify!($ps), "::", stringify!($pn), "` on `G`.")]
                pub fn $pn<G: pipelining_driver::Glue>() -> impl ::std::future::Future<Output = ()> {
                    super::$ps::$pn::<G>()
                }
            )*
            $(
                #[doc = concat!("Runs `", stringify!($hs), "::", stringify!($hn), "` on `G`.")]
                pub fn $hn<G: pipelining_driver::Glue>() -> impl ::std::future::Future<Output = ()> {
                    super::$hs::$hn::<G>()
                }
            )*
        }
    };
}

/// The README's Rust examples, compiled (and the core one run) as doctests,
/// so the front page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
