//! One task per connection, one hand-written future: it reads and writes in
//! the same poll, so a writer blocked on a full socket never stops the
//! reader (a pipeline deadlocks otherwise: the server stops reading while
//! its responses go unread), and every round of IO costs one lock of the
//! engine: report what was read and written, take the next transmit.
//! Reading stops while the dispatcher says a reader is behind.

use crate::engine::{Observation, SendFactory, Shared};
use crate::runtime::BoxTransport;
use bytes::BytesMut;
use pipelining::{ConnectionId, Origin};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Room asked for before each read; a new allocation is made when less is
/// left (the old one is freed once the responses sliced from it are).
const READ_ROOM: usize = 16 * 1024;
/// The size of each new read allocation.
const READ_BUFFER: usize = 64 * 1024;

/// Connects, then moves bytes both ways until the dispatcher closes the
/// connection or the transport ends.
pub(crate) async fn run<F: SendFactory>(shared: Arc<Shared<F>>, conn: ConnectionId, origin: Origin) {
    let mut connect = shared.connector.connect(&origin);
    // The pool's connect timeout closes the attempt: race the two.
    let connected = std::future::poll_fn(|cx| {
        if !shared.register(conn, cx) {
            return Poll::Ready(None);
        }
        connect.as_mut().poll(cx).map(Some)
    })
    .await;
    let transport = match connected {
        Some(Ok(transport)) => transport,
        Some(Err(error)) => {
            let message = error.to_string();
            shared.observe(Observation::ConnectFailed { conn, error: message.clone() });
            let (mut state, now) = shared.lock_now();
            state.conns.remove(&conn);
            state.dispatcher.handle_io_failure(now, conn, &message, error.raw_os_error());
            shared.drive(&mut state);
            shared.wake_collected(state);
            return;
        }
        None => {
            let mut state = shared.lock();
            state.conns.remove(&conn);
            shared.drive(&mut state);
            shared.wake_collected(state);
            return;
        }
    };
    {
        let (mut state, now) = shared.lock_now();
        if state.conns.get(&conn).is_none_or(|p| p.closing) {
            state.conns.remove(&conn);
            shared.drive(&mut state);
            shared.wake_collected(state);
            return;
        }
        state.dispatcher.handle_connected(now, conn);
        shared.drive(&mut state);
        shared.wake_collected(state);
    }
    shared.observe(Observation::Connected { conn });
    let mut io = ConnectionIo {
        shared: shared.clone(),
        conn,
        transport: Some(transport),
        out: Vec::new(),
        sent: 0,
        flush: false,
        read: BytesMut::new(),
        paused: false,
    };
    (&mut io).await;
    let (mut state, now) = shared.lock_now();
    let plumbing = state.conns.remove(&conn);
    // After an upgrade the transport is the upgrading request's caller's:
    // handed over, not closed.
    if let (Some(id), Some(transport)) = (plumbing.and_then(|p| p.upgrade_to), io.transport.take()) {
        if let Some(slot) = state.upgrades.get_mut(&id) {
            slot.transport = Some(transport);
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        }
    }
    // However it ended, the dispatcher hears of it exactly once: a
    // connection it already closed ignores further input.
    state.dispatcher.handle_transport_error(now, conn);
    shared.drive(&mut state);
    shared.wake_collected(state);
}

/// Moves bytes between one open transport and the dispatcher.
struct ConnectionIo<F: SendFactory> {
    shared: Arc<Shared<F>>,
    conn: ConnectionId,
    /// Taken back once the connection ends, for an upgrade's caller.
    transport: Option<BoxTransport>,
    /// The transmit being written, and how much of it is written.
    out: Vec<u8>,
    sent: usize,
    /// Written bytes may wait in the transport (TLS): flush them.
    flush: bool,
    read: BytesMut,
    /// The dispatcher said to stop reading, as of the last round.
    paused: bool,
}

impl<F: SendFactory> Future for ConnectionIo<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(transport) = this.transport.as_mut() else { return Poll::Ready(()) };
        loop {
            // The IO first, without the lock.
            let mut read = None;
            if !this.paused {
                if this.read.capacity() - this.read.len() < READ_ROOM {
                    this.read.reserve(READ_BUFFER);
                }
                if let Poll::Ready(result) = transport.poll_read_buf(cx, &mut this.read) {
                    read = Some(result);
                }
            }
            let mut written = 0;
            let mut failed = false;
            while this.sent < this.out.len() {
                match transport.poll_write(cx, &this.out[this.sent..]) {
                    Poll::Ready(Ok(n)) if n > 0 => {
                        this.sent += n;
                        written += n;
                        this.flush = true;
                    }
                    // A failed write ends nothing yet: what the peer sent before
                    // its reset is still to be read, and the read side ends
                    // the connection once it is (EOF or error).
                    Poll::Ready(_) => break,
                    Poll::Pending => break,
                }
            }
            if this.flush && this.sent == this.out.len() && !failed {
                match transport.poll_flush(cx) {
                    Poll::Ready(Ok(())) => this.flush = false,
                    Poll::Ready(Err(_)) => failed = true,
                    Poll::Pending => {}
                }
            }
            // Then one lock: what happened, and the next transmit.
            let (mut state, now) = this.shared.lock_now();
            if written > 0 {
                state.dispatcher.handle_written(now, this.conn, written);
            }
            let ended = match &read {
                Some(Ok(0)) => {
                    state.dispatcher.handle_eof(now, this.conn);
                    true
                }
                Some(Ok(_)) => {
                    state.dispatcher.handle_received_buf(now, this.conn, this.read.split());
                    false
                }
                Some(Err(error)) => {
                    state.dispatcher.handle_io_failure(now, this.conn, &error.to_string(), error.raw_os_error());
                    true
                }
                None => false,
            };
            if failed {
                state.dispatcher.handle_transport_error(now, this.conn);
            }
            let mut fresh = false;
            if this.sent == this.out.len() && !this.flush {
                this.out.clear();
                this.sent = 0;
                fresh = state.dispatcher.poll_transmit_on(now, this.conn, &mut this.out).is_some();
            }
            this.shared.drive(&mut state);
            let open = this.shared.register_locked(&mut state, this.conn, cx);
            this.shared.wake_collected(state);
            let Some(paused) = open else { return Poll::Ready(()) };
            if ended || failed {
                return Poll::Ready(());
            }
            let resumed = this.paused && !paused;
            this.paused = paused;
            // Go round again while something moved: a read may have more
            // behind it, a write may have room for more, a new transmit
            // wants writing. Otherwise every source of work is registered.
            if read.is_none() && written == 0 && !fresh && !resumed {
                return Poll::Pending;
            }
        }
    }
}
