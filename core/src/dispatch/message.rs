//! A failed request's message: one wording for every front end.

use crate::outcome::Cause;
use crate::pipeline::Codec;
use crate::pool::Failure;
use alloc::string::{String, ToString};
use core::fmt::Write;

/// Says why `failure` happened; `connect_error` is the last reason a
/// connect to its origin failed, `origin` how the origin is written.
pub(crate) fn describe<C: Codec>(failure: &Failure<C>, origin: Option<&str>, connect_error: Option<&str>) -> String
where
    C::Error: core::fmt::Display,
{
    let mut text = String::new();
    match &failure.cause {
        Cause::Response(e) => text = e.to_string(),
        Cause::Lost(_) if failure.tries.len() > 1 => {
            text.push_str("every try was lost: ");
            for (i, reason) in failure.tries.iter().enumerate() {
                if i > 0 {
                    text.push_str("; ");
                }
                text.push_str(reason.describe());
            }
        }
        Cause::Lost(reason) => text.push_str(reason.describe()),
        Cause::Cancelled => text.push_str("cancelled"),
        Cause::Deadline => text.push_str("the request's deadline passed"),
        Cause::Unencodable => text.push_str("the request could not be encoded"),
        Cause::Rerouted => text.push_str("handed back unwritten: the connection was held by a large response"),
        Cause::ConnectFailed => {
            let _ = match (origin, connect_error) {
                (Some(origin), Some(error)) => write!(text, "connecting to {origin}: {error}"),
                (Some(origin), None) => write!(text, "every connect to {origin} failed"),
                (None, Some(error)) => write!(text, "connecting: {error}"),
                (None, None) => write!(text, "every connect failed"),
            };
        }
    }
    text
}
