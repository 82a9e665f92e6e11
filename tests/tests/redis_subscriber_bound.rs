//! A Redis subscriber's stream holds at most 64 events (issue 22, "bounded
//! by construction"), proved without redis-server: a scripted server on
//! loopback confirms one `SUBSCRIBE` and then sends 3,000 messages at once
//! while the test does not read the stream; the stream's count of waiting
//! events reaches its bound and never passes it, then every message is
//! read, in order, the count staying within the bound after each.

use futures_util::StreamExt;
use pipelining_driver::redis::{Message, RedisOptions, Subscriber, SubscriberEvent};
use pipelining_driver::{Client, Glue};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What [`Subscriber`] documents its stream holds at most.
const STREAM_BOUND: usize = 64;
/// Messages the server sends: far more than the stream and the engine's
/// 1,024 hold, and all within the sockets' buffers.
const MESSAGES: usize = 3_000;

/// The first whole command (a RESP array of bulk strings) in `buf`, and its
/// length; `None` until it is all there.
fn command(buf: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    fn line(buf: &[u8], at: &mut usize, prefix: u8) -> Option<usize> {
        let end = *at + buf.get(*at..)?.windows(2).position(|w| w == b"\r\n")?;
        let text = buf.get(*at..end)?;
        assert_eq!(text.first(), Some(&prefix), "not a command: {:?}", String::from_utf8_lossy(buf));
        *at = end + 2;
        std::str::from_utf8(&text[1..]).ok()?.parse().ok()
    }
    let mut at = 0;
    let count = line(buf, &mut at, b'*')?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let len = line(buf, &mut at, b'$')?;
        args.push(buf.get(at..at + len)?.to_vec());
        at += len + 2;
        if at > buf.len() {
            return None;
        }
    }
    Some((args, at))
}

fn bulk(text: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", text.len()).into_bytes();
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
    out
}

/// The message `i` on `news`, as a RESP2 array.
fn message(i: usize) -> Vec<u8> {
    let mut out = b"*3\r\n".to_vec();
    for part in [&b"message"[..], b"news", i.to_string().as_bytes()] {
        out.extend(bulk(part));
    }
    out
}

/// A server for one connection: confirms its `SUBSCRIBE` (anything else
/// gets `+OK`), then sends [`MESSAGES`] messages in one write and reads on
/// until the client goes.
async fn scripted_server(listener: TcpListener) {
    let (mut socket, _) = listener.accept().await.expect("accept");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the client left before subscribing");
        buf.extend_from_slice(&chunk[..n]);
        while let Some((args, len)) = command(&buf) {
            buf.drain(..len);
            if args.first().is_some_and(|name| name.eq_ignore_ascii_case(b"SUBSCRIBE")) {
                let mut reply = b"*3\r\n".to_vec();
                reply.extend(bulk(b"subscribe"));
                reply.extend(bulk(&args[1]));
                reply.extend_from_slice(b":1\r\n");
                let flood: Vec<u8> = (0..MESSAGES).flat_map(message).collect();
                reply.extend(flood);
                socket.write_all(&reply).await.expect("write");
                // Open until the subscriber is dropped.
                while socket.read(&mut chunk).await.is_ok_and(|n| n > 0) {}
                return;
            }
            socket.write_all(b"+OK\r\n").await.expect("write");
        }
    }
}

async fn the_stream_holds_at_most_its_bound<G: Glue>() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = tokio::spawn(scripted_server(listener));
    let builder = Client::<G>::builder().connect_timeout(Duration::from_secs(5));
    let mut subscriber = Subscriber::with_options(&RedisOptions::new("127.0.0.1", port), builder).expect("subscriber");
    subscriber.subscribe("news").await.expect("subscribed");
    // Not read: the stream fills up to its bound and stays there. Sampled
    // by the reader itself, between its takes, so the count is exact.
    let mut most = 0;
    let mut full_for = 0;
    for _ in 0..2_000 {
        let buffered = subscriber.events_waiting();
        assert!(buffered <= STREAM_BOUND, "{buffered} events in the stream, more than {STREAM_BOUND}");
        most = most.max(buffered);
        full_for = if buffered == STREAM_BOUND { full_for + 1 } else { 0 };
        if full_for == 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(most, STREAM_BOUND, "the stream never filled: the test proves nothing");
    // Read now: everything comes, in order, the stream within its bound.
    for i in 0..MESSAGES {
        let event = subscriber.next().await.expect("the stream never ends");
        let expected = Message { channel: "news".into(), pattern: None, payload: i.to_string().into() };
        assert_eq!(event, SubscriberEvent::Message(expected), "message {i}");
        let buffered = subscriber.events_waiting();
        assert!(buffered <= STREAM_BOUND, "{buffered} events in the stream after message {i}");
    }
    assert_eq!(subscriber.events_waiting(), 0, "every message was taken");
    drop(subscriber);
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server saw the close").expect("server");
}

#[test]
fn an_unread_subscriber_stream_holds_at_most_64_events() {
    pipelining_tests::run_on_tokio(the_stream_holds_at_most_its_bound::<pipelining_tokio::Tokio>());
}
