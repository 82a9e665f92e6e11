//! The client's one timer: sleeps until the dispatcher's next deadline.

use crate::engine::{SendFactory, Shared};
use std::sync::Arc;

/// Runs until the client has shut down and everything finished.
pub(crate) async fn run<F: SendFactory>(shared: Arc<Shared<F>>) {
    loop {
        let listener = shared.timer_wake.listen();
        let deadline = {
            let state = shared.lock();
            if state.dispatcher.is_finished() && state.conns.is_empty() {
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
        let (mut state, now) = shared.lock_now();
        if state.timer_deadline.is_some_and(|at| at <= now) {
            state.dispatcher.handle_timeout(now);
            shared.drive(&mut state);
        }
        shared.wake_collected(state);
    }
}
