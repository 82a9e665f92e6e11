//! The HTTP/1.1 codec (RFC 9112): request encoding and response decoding.
//!
//! It knows nothing of pipelines or pools. Response heads are parsed by
//! `httparse`; everything httparse leaves open is ours: the status range,
//! obs-fold, body framing (RFC 9112 §6.3), the chunked coding with strict
//! size lines, trailers, the connection signals, and a limit on everything a
//! peer controls.

mod chunked;
mod codec;
mod content_plan;
mod decode;
mod encode;
mod error;
mod fields;
mod framing;
mod head;
mod head_parse;
mod header;
mod limits;
mod lines;
mod method;
mod request;
mod response;
pub(crate) mod syntax;

pub use codec::{H1Codec, H1Factory};
pub use content_plan::{COLLECT_AT_MOST, ContentPlan, EXPECT_CONTINUE_FROM};
pub use decode::{ResponseDecoder, ResponsePart};
pub use encode::{EncodeError, encode_request, validate_request};
pub use error::{DecodeError, HeadSyntax};
pub use fields::{HeaderBlock, HeaderRef, Iter as HeaderIter};
pub use head::{ConnectionSignals, Framing, ResponseHead, Version};
pub use header::Header;
pub use limits::Limits;
pub use method::{InvalidMethod, Method};
pub use request::{Content, Request};
pub use response::{Response, ResponseCollector};
