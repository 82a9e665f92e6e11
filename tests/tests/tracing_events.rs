//! The `tracing` feature (issue 20): a span per connection and per request,
//! and events for what the pool learns and for replays, seen by a
//! subscriber of the test's own.

use bytes::Bytes;
use http_body_util::Empty;
use pipelining_tests::raw::{RawServer, Step};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every span opened and event recorded, as "name field=value …" lines.
#[derive(Clone, Default)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = Line(format!("span {}", span.metadata().name()));
        span.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
        Id::from_u64(self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line(String::from("event"));
        event.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn spans_and_events_name_connections_requests_lessons_and_replays() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            // The first connection resets after reading its first request.
            let server =
                RawServer::start(|r| if r.conn == 0 { vec![Step::Reset] } else { vec![Step::Write(r.echo())] });
            let client = pipelining_tokio::Client::builder().connections(1).build().expect("client");
            let request = http::Request::get(server.url("/traced")).body(Empty::<Bytes>::new()).expect("request");
            let response = client.send(request).await.expect("replayed and answered");
            assert_eq!(response.status(), 200);
            client.close().await;
        });
    });
    let lines = recorder.lines.lock().unwrap().clone();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(has("span request") && has("uri=/traced") || has("/traced"), "{lines:#?}");
    assert!(has("span connection"), "{lines:#?}");
    assert!(has("message=connecting") && has("message=connected"), "{lines:#?}");
    assert!(has("message=learned") && has("fact=pipelines"), "the capability lesson: {lines:#?}");
    assert!(has("message=answered after a replay") && has("attempts=2"), "{lines:#?}");
    assert!(has("message=connection closed"), "{lines:#?}");
}
