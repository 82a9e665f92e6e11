//! The JavaScript-facing API of the core, run under Node by
//! `wasm-bindgen-test-runner`:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p pipelining-wasm --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect, Uint8Array};
use pipelining_wasm::{Connection, ConnectionOptions, Pool, PoolOptions, SubmitOptions, error_kinds};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn text(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_else(|| panic!("{key} is not a string in {value:?}"))
}

fn number(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap_or_else(|| panic!("{key} is not a number in {value:?}"))
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        Reflect::set(&object, &JsValue::from_str(key), value).unwrap();
    }
    object.into()
}

fn get_request(target: &str) -> JsValue {
    object(&[("target", target.into())])
}

fn pipelining() -> Option<ConnectionOptions> {
    Some(object(&[("capability", "pipelining".into())]).unchecked_into())
}

fn connection_events(connection: &mut Connection) -> Vec<JsValue> {
    std::iter::from_fn(|| Some(connection.poll_event()).filter(|e| !e.is_undefined())).collect()
}

fn instructions(pool: &mut Pool) -> Vec<JsValue> {
    std::iter::from_fn(|| Some(pool.poll_instruction()).filter(|e| !e.is_undefined())).collect()
}

fn notices(pool: &mut Pool) -> Vec<JsValue> {
    std::iter::from_fn(|| Some(pool.poll_notice()).filter(|e| !e.is_undefined())).collect()
}

/// The ten header words of a packed item (`src/packed.rs`), and the bytes.
fn packed(item: Uint8Array) -> ([u32; 10], Vec<u8>) {
    let bytes = item.to_vec();
    let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    (std::array::from_fn(word), bytes)
}

/// `Pool.submit`'s flag for a whole response.
const WHOLE: u32 = 4;

fn submit(pool: &mut Pool, now: f64, method: &str, target: &str) -> Result<f64, JsValue> {
    pool.submit(
        now,
        "http",
        "example.com",
        8080.0,
        method,
        target,
        JsValue::UNDEFINED,
        JsValue::NULL,
        WHOLE,
        None,
        None,
    )
}

fn types(events: &[JsValue]) -> Vec<String> {
    events.iter().map(|e| text(e, "type")).collect()
}

const THREE_RESPONSES: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nB\r\n0\r\n\r\n\
HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

#[wasm_bindgen_test]
fn three_requests_go_out_in_one_transmit_and_come_back_matched_byte_by_byte() {
    let mut connection = Connection::new(0.0, "example.com", pipelining()).unwrap();
    let ids: Vec<f64> =
        ["/a", "/b", "/c"].iter().map(|t| connection.submit(1.0, get_request(t), None).unwrap()).collect();
    assert_eq!(ids, [0.0, 1.0, 2.0]);
    let transmit = connection.poll_transmit(1.0).expect("a transmit").to_vec();
    assert_eq!(
        transmit,
        b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\nGET /b HTTP/1.1\r\nHost: example.com\r\n\r\n\
GET /c HTTP/1.1\r\nHost: example.com\r\n\r\n"
    );
    assert!(connection.poll_transmit(1.0).is_none(), "nothing more until the transmit is written");
    connection.handle_written(2.0, transmit.len());
    assert_eq!(types(&connection_events(&mut connection)), ["written", "written", "written"]);
    assert_eq!(connection.in_flight(), 3);
    let mut events = Vec::new();
    for byte in THREE_RESPONSES {
        connection.handle_received(3.0, std::slice::from_ref(byte));
        events.extend(connection_events(&mut connection));
    }
    let mut statuses = Vec::new();
    let mut bodies = vec![Vec::new(); 3];
    let mut ended = Vec::new();
    for event in &events {
        if text(event, "type") != "response" {
            continue;
        }
        let id = number(event, "id") as usize;
        let part = get(event, "part");
        match text(&part, "type").as_str() {
            "head" => {
                statuses.push(number(&part, "status") as u16);
                assert_eq!(text(&part, "version"), "1.1");
            }
            "data" => bodies[id].extend(get(&part, "data").unchecked_into::<Uint8Array>().to_vec()),
            "end" => {
                assert_eq!(get(event, "end"), JsValue::TRUE);
                ended.push(id);
            }
            other => panic!("unexpected part {other}"),
        }
    }
    assert_eq!(statuses, [200, 200, 404]);
    assert_eq!(bodies, [b"A".to_vec(), b"B".to_vec(), Vec::new()]);
    assert_eq!(ended, [0, 1, 2], "one terminal event per request, in order");
    assert_eq!(connection.responses(), 3.0);
}

