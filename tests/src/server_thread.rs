//! A server's own thread and current-thread tokio runtime.

use std::future::Future;
use std::net::SocketAddr;

/// Stops its server when dropped (the server also stops by itself after
/// [`SERVER_LIFETIME`](crate::SERVER_LIFETIME)).
#[derive(Debug)]
pub(crate) struct ServerThread {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `127.0.0.1:0` and serves with `serve` on a new thread. Dropping
/// the runtime when the server stops drops every connection task, so every
/// socket is closed.
pub(crate) fn spawn<F, Fut>(serve: F) -> (SocketAddr, ServerThread)
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("nonblocking listener");
    let addr = listener.local_addr().expect("local address");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name(format!("test-server-{}", addr.port()))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let serve = serve(listener);
                tokio::select! {
                    _ = stop_rx => {}
                    _ = tokio::time::timeout(crate::SERVER_LIFETIME, serve) => {}
                }
            });
        })
        .expect("server thread");
    (addr, ServerThread { stop: Some(stop_tx) })
}
