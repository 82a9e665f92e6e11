//! One task per connection: it reads and writes concurrently, so a writer
//! blocked on a full socket never stops the reader (a pipeline deadlocks
//! otherwise: the server stops reading while its responses go unread).
//! Reading stops while the dispatcher says a consumer is behind.

use crate::engine::{Observation, SendFactory, Shared};
use futures_util::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use pipelining::{ConnectionId, Origin};
use std::pin::pin;
use std::sync::Arc;

const READ_BUFFER: usize = 64 * 1024;

/// Connects, then moves bytes both ways until the dispatcher closes the
/// connection or the transport ends.
pub(crate) async fn run<F: SendFactory>(shared: Arc<Shared<F>>, conn: ConnectionId, origin: Origin) {
    let Some(wake) = shared.lock().conns.get(&conn).map(|p| p.wake.clone()) else { return };
    let connect = shared.connector.connect(&origin);
    // The pool's connect timeout closes the attempt: race the two.
    let closing = async {
        loop {
            let listener = wake.listen();
            if shared.lock().conns.get(&conn).is_none_or(|p| p.closing) {
                return;
            }
            listener.await;
        }
    };
    let transport = match futures_util::future::select(connect, pin!(closing)).await {
        futures_util::future::Either::Left((Ok(transport), _)) => transport,
        futures_util::future::Either::Left((Err(error), _)) => {
            let message = error.to_string();
            shared.observe(Observation::ConnectFailed { conn, error: message.clone() });
            let (mut state, now) = shared.lock_now();
            state.conns.remove(&conn);
            state.dispatcher.handle_connect_failed(now, conn, &message);
            shared.drive(&mut state);
            shared.wake_collected(state);
            return;
        }
        futures_util::future::Either::Right(((), _)) => {
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
    let (reader, writer) = transport.split();
    let read = pin!(read_loop(&shared, conn, reader, &wake));
    let write = pin!(write_loop(&shared, conn, writer, &wake));
    futures_util::future::select(read, write).await;
    let (mut state, now) = shared.lock_now();
    state.conns.remove(&conn);
    // Whichever side ended first, the dispatcher hears about it exactly
    // once: a connection it already closed ignores further input.
    state.dispatcher.handle_transport_error(now, conn);
    shared.drive(&mut state);
    shared.wake_collected(state);
}

async fn read_loop<F: SendFactory>(
    shared: &Arc<Shared<F>>,
    conn: ConnectionId,
    mut reader: ReadHalf<crate::BoxTransport>,
    wake: &event_listener::Event,
) {
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        // While a consumer is behind, the socket is not read: the server's
        // bytes wait in the kernel, and TCP's window pushes back.
        loop {
            let listener = wake.listen();
            match shared.lock().conns.get(&conn) {
                None => return,
                Some(p) if p.closing => return,
                Some(p) if !p.paused => break,
                Some(_) => {}
            }
            listener.await;
        }
        let result = reader.read(&mut buf).await;
        let (mut state, now) = shared.lock_now();
        match result {
            Ok(0) => state.dispatcher.handle_eof(now, conn),
            Ok(n) => state.dispatcher.handle_received(now, conn, &buf[..n]),
            Err(_) => state.dispatcher.handle_transport_error(now, conn),
        }
        shared.drive(&mut state);
        let done = !matches!(result, Ok(n) if n > 0) || state.conns.get(&conn).is_none_or(|p| p.closing);
        shared.wake_collected(state);
        if done {
            return;
        }
    }
}

async fn write_loop<F: SendFactory>(
    shared: &Arc<Shared<F>>,
    conn: ConnectionId,
    mut writer: WriteHalf<crate::BoxTransport>,
    wake: &event_listener::Event,
) {
    let mut transmit = Vec::new();
    loop {
        let listener = wake.listen();
        {
            let mut state = shared.lock();
            match state.conns.get_mut(&conn) {
                None => return,
                Some(p) if p.closing => return,
                // Swap buffers: the outbox keeps an allocation for the next
                // window, this task keeps one for writing.
                Some(p) => std::mem::swap(&mut p.outbox, &mut transmit),
            }
        }
        if transmit.is_empty() {
            listener.await;
            continue;
        }
        // The whole window goes to the transport in one write call where it
        // fits; partial acceptance is reported as it happens.
        let mut offset = 0;
        while offset < transmit.len() {
            let result = writer.write(&transmit[offset..]).await;
            let (mut state, now) = shared.lock_now();
            match result {
                Ok(n) if n > 0 => {
                    offset += n;
                    state.dispatcher.handle_written(now, conn, n);
                    shared.drive(&mut state);
                }
                _ => {
                    state.dispatcher.handle_transport_error(now, conn);
                    shared.drive(&mut state);
                    shared.wake_collected(state);
                    return;
                }
            }
            let closing = state.conns.get(&conn).is_none_or(|p| p.closing);
            shared.wake_collected(state);
            if closing {
                return;
            }
        }
        transmit.clear();
        if writer.flush().await.is_err() {
            let (mut state, now) = shared.lock_now();
            state.dispatcher.handle_transport_error(now, conn);
            shared.drive(&mut state);
            shared.wake_collected(state);
            return;
        }
    }
}