#[wasm_bindgen_test]
fn an_unknown_server_gets_one_request_until_it_answers_in_http_1_1() {
    let mut connection = Connection::new(0.0, "h", None).unwrap();
    assert_eq!(connection.capability().as_string().unwrap(), "unknown");
    connection.submit(0.0, get_request("/1"), None).unwrap();
    connection.submit(0.0, get_request("/2"), None).unwrap();
    let first = connection.poll_transmit(0.0).unwrap();
    assert_eq!(first.to_vec(), b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
    connection.handle_written(0.0, first.length() as usize);
    assert!(connection.poll_transmit(0.0).is_none(), "the probe goes alone");
    connection.handle_received(1.0, b"HTTP/1.1 204 No Content\r\n\r\n");
    let events = connection_events(&mut connection);
    assert!(events.iter().any(|e| text(e, "type") == "capability" && text(e, "capability") == "pipelining"));
    assert_eq!(connection.poll_transmit(1.0).unwrap().to_vec(), b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
}

#[wasm_bindgen_test]
fn misuse_throws_an_error_with_a_c5_kind() {
    let mut connection = Connection::new(0.0, "h", Some(object(&[("queueLimit", 1.into())]).unchecked_into())).unwrap();
    let bad_method = object(&[("method", "G ET".into()), ("target", "/".into())]);
    let error = connection.submit(0.0, bad_method, None).unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(&error, "kind"), "invalid_request");
    let smuggling = get_request("/a\r\nX: y");
    let error = connection.submit(0.0, smuggling, None).unwrap_err();
    assert_eq!((text(&error, "kind"), text(&error, "code")), ("invalid_request".into(), "invalid".into()));
    connection.submit(0.0, get_request("/1"), None).unwrap();
    let error = connection.submit(0.0, get_request("/2"), None).unwrap_err();
    assert_eq!((text(&error, "kind"), text(&error, "code")), ("limit".into(), "queue_full".into()));
    let error = Connection::new(0.0, "h", Some(object(&[("depth", "deep".into())]).unchecked_into())).unwrap_err();
    assert_eq!(text(&error, "kind"), "invalid_request");
    let error = connection.submit(0.0, JsValue::from_str("/just-a-string"), None).unwrap_err();
    assert_eq!(text(&error, "kind"), "invalid_request");
    let options: SubmitOptions = object(&[("idempotency", "sometimes".into())]).unchecked_into();
    let error = connection.submit(0.0, get_request("/3"), Some(options)).unwrap_err();
    assert_eq!(text(&error, "kind"), "invalid_request");
}

#[wasm_bindgen_test]
fn times_are_milliseconds_on_the_callers_clock() {
    let options = object(&[("stallTimeoutMs", 500.into()), ("capability", "pipelining".into())]);
    let mut connection = Connection::new(1_000.0, "h", Some(options.unchecked_into())).unwrap();
    connection.submit(1_000.0, get_request("/slow"), None).unwrap();
    let transmit = connection.poll_transmit(1_000.0).unwrap();
    connection.handle_written(1_000.25, transmit.length() as usize);
    assert_eq!(connection.poll_timeout(), Some(1_500.25), "the stall timer restarts on the write");
    connection.handle_timeout(1_400.0);
    assert!(types(&connection_events(&mut connection)).iter().all(|t| t == "written"), "not due yet");
    connection.handle_timeout(1_500.25);
    let events = connection_events(&mut connection);
    let failed = events.iter().find(|e| text(e, "type") == "failed").expect("a failure");
    assert_eq!(text(failed, "kind"), "timeout");
    assert_eq!(text(failed, "progress"), "written");
    assert_eq!(text(failed, "retry"), "replay");
    let closed = events.last().unwrap();
    assert_eq!((text(closed, "type"), text(closed, "reason")), ("closed".into(), "stall_timeout".into()));
    assert!(connection.is_closed());
    assert_eq!(connection.poll_timeout(), None);
}

#[wasm_bindgen_test]
fn interim_responses_and_latin1_header_bytes_are_reported() {
    let mut connection = Connection::new(0.0, "h", pipelining()).unwrap();
    let request = object(&[
        ("method", "POST".into()),
        ("target", "/upload".into()),
        ("headers", Array::of1(&Array::of2(&"X-Name".into(), &"caf\u{e9}".into())).into()),
        ("body", "data".into()),
    ]);
    connection.submit(0.0, request, None).unwrap();
    let transmit = connection.poll_transmit(0.0).unwrap().to_vec();
    assert!(transmit.windows(11).any(|w| w == b"X-Name: caf"), "{transmit:?}");
    assert!(transmit.ends_with(b"Content-Length: 4\r\n\r\ndata"));
    assert!(transmit.contains(&0xE9), "one byte per character");
    connection.handle_written(0.0, transmit.len());
    connection.handle_received(1.0, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-V: \xE9t\xE9\r\n");
    connection.handle_received(1.0, b"Content-Length: 0\r\n\r\n");
    let parts: Vec<JsValue> = connection_events(&mut connection)
        .into_iter()
        .filter(|e| text(e, "type") == "response")
        .map(|e| get(&e, "part"))
        .collect();
    assert_eq!(types(&parts), ["interim", "head", "end"]);
    assert_eq!(number(&parts[0], "status"), 100.0);
    let headers: Array = get(&parts[1], "headers").unchecked_into();
    let field: Array = headers.get(0).unchecked_into();
    assert_eq!(field.get(0).as_string().unwrap(), "X-V");
    assert_eq!(field.get(1).as_string().unwrap(), "\u{e9}t\u{e9}");
}

#[wasm_bindgen_test]
fn the_pool_asks_for_connections_and_hands_over_packed_outcomes() {
    let options: PoolOptions = object(&[("connections", 1.into())]).unchecked_into();
    let mut pool = Pool::new(Some(options)).unwrap();
    let id = submit(&mut pool, 0.0, "GET", "/x").unwrap();
    assert_eq!(pool.pending(), 1);
    let connect = instructions(&mut pool);
    assert_eq!(types(&connect), ["connect"]);
    let conn = number(&connect[0], "conn");
    assert_eq!(text(&get(&connect[0], "origin"), "host"), "example.com");
    pool.handle_connected(1.0, conn);
    let data = pool.poll_transmit(1.0).expect("a transmit").to_vec();
    assert_eq!(pool.transmit_conn(), conn);
    assert_eq!(data, b"GET /x HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    pool.handle_written(1.0, conn, data.len());
    pool.handle_received(2.0, conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    let told = notices(&mut pool);
    assert!(told.iter().any(|n| n.as_f64() == Some(id)), "{told:?}");
    let (words, bytes) = packed(pool.take(2.0, id).expect("an item"));
    // Version 1, a whole response, written once, status 200, HTTP/1.1.
    assert_eq!(words[..5], [1, 0, 1, 200, 1]);
    assert!(bytes.ends_with(b"hi"));
    assert!(pool.take(2.0, id).is_none(), "the last item was taken");
    assert_eq!(pool.pending(), 0);
    let status = pool.origin_status(2.0, "http", "example.com", 8080.0).unwrap();
    assert_eq!(text(&status, "capability"), "pipelining");
    assert_eq!(number(&status, "open"), 1.0);
}

#[wasm_bindgen_test]
fn a_post_lost_after_writing_fails_as_may_have_been_processed() {
    let mut pool = Pool::new(None).unwrap();
    let id = submit(&mut pool, 0.0, "POST", "/order").unwrap();
    let conn = number(&instructions(&mut pool)[0], "conn");
    pool.handle_connected(0.0, conn);
    let data = pool.poll_transmit(0.0).unwrap();
    assert!(data.to_vec().ends_with(b"Content-Length: 0\r\n\r\n"));
    pool.handle_written(0.0, conn, data.length() as usize);
    pool.handle_eof(1.0, conn);
    let close = instructions(&mut pool).into_iter().find(|i| text(i, "type") == "close").expect("a close");
    assert_eq!(number(&close, "conn"), conn);
    assert_eq!(text(&get(&close, "summary"), "reason"), "peer_closed");
    let (words, bytes) = packed(pool.take(1.0, id).expect("a failure"));
    let kind = pipelining::ErrorKind::ALL.iter().position(|k| *k == pipelining::ErrorKind::MayHaveBeenProcessed);
    assert_eq!(words[1], 1, "failed");
    assert_eq!(words[2], 1, "written once");
    assert_eq!(Some(words[3] as usize), kind);
    let message = String::from_utf8(bytes[40..40 + words[8] as usize].to_vec()).unwrap();
    assert!(!message.is_empty());
    assert!(pool.poll_transmit(1.0).is_none(), "never resent");
}

#[wasm_bindgen_test]
fn callers_beyond_a_full_queue_wait_in_line() {
    let options: PoolOptions = object(&[("queueLimit", 1.into())]).unchecked_into();
    let mut pool = Pool::new(Some(options)).unwrap();
    submit(&mut pool, 0.0, "GET", "/1").unwrap();
    assert_eq!(submit(&mut pool, 0.0, "GET", "/2").unwrap(), -1.0, "no room");
    let first = pool.wait_for_room(0.0, "http", "example.com", 8080.0).unwrap();
    let second = pool.wait_for_room(0.0, "http", "example.com", 8080.0).unwrap();
    assert_eq!(pool.waiting(), 2);
    let conn = number(&instructions(&mut pool)[0], "conn");
    pool.handle_connected(1.0, conn);
    assert!(pool.poll_transmit(1.0).is_some(), "/1 leaves the queue for the connection");
    let room = notices(&mut pool);
    assert_eq!(types(&room), ["room"]);
    assert_eq!(number(&room[0], "waiter"), first);
    let args = ("http", "example.com", 8080.0, "GET");
    let retry = |pool: &mut Pool, waiter: f64, target: &str| {
        pool.submit_waiting(
            2.0,
            waiter,
            args.0,
            args.1,
            args.2,
            args.3,
            target,
            JsValue::UNDEFINED,
            JsValue::NULL,
            WHOLE,
            None,
            None,
        )
    };
    assert_eq!(retry(&mut pool, second, "/3").unwrap(), -1.0, "not its turn");
    assert!(retry(&mut pool, first, "/2").unwrap() >= 0.0);
    pool.cancel_waiting(second);
    assert_eq!(pool.waiting(), 0);
}

#[wasm_bindgen_test]
fn settings_that_cannot_work_are_refused() {
    for setting in ["depth", "connections", "maxTries", "queueLimit"] {
        let options: PoolOptions = object(&[(setting, 0.into())]).unchecked_into();
        let error = Pool::new(Some(options)).unwrap_err();
        assert_eq!(text(&error, "kind"), "invalid_request");
        assert_eq!(text(&error, "message"), format!("{setting} must be at least 1"));
    }
}

#[wasm_bindgen_test]
fn error_kinds_are_the_c5_names() {
    let names: Vec<String> = error_kinds().iter().map(|k| k.as_string().unwrap()).collect();
    let core: Vec<&str> = pipelining::ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, core);
}
