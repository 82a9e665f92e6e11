//! Response vectors for the HTTP/1.1 decoder, written from RFC 9112 §§2–7
//! and RFC 9110 §§8, 15: each input with the items or the exact error it must
//! give. Every vector runs whole, one byte at a time and split at every
//! offset (see `support`), and must also leave exactly the expected bytes
//! unread.

mod support;

// The vocabulary of every file of the table (each one `use super::*`).
use pipelining::h1::{
    ConnectionSignals, DecodeError, Framing, HeadSyntax, Limits, Method, ResponseDecoder, ResponseHead, ResponsePart,
    Version,
};
use std::collections::HashSet;

use DecodeError as E;
use Framing::{Chunked, Empty, Length, Tunnel, UntilClose};

// ---------------------------------------------------------------------------
// The table's vocabulary, in `h1_response_vectors/table.rs`.

#[path = "h1_response_vectors/table.rs"]
mod table;

use table::*;

// ---------------------------------------------------------------------------
// The vectors: one family per file, in `h1_response_vectors/`.

#[path = "h1_response_vectors/bodiless.rs"]
mod bodiless;
#[path = "h1_response_vectors/chunked.rs"]
mod chunked;
#[path = "h1_response_vectors/connection.rs"]
mod connection;
#[path = "h1_response_vectors/content_length.rs"]
mod content_length;
#[path = "h1_response_vectors/eof.rs"]
mod eof;
#[path = "h1_response_vectors/field_line.rs"]
mod field_line;
#[path = "h1_response_vectors/interim.rs"]
mod interim;
#[path = "h1_response_vectors/limit.rs"]
mod limit;
#[path = "h1_response_vectors/pipelined.rs"]
mod pipelined;
#[path = "h1_response_vectors/status_line.rs"]
mod status_line;
#[path = "h1_response_vectors/transfer_encoding.rs"]
mod transfer_encoding;
#[path = "h1_response_vectors/tunnel.rs"]
mod tunnel;

use bodiless::bodiless_vectors;
use chunked::chunked_vectors;
use connection::connection_vectors;
use content_length::content_length_vectors;
use eof::eof_vectors;
use field_line::field_line_vectors;
use interim::interim_vectors;
use limit::limit_vectors;
use pipelined::pipelined_vectors;
use status_line::status_line_vectors;
use transfer_encoding::transfer_encoding_vectors;
use tunnel::tunnel_vectors;

fn all_vectors() -> Vec<Vector> {
    [
        status_line_vectors(),
        interim_vectors(),
        tunnel_vectors(),
        bodiless_vectors(),
        content_length_vectors(),
        transfer_encoding_vectors(),
        chunked_vectors(),
        field_line_vectors(),
        connection_vectors(),
        eof_vectors(),
        limit_vectors(),
        pipelined_vectors(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn status_lines_are_parsed_or_rejected_as_rfc_9112_section_4_says() {
    check(&status_line_vectors());
}

#[test]
fn interim_responses_are_reported_before_the_final_response() {
    check(&interim_vectors());
}

#[test]
fn switching_protocols_and_connect_2xx_end_http_on_the_connection() {
    check(&tunnel_vectors());
}

#[test]
fn head_204_and_304_responses_have_no_content_whatever_their_framing_fields() {
    check(&bodiless_vectors());
}

#[test]
fn content_length_is_digits_only_and_a_list_only_of_identical_values() {
    check(&content_length_vectors());
}

#[test]
fn transfer_encoding_is_chunked_only_when_chunked_is_last() {
    check(&transfer_encoding_vectors());
}

#[test]
fn chunked_bodies_are_decoded_strictly_with_trailers_apart() {
    check(&chunked_vectors());
}

#[test]
fn field_lines_are_unfolded_and_bad_bytes_rejected() {
    check(&field_line_vectors());
}

#[test]
fn connection_signals_follow_version_connection_tokens_and_keep_alive() {
    check(&connection_vectors());
}

#[test]
fn eof_ends_read_to_close_bodies_and_truncates_anything_else() {
    check(&eof_vectors());
}

#[test]
fn each_limit_is_enforced_with_its_own_error() {
    check(&limit_vectors());
}

#[test]
fn pipelined_responses_are_decoded_against_the_queue_of_request_methods() {
    check(&pipelined_vectors());
}

#[test]
fn the_table_holds_at_least_80_uniquely_named_vectors() {
    let vectors = all_vectors();
    let names: HashSet<&str> = vectors.iter().map(|v| v.name).collect();
    assert_eq!(names.len(), vectors.len(), "vector names must be unique");
    assert!(vectors.len() >= 80, "only {} vectors", vectors.len());
}

#[test]
fn the_decoder_refuses_every_call_after_a_framing_error() {
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut buf = bytes::BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nA"[..]);
    assert_eq!(
        decoder.decode(&mut buf, &Method::GET),
        Err(DecodeError::ConflictingContentLength { first: 1, second: 2 })
    );
    assert!(decoder.is_dead());
    let mut good = bytes::BytesMut::from(&b"HTTP/1.1 204 No Content\r\n\r\n"[..]);
    assert_eq!(decoder.decode(&mut good, &Method::GET), Err(DecodeError::Dead));
    assert_eq!(decoder.decode_eof(&mut good, &Method::GET), Err(DecodeError::Dead));
    assert_eq!(decoder.decode(&mut bytes::BytesMut::new(), &Method::GET), Err(DecodeError::Dead));
    assert_eq!(&good[..], b"HTTP/1.1 204 No Content\r\n\r\n", "a dead decoder reads nothing");
}

#[test]
fn after_an_interim_response_the_response_is_still_in_progress() {
    use pipelining::pipeline::Remaining;
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut buf = bytes::BytesMut::from(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]);
    assert!(decoder.is_between_responses());
    assert_eq!(decoder.remaining(&buf), Remaining::Head);
    assert!(matches!(decoder.decode(&mut buf, &Method::POST), Ok(Some(ResponsePart::Interim(_)))));
    assert_eq!(decoder.decode(&mut buf, &Method::POST), Ok(None));
    assert!(buf.is_empty());
    assert!(!decoder.is_between_responses(), "the final response is still due");
    assert_eq!(decoder.remaining(&buf), Remaining::Head);
    buf.extend_from_slice(b"HTTP/1.1 204 No Content\r\n\r\n");
    assert!(matches!(decoder.decode(&mut buf, &Method::POST), Ok(Some(ResponsePart::Head(_)))));
    assert_eq!(decoder.decode(&mut buf, &Method::POST), Ok(Some(ResponsePart::End)));
    assert!(decoder.is_between_responses());
    assert_eq!(decoder.remaining(&buf), Remaining::Nothing);
    assert_eq!(decoder.decode_eof(&mut buf, &Method::GET), Ok(None), "EOF after the final response is clean");
}
