//! Conversions between the `http` crate's types and the core's.

use crate::Error;
use bytes::Bytes;
use pipelining::h1::{Header, Method, Request, ResponseHead, Version};
use pipelining::{ErrorKind, Origin};

/// Splits an `http` request into its origin and the core's request.
pub(crate) fn to_core<B: Into<Bytes>>(request: http::Request<B>) -> Result<(Origin, Request), Error> {
    let (parts, body) = request.into_parts();
    let origin = origin_of(&parts.uri)?;
    let method = Method::from_bytes(parts.method.as_str().as_bytes())
        .map_err(|e| Error::new(ErrorKind::InvalidRequest, e.to_string()))?;
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    // An empty path is sent as "/" (RFC 9112 §3.2.1), also before a query:
    // `http://h?q` has the target "/?q".
    let target = match target {
        "" => Bytes::from_static(b"/"),
        t if t.starts_with('?') => Bytes::from(format!("/{t}")),
        t => Bytes::copy_from_slice(t.as_bytes()),
    };
    let mut core = Request::new(method, target);
    core.headers.reserve(parts.headers.len());
    for (name, value) in &parts.headers {
        core.headers.push(Header::new(
            Bytes::copy_from_slice(name.as_str().as_bytes()),
            Bytes::copy_from_slice(value.as_bytes()),
        ));
    }
    let body: Bytes = body.into();
    if !body.is_empty() {
        core.body = Some(body);
    }
    Ok((origin, core))
}

/// The origin of an absolute `http` or `https` URI.
pub fn origin_of(uri: &http::Uri) -> Result<Origin, Error> {
    let scheme = uri.scheme_str().ok_or_else(|| invalid("the URL has no scheme"))?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        other => return Err(invalid(format!("unsupported scheme {other:?}"))),
    };
    let host = uri.host().ok_or_else(|| invalid("the URL has no host"))?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Ok(Origin::new(&scheme, host, uri.port_u16().unwrap_or(default_port)))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidRequest, message)
}

/// The response head as an `http` response with an empty body slot.
pub(crate) fn to_http(head: &ResponseHead) -> Result<http::response::Builder, Error> {
    let mut builder = http::Response::builder().status(head.status).version(match head.version {
        Version::Http10 => http::Version::HTTP_10,
        Version::Http11 => http::Version::HTTP_11,
    });
    let headers = builder.headers_mut().ok_or_else(|| Error::new(ErrorKind::Protocol, "invalid status"))?;
    headers.reserve(head.headers.len());
    for (index, field) in head.headers.iter().enumerate() {
        let name = http::HeaderName::from_bytes(field.name)
            .map_err(|_| Error::new(ErrorKind::Protocol, "invalid header name"))?;
        // The value shares the read buffer: no copy.
        let value = head.headers.value_bytes(index).unwrap_or_default();
        let value = http::HeaderValue::from_maybe_shared(value)
            .map_err(|_| Error::new(ErrorKind::Protocol, "invalid header value"))?;
        headers.append(name, value);
    }
    Ok(builder)
}

/// Appends fields the core decoded to an `http` header map.
pub(crate) fn append_headers(map: &mut http::HeaderMap, fields: &[Header]) -> Result<(), Error> {
    for field in fields {
        let name = http::HeaderName::from_bytes(&field.name)
            .map_err(|_| Error::new(ErrorKind::Protocol, "invalid header name"))?;
        let value = http::HeaderValue::from_maybe_shared(field.value.clone())
            .map_err(|_| Error::new(ErrorKind::Protocol, "invalid header value"))?;
        map.append(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_take_default_ports_and_unbracket_ipv6() {
        let uri: http::Uri = "https://Example.com/x".parse().unwrap();
        assert_eq!(origin_of(&uri).unwrap(), Origin::new("https", "example.com", 443));
        let uri: http::Uri = "http://[::1]:8080/".parse().unwrap();
        assert_eq!(origin_of(&uri).unwrap(), Origin::new("http", "::1", 8080));
        let uri: http::Uri = "/relative".parse().unwrap();
        assert_eq!(origin_of(&uri).unwrap_err().kind(), ErrorKind::InvalidRequest);
        let uri: http::Uri = "ftp://h/".parse().unwrap();
        assert_eq!(origin_of(&uri).unwrap_err().kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn requests_keep_target_headers_and_body() {
        let request = http::Request::post("http://h:81/a?b=c").header("x-k", "v").body("data").unwrap();
        let (origin, core) = to_core(request).unwrap();
        assert_eq!(origin.authority(), "h:81");
        assert_eq!(&core.target[..], b"/a?b=c");
        assert_eq!(core.method, Method::POST);
        assert_eq!(core.headers, vec![Header::new("x-k", "v")]);
        assert_eq!(core.body.as_deref(), Some(&b"data"[..]));
    }
}
