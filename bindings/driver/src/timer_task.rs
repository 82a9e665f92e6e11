//! The client's one timer: sleeps until the pool's next deadline.

use crate::engine::{Protocol, Shared};
use std::sync::Arc;

/// Runs until the client is shut down with nothing pending.
pub(crate) async fn run<P: Protocol>(shared: Arc<Shared<P>>) {
    loop {
        let listener = shared.timer_wake.listen();
        let deadline = {
            let state = shared.lock();
            if state.shut_down && state.pool.pending() == 0 && state.conns.is_empty() {
                return;
            }
            state.timer_deadline
        };
        match deadline {
            None => listener.await,
            Some(at) => {
                let sleep = shared.runtime.sleep(shared.clock.until(at));
                futures_util::future::select(listener, sleep).await;
            }
        }
        let mut state = shared.lock();
        let now = shared.clock.now();
        if state.timer_deadline.is_some_and(|at| at <= now) {
            state.pool.handle_timeout(now);
            shared.drive(&mut state);
        }
    }
}
