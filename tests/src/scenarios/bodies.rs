//! Request bodies and what every request carries (issue 20): any
//! `http_body::Body`, collected when small and of known size, streamed
//! otherwise (`Content-Length` or chunked, `Expect: 100-continue` when
//! large), never resent once a stream was written; the default
//! `User-Agent`, URL userinfo as `Authorization: Basic`, a per-request
//! timeout, and the client as a `tower::Service`.

use super::support::*;
use crate::echo_body;
use crate::hyper_server::HyperServer;
use crate::raw::{RawServer, Step};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use pipelining_driver::{ErrorKind, Glue, RequestTimeout};
use std::convert::Infallible;
use std::time::Duration;

type Frame = Result<http_body::Frame<Bytes>, Infallible>;
type Frames = futures_channel::mpsc::UnboundedSender<Frame>;
type FramesBody = StreamBody<futures_channel::mpsc::UnboundedReceiver<Frame>>;

/// A body whose frames come from a channel, of unknown size.
fn channel_body() -> (Frames, FramesBody) {
    let (tx, rx) = futures_channel::mpsc::unbounded();
    (tx, StreamBody::new(rx))
}

/// A small body of known size goes with its head, and a request carrying
/// it is replayed like any other: the first connection resets after
/// reading it.
pub(crate) async fn body_small_is_collected_and_replayable<G: Glue>() {
    let server = RawServer::start(|r| if r.conn == 0 { vec![Step::Reset] } else { vec![Step::Write(r.echo())] });
    let (tapped_builder, wire) = tapped(builder::<G>().connections(1));
    let client = build(tapped_builder);
    let request =
        http::Request::put(server.url("/small")).body(Full::new(Bytes::from_static(b"0123456789"))).expect("request");
    let got = read(client.send(request).await).await.expect("replayed and answered");
    assert_eq!(got.status, 200);
    assert_eq!(got.attempts, 2, "resent after the reset: a whole content can be");
    let puts: Vec<_> = wire.requests().into_iter().filter(|r| r.target == "/small").collect();
    assert_eq!(puts.len(), 2);
    for put in &puts {
        assert_eq!(put.body, b"0123456789");
        assert_eq!(put.header("content-length"), Some("10"));
        assert_eq!(put.header("expect"), None);
    }
}

/// A body of unknown size streams chunked behind `Expect: 100-continue`,
/// its pieces as they come; hyper answers the `100` and echoes the
/// content.
pub(crate) async fn body_stream_of_unknown_size_goes_chunked<G: Glue>() {
    let server = HyperServer::start();
    let (tapped_builder, wire) = tapped(builder::<G>().connections(1));
    let client = build(tapped_builder);
    let (tx, body) = channel_body();
    let request = http::Request::post(server.url("/stream")).body(body).expect("request");
    let response = client.send(request);
    let feeder = async move {
        for piece in ["one ", "two ", "three"] {
            sleep::<G>(Duration::from_millis(20)).await;
            tx.unbounded_send(Ok(http_body::Frame::data(Bytes::from_static(piece.as_bytes())))).expect("send");
        }
        drop(tx);
    };
    let (response, ()) = futures_util::future::join(response, feeder).await;
    let body = response.expect("response").into_body().collect().await.expect("body").to_bytes();
    assert_eq!(body, format!("{} one two three", echo_body("POST", "/stream")).as_bytes());
    let post = wire.requests().into_iter().find(|r| r.target == "/stream").expect("written in full");
    assert_eq!(post.header("transfer-encoding"), Some("chunked"));
    assert_eq!(post.header("expect"), Some("100-continue"));
    assert_eq!(post.body, b"one two three");
}

/// A large body of known size streams under `Content-Length`, behind
/// `Expect: 100-continue`.
pub(crate) async fn body_large_known_size_streams_under_content_length<G: Glue>() {
    let server = HyperServer::start();
    let (tapped_builder, wire) = tapped(builder::<G>().connections(1));
    let client = build(tapped_builder);
    let content = Bytes::from(crate::pattern(2 * 1024 * 1024));
    let request = http::Request::put(server.url("/large")).body(Full::new(content.clone())).expect("request");
    let response = client.send(request).await.expect("response");
    assert_eq!(response.extensions().get::<pipelining_driver::Attempts>().map(|a| a.0), Some(1));
    let body = response.into_body().collect().await.expect("body").to_bytes();
    let head = format!("{} ", echo_body("PUT", "/large"));
    assert_eq!(&body[..head.len()], head.as_bytes());
    assert!(body[head.len()..] == content[..], "the server got every byte");
    let put = wire.requests().into_iter().find(|r| r.target == "/large").expect("written in full");
    assert_eq!(put.header("content-length"), Some("2097152"));
    assert_eq!(put.header("expect"), Some("100-continue"));
}

