//! One task per streamed request content: it waits until the request's
//! connection asks for the next piece, reads it from the caller's body and
//! hands it over (`docs/DESIGN.md` P5, P8). Small contents of known size
//! never come here: they are collected and sent with the head.

use crate::engine::{SendFactory, Shared};
use crate::request_body::Upload;
use bytes::Bytes;
use pipelining::RequestId;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::Waker;

/// Where a streamed content stands, as the engine holds it.
#[derive(Debug, Default)]
pub(crate) struct UploadSlot {
    /// The connection asked for a piece and none was handed over yet.
    pub(crate) wanted: bool,
    /// The request ended (answered, failed, cancelled): nothing more goes.
    pub(crate) ended: bool,
    /// The task, waiting to be asked.
    pub(crate) waker: Option<Waker>,
}

/// Feeds request `id`'s content to its connection, a piece each time it
/// asks, until the content ends, fails, or the request does.
pub(crate) async fn run<F: SendFactory>(shared: Arc<Shared<F>>, id: RequestId, upload: Upload) {
    let Upload { mut prefix, mut rest, .. } = upload;
    loop {
        if !poll_fn(|cx| shared.upload_turn(id, cx.waker())).await {
            break;
        }
        let (piece, end) = if !prefix.is_empty() {
            (std::mem::take(&mut prefix), rest.is_end_stream())
        } else {
            match poll_fn(|cx| rest.as_mut().poll_frame(cx)).await {
                None => (Bytes::new(), true),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => (data, rest.is_end_stream()),
                    // Request trailers are not sent; the turn stays open.
                    Err(_) => {
                        shared.keep_turn(id);
                        continue;
                    }
                },
                Some(Err(_)) => {
                    shared.abort_upload(id);
                    break;
                }
            }
        };
        if !shared.send_piece(id, piece, end) || end {
            break;
        }
    }
    shared.forget_upload(id);
}
