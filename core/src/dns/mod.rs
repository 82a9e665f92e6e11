//! DNS over TCP (RFC 1035 §4.2.2, RFC 7766): the protocol that matches
//! answers to queries by message ID, in any order.
//!
//! Queries are pipelined on one connection like HTTP requests, but the
//! [`DnsCodec`] tells the pipeline to match by wire correlation id: each
//! query gets an ID unique among its origin's outstanding queries, kept when
//! it is replayed on another connection.

mod codec;
mod error;
mod message;
mod name;
mod wire;

pub use codec::{DnsCodec, DnsFactory};
pub use error::{DnsError, QueryError};
pub use message::{CLASS_IN, DnsHeader, DnsMessage, DnsQuery, Question, Record, RecordType, rcode_name};
pub use wire::{decode_message, encode_query};