/// A streamed content lost after it began is never resent: a PUT fails
/// `connection_lost`, a POST `may_have_been_processed`.
pub(crate) async fn body_stream_lost_is_never_resent<G: Glue>() {
    // The server reads the head and some content, then resets.
    let server = crate::cutting_server::cutting_server(64);
    for (method, kind) in [("PUT", ErrorKind::ConnectionLost), ("POST", ErrorKind::MayHaveBeenProcessed)] {
        let client = build(builder::<G>().connections(1));
        let (tx, body) = channel_body();
        tx.unbounded_send(Ok(http_body::Frame::data(Bytes::from(vec![b'x'; 1024])))).expect("send");
        let request = http::Request::builder().method(method).uri(server.url("/lost")).body(body).expect("request");
        let got = read(client.send(request).await).await;
        let error = expect_err(method, &got, kind);
        assert_eq!(error.attempts(), 1, "{method}: written once, never again");
        drop(tx);
    }
    assert_eq!(server.heads(), 2, "each request reached the server once");
}

/// What every request carries: the default `User-Agent`, the URL's
/// credentials as `Authorization: Basic`, never the userinfo itself.
pub(crate) async fn request_defaults_and_userinfo_on_the_wire<G: Glue>() {
    let server = RawServer::echo();
    let (tapped_builder, wire) = tapped(builder::<G>());
    let client = build(tapped_builder);
    let url = format!("http://alice:s%3Acret@{}/who", server.addr());
    let got = read(client.get(&url).await).await;
    expect_echo("GET", "/who", &got);
    let sent = wire.requests().into_iter().find(|r| r.target == "/who").expect("written");
    assert_eq!(sent.header("user-agent"), Some(pipelining_driver::USER_AGENT));
    // alice:s:cret
    assert_eq!(sent.header("authorization"), Some("Basic YWxpY2U6czpjcmV0"));
    // Another agent, set on the builder.
    let (tapped_builder, wire) = tapped(builder::<G>().user_agent(Some(http::HeaderValue::from_static("probe/2"))));
    let client = build(tapped_builder);
    expect_echo("GET", "/ua", &read(client.get(&server.url("/ua")).await).await);
    let sent = wire.requests().into_iter().find(|r| r.target == "/ua").expect("written");
    assert_eq!(sent.header("user-agent"), Some("probe/2"));
}

/// A `RequestTimeout` in a request's extensions bounds that request alone.
pub(crate) async fn request_timeout_extension_bounds_one_request<G: Glue>() {
    let server =
        RawServer::start(|r| if r.target() == "/slow" { vec![Step::Silent] } else { vec![Step::Write(r.echo())] });
    let client = build(builder::<G>().connections(2));
    let mut slow = request("GET", &server.url("/slow"), "");
    slow.extensions_mut().insert(RequestTimeout(Duration::from_millis(200)));
    let got = read(client.send(slow).await).await;
    expect_err("GET /slow", &got, ErrorKind::Timeout);
    expect_echo("GET", "/fine", &read(client.get(&server.url("/fine")).await).await);
}

/// The client is a `tower::Service`: ready, and its calls are sends.
pub(crate) async fn client_is_a_tower_service<G: Glue>() {
    use tower::ServiceExt;
    let server = HyperServer::start();
    let client = build(builder::<G>());
    let request =
        http::Request::get(server.url("/tower")).body(http_body_util::Empty::<Bytes>::new()).expect("request");
    let response = client.clone().oneshot(request).await.expect("response");
    let body = response.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(body, echo_body("GET", "/tower").as_bytes());
    client.close().await;
    let mut closed = client.clone();
    let ready =
        std::future::poll_fn(|cx| tower_service::Service::<http::Request<Full<Bytes>>>::poll_ready(&mut closed, cx))
            .await;
    assert_eq!(ready.expect_err("closed").kind(), ErrorKind::ConnectionLost);
}
