//! Deciding a response's message body length (RFC 9112 §6.3).

use super::fields::{FieldKind, Spans};
use super::syntax::{list_elements, parse_decimal};
use super::{DecodeError, Framing, Method, Version};

/// Applies RFC 9112 §6.3 to a response head, in the order of its rules.
pub(crate) fn framing_for(
    request_method: &Method,
    status: u16,
    version: Version,
    head: &[u8],
    fields: &Spans,
) -> Result<Framing, DecodeError> {
    // Rule 1 and 2: HEAD, 1xx, 204, 304 carry no content; CONNECT 2xx and 101
    // leave HTTP altogether.
    if request_method.is_connect() && (200..300).contains(&status) || status == 101 {
        return Ok(Framing::Tunnel);
    }
    if request_method.is_head() || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Framing::Empty);
    }
    let content_length = content_length(head, fields)?;
    let mut saw_te = false;
    let mut chunked_count = 0u32;
    let mut last_is_chunked = false;
    for value in fields.values_of(head, FieldKind::TransferEncoding) {
        saw_te = true;
        for coding in list_elements(value) {
            // A coding may carry parameters (`gzip;q=…` is not valid here, but
            // transfer-parameters are); the name is what comes before `;`.
            let name = coding.split(|&b| b == b';').next().map(super::syntax::trim_ows).unwrap_or(coding);
            last_is_chunked = name.eq_ignore_ascii_case(b"chunked");
            chunked_count += u32::from(last_is_chunked);
        }
    }
    if saw_te {
        // Rule 3: both framings at once may be response splitting.
        if content_length.is_some() {
            return Err(DecodeError::TransferEncodingWithContentLength);
        }
        if chunked_count > 1 {
            return Err(DecodeError::InvalidTransferEncoding);
        }
        // §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty
        // framing; read to close and do not reuse the connection.
        if version == Version::Http10 {
            return Ok(Framing::UntilClose);
        }
        // Rule 4: chunked last → chunked; otherwise the close delimits.
        return Ok(if last_is_chunked { Framing::Chunked } else { Framing::UntilClose });
    }
    // Rule 5 and 6: Content-Length, else (rule 8) read until close.
    Ok(match content_length {
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

/// The `Content-Length`, if any: digits only, a list only of identical values
/// (RFC 9110 §8.6, RFC 9112 §6.3 rule 5).
fn content_length(head: &[u8], fields: &Spans) -> Result<Option<u64>, DecodeError> {
    let mut found: Option<u64> = None;
    for value in fields.values_of(head, FieldKind::ContentLength) {
        let mut any = false;
        for element in value.split(|&b| b == b',') {
            let element = super::syntax::trim_ows(element);
            let n = parse_decimal(element).ok_or(DecodeError::InvalidContentLength)?;
            any = true;
            match found {
                Some(first) if first != n => {
                    return Err(DecodeError::ConflictingContentLength { first, second: n });
                }
                _ => found = Some(n),
            }
        }
        if !any {
            return Err(DecodeError::InvalidContentLength);
        }
    }
    Ok(found)
}
