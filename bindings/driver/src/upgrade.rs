//! Taking over a connection after an upgrade (`101 Switching Protocols`,
//! RFC 9110 §15.2.2; a `CONNECT` tunnel, §9.3.6): the response's caller
//! gets the transport and the bytes of the new protocol read already. The
//! request was written alone, with nothing behind it (`docs/DESIGN.md` P5),
//! so nothing else is lost with the connection.

use crate::engine::{SendFactory, Shared};
use crate::error::Error;
use crate::runtime::{BoxTransport, Transport};
use bytes::{Buf, Bytes, BytesMut};
use pipelining::{ErrorKind, RequestId};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A connection waiting for its new owner: held by the engine from the
/// upgrade until [`OnUpgrade`] takes it or is dropped.
pub(crate) struct UpgradeSlot {
    /// Bytes of the new protocol read with the response.
    pub(crate) leftover: Bytes,
    /// The transport, once its connection task let it go.
    pub(crate) transport: Option<BoxTransport>,
    /// Whoever awaits it.
    pub(crate) waker: Option<Waker>,
    /// A response claimed it (the caller holds an [`OnUpgrade`]): a cancel
    /// of the request no longer drops it.
    pub(crate) claimed: bool,
}

/// The connection of an upgraded response, to await: in the response's
/// extensions (`send`) or from [`RawResponse::upgrade`](crate::RawResponse::upgrade).
/// Clones share one connection: the first to await it gets it. Dropping
/// the last clone before that closes the connection.
#[derive(Clone)]
pub struct OnUpgrade {
    claim: Arc<Claim>,
}

/// One claim on an upgraded connection; dropping it lets the connection go.
struct Claim {
    shared: Arc<dyn UpgradeSource>,
    id: RequestId,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.shared.drop_upgrade(self.id);
    }
}

/// The engine as seen from an [`OnUpgrade`], whatever its codec.
pub(crate) trait UpgradeSource: Send + Sync {
    fn poll_upgrade(&self, id: RequestId, waker: &Waker) -> Poll<Option<(BoxTransport, Bytes)>>;
    fn drop_upgrade(&self, id: RequestId);
}

impl<F: SendFactory> UpgradeSource for Shared<F> {
    fn poll_upgrade(&self, id: RequestId, waker: &Waker) -> Poll<Option<(BoxTransport, Bytes)>> {
        let mut state = self.lock();
        let Some(slot) = state.upgrades.get_mut(&id) else { return Poll::Ready(None) };
        match slot.transport.take() {
            Some(transport) => {
                let leftover = std::mem::take(&mut slot.leftover);
                state.upgrades.remove(&id);
                Poll::Ready(Some((transport, leftover)))
            }
            None => {
                slot.waker = Some(waker.clone());
                Poll::Pending
            }
        }
    }

    fn drop_upgrade(&self, id: RequestId) {
        // The transport, if here, is dropped with the slot: closed.
        let slot = self.lock().upgrades.remove(&id);
        drop(slot);
    }
}

impl OnUpgrade {
    /// Request `id`'s upgraded connection, claimed (its slot marked).
    pub(crate) fn new<F: SendFactory>(shared: Arc<Shared<F>>, id: RequestId) -> OnUpgrade {
        let shared: Arc<dyn UpgradeSource> = shared;
        OnUpgrade { claim: Arc::new(Claim { shared, id }) }
    }
}

impl std::fmt::Debug for OnUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OnUpgrade").field(&self.claim.id).finish()
    }
}

impl Future for OnUpgrade {
    type Output = Result<Upgraded, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.claim.shared.poll_upgrade(self.claim.id, cx.waker()) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some((transport, leftover))) => Poll::Ready(Ok(Upgraded::new(transport, leftover))),
            Poll::Ready(None) => {
                Poll::Ready(Err(Error::new(ErrorKind::ConnectionLost, "the upgraded connection is gone")))
            }
        }
    }
}

/// Awaits the upgraded connection of a response from
/// [`Client::send`](crate::Client::send): its [`OnUpgrade`] extension.
pub fn on<B>(response: &mut http::Response<B>) -> OnUpgrade {
    response.extensions_mut().remove::<OnUpgrade>().unwrap_or_else(OnUpgrade::none)
}

impl OnUpgrade {
    /// An upgrade that never comes: the response did not upgrade.
    pub(crate) fn none() -> OnUpgrade {
        struct Nothing;
        impl UpgradeSource for Nothing {
            fn poll_upgrade(&self, _: RequestId, _: &Waker) -> Poll<Option<(BoxTransport, Bytes)>> {
                Poll::Ready(None)
            }
            fn drop_upgrade(&self, _: RequestId) {}
        }
        OnUpgrade { claim: Arc::new(Claim { shared: Arc::new(Nothing), id: RequestId::from_raw(u64::MAX) }) }
    }
}

/// A connection taken over after an upgrade: the bytes of the new protocol
/// read already come first, then the transport's. Reads and writes through
/// `futures-io` (the runtime crates adapt it to their own traits).
pub struct Upgraded {
    transport: BoxTransport,
    leftover: Bytes,
    /// Bytes read from the transport and not yet handed out.
    buffer: BytesMut,
}

impl Upgraded {
    fn new(transport: BoxTransport, leftover: Bytes) -> Self {
        Upgraded { transport, leftover, buffer: BytesMut::new() }
    }

    /// The transport and the bytes of the new protocol read before it was
    /// handed over.
    pub fn into_parts(self) -> (BoxTransport, Bytes) {
        let Upgraded { transport, mut leftover, buffer } = self;
        if !buffer.is_empty() {
            let mut joined = BytesMut::from(&leftover[..]);
            joined.extend_from_slice(&buffer);
            leftover = joined.freeze();
        }
        (transport, leftover)
    }

    /// Reads into `out`; 0 at the end of the stream.
    pub fn poll_read_into(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        if !self.leftover.is_empty() {
            let n = out.len().min(self.leftover.len());
            out[..n].copy_from_slice(&self.leftover[..n]);
            self.leftover.advance(n);
            return Poll::Ready(Ok(n));
        }
        if self.buffer.is_empty() {
            self.buffer.reserve(out.len().max(1024));
            match self.transport.poll_read_buf(cx, &mut self.buffer) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(0)),
                Poll::Ready(Ok(_)) => {}
                other => return other,
            }
        }
        let n = out.len().min(self.buffer.len());
        out[..n].copy_from_slice(&self.buffer[..n]);
        self.buffer.advance(n);
        Poll::Ready(Ok(n))
    }
}

impl std::fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgraded").field("leftover", &self.leftover.len()).finish_non_exhaustive()
    }
}

impl Transport for Upgraded {
    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
        if !self.leftover.is_empty() || !self.buffer.is_empty() {
            let n = self.leftover.len() + self.buffer.len();
            buf.extend_from_slice(&self.leftover);
            buf.extend_from_slice(&self.buffer);
            self.leftover.clear();
            self.buffer.clear();
            return Poll::Ready(Ok(n));
        }
        self.transport.poll_read_buf(cx, buf)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.transport.poll_write(cx, data)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.transport.poll_flush(cx)
    }
}

impl futures_io::AsyncRead for Upgraded {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_into(cx, buf)
    }
}

impl futures_io::AsyncWrite for Upgraded {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().transport.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().transport.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().transport.poll_flush(cx)
    }
}
