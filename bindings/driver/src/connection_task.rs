//! One task per connection: it reads and writes concurrently, so a writer
//! blocked on a full socket never stops the reader (a pipeline deadlocks
//! otherwise: the server stops reading while its responses go unread).

use crate::engine::{Observation, Protocol, Shared};
use futures_util::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use pipelining::{ConnectionId, Origin};
use std::pin::pin;
use std::sync::Arc;

const READ_BUFFER: usize = 64 * 1024;

/// Connects, then moves bytes both ways until the pool closes the
/// connection or the transport ends.
pub(crate) async fn run<P: Protocol>(shared: Arc<Shared<P>>, conn: ConnectionId, origin: Origin) {
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
            shared.observe(Observation::ConnectFailed { conn, error: error.to_string() });
            let mut state = shared.lock();
            state.connect_errors.insert(origin.clone(), error.to_string());
            state.conns.remove(&conn);
            state.pool.handle_connect_failed(shared.clock.now(), conn);
            shared.drive(&mut state);
            return;
        }
        futures_util::future::Either::Right(((), _)) => {
            shared.lock().conns.remove(&conn);
            return;
        }
    };
    {
        let mut state = shared.lock();
        if state.conns.get(&conn).is_none_or(|p| p.closing) {
            state.conns.remove(&conn);
            return;
        }
        state.pool.handle_connected(shared.clock.now(), conn);
        shared.drive(&mut state);
    }
    shared.observe(Observation::Connected { conn });
    let (reader, writer) = transport.split();
    let read = pin!(read_loop(&shared, conn, reader));
    let write = pin!(write_loop(&shared, conn, writer, &wake));
    futures_util::future::select(read, write).await;
    let mut state = shared.lock();
    state.conns.remove(&conn);
    // Whichever side ended first, the pool hears about it exactly once: a
    // connection it already closed ignores further input.
    state.pool.handle_transport_error(shared.clock.now(), conn);
    shared.drive(&mut state);
}

async fn read_loop<P: Protocol>(
    shared: &Arc<Shared<P>>,
    conn: ConnectionId,
    mut reader: ReadHalf<crate::BoxTransport>,
) {
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        let result = reader.read(&mut buf).await;
        let mut state = shared.lock();
        let now = shared.clock.now();
        match result {
            Ok(0) => state.pool.handle_eof(now, conn),
            Ok(n) => state.pool.handle_received(now, conn, &buf[..n]),
            Err(_) => state.pool.handle_transport_error(now, conn),
        }
        shared.drive(&mut state);
        let done = !matches!(result, Ok(n) if n > 0) || state.conns.get(&conn).is_none_or(|p| p.closing);
        if done {
            return;
        }
    }
}

async fn write_loop<P: Protocol>(
    shared: &Arc<Shared<P>>,
    conn: ConnectionId,
    mut writer: WriteHalf<crate::BoxTransport>,
    wake: &event_listener::Event,
) {
    loop {
        let listener = wake.listen();
        let transmit = {
            let mut state = shared.lock();
            match state.conns.get_mut(&conn) {
                None => return,
                Some(p) if p.closing => return,
                Some(p) => std::mem::take(&mut p.outbox),
            }
        };
        if transmit.is_empty() {
            listener.await;
            continue;
        }
        // The whole window goes to the transport in one write call where it
        // fits; partial acceptance is reported as it happens.
        let mut offset = 0;
        while offset < transmit.len() {
            let result = writer.write(&transmit[offset..]).await;
            let mut state = shared.lock();
            let now = shared.clock.now();
            match result {
                Ok(n) if n > 0 => {
                    offset += n;
                    state.pool.handle_written(now, conn, n);
                    shared.drive(&mut state);
                }
                _ => {
                    state.pool.handle_transport_error(now, conn);
                    shared.drive(&mut state);
                    return;
                }
            }
            if state.conns.get(&conn).is_none_or(|p| p.closing) {
                return;
            }
        }
        if writer.flush().await.is_err() {
            let mut state = shared.lock();
            state.pool.handle_transport_error(shared.clock.now(), conn);
            shared.drive(&mut state);
            return;
        }
    }
}
