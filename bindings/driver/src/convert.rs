//! Conversions between the `http` crate's types and the core's.

use crate::request_body::Prepared;
use crate::{Error, basic_auth};
use bytes::Bytes;
use pipelining::h1::{Content, Header, Method, Request, ResponseHead, Version};
use pipelining::{ErrorKind, Origin, OriginRef};

/// The origin of an absolute `http` or `https` URI, borrowed from it: no
/// allocation (the pool compares it case-insensitively).
pub(crate) fn origin_ref(uri: &http::Uri) -> Result<OriginRef<'_>, Error> {
    let scheme = uri.scheme_str().ok_or_else(|| invalid("the URL has no scheme"))?;
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        80
    } else if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        return Err(invalid(format!("unsupported scheme {scheme:?}")));
    };
    let authority = uri.authority().ok_or_else(|| invalid("the URL has no host"))?.as_str();
    let (host, port) = split_authority(authority).ok_or_else(|| invalid("the URL has no host"))?;
    Ok(OriginRef::new(scheme, host, port.unwrap_or(default_port)))
}

/// Host and port of an authority `http` already validated (RFC 3986 §3.2):
/// userinfo dropped, an IPv6 literal kept in its brackets. One pass, where
/// `Uri::host` and `Uri::port_u16` would parse the authority twice.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    // One forward pass: where the host starts (after any userinfo) and
    // the last colon outside an IPv6 literal's brackets.
    let mut start = 0;
    let mut colon = None;
    for (at, byte) in authority.bytes().enumerate() {
        match byte {
            b'@' => {
                start = at + 1;
                colon = None;
            }
            b':' => colon = Some(at),
            // A colon inside an IPv6 literal is not a port separator.
            b']' => colon = None,
            _ => {}
        }
    }
    let (host, port) = match colon {
        Some(colon) => (&authority[start..colon], Some(&authority[colon + 1..])),
        None => (&authority[start..], None),
    };
    if host.is_empty() {
        return None;
    }
    match port {
        Some(port) => Some((host, Some(port.parse().ok()?))),
        None => Some((host, None)),
    }
}

/// The core's request for `parts` and its content: the URL's userinfo as
/// `Authorization: Basic`, the builder's default fields where the request
/// has none of that name, and a streamed content as its plan says
/// (`Expect: 100-continue` when large or unsized, unless the request or
/// the defaults have an `Expect` field already).
pub(crate) fn core_request(
    parts: &http::request::Parts,
    content: &Prepared,
    defaults: &[(http::HeaderName, Header)],
) -> Result<Request, Error> {
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
    core.headers = Vec::with_capacity(parts.headers.len() + defaults.len());
    if !parts.headers.is_empty() {
        // Every name and value copied into one block, each field a slice of
        // it: one allocation for the lot, not two per field.
        let size = parts.headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
        let mut block = bytes::BytesMut::with_capacity(size);
        for (name, value) in &parts.headers {
            block.extend_from_slice(name.as_str().as_bytes());
            block.extend_from_slice(value.as_bytes());
        }
        let mut block = block.freeze();
        for (name, value) in &parts.headers {
            let name = block.split_to(name.as_str().len());
            let value = block.split_to(value.len());
            core.headers.push(Header::new(name, value));
        }
    }
    for (name, field) in defaults {
        // An empty map is the common case: no lookup (hashing the name) then.
        if parts.headers.is_empty() || !parts.headers.contains_key(name) {
            core.headers.push(field.clone());
        }
    }
    if let Some(authority) = parts.uri.authority().filter(|a| a.as_str().contains('@')) {
        if !parts.headers.contains_key(http::header::AUTHORIZATION) {
            if let Some(credentials) = basic_auth::authorization(authority.as_str()) {
                core.headers.push(Header::new(&b"authorization"[..], Bytes::from(credentials)));
            }
        }
    }
    match content {
        Prepared::Whole(bytes) if bytes.is_empty() => {}
        Prepared::Whole(bytes) => core.body = Content::Full(bytes.clone()),
        Prepared::Streamed(upload) => upload.plan.apply(&mut core),
    }
    Ok(core)
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
    fn authorities_split_like_the_uri_does() {
        for url in [
            "http://h/",
            "http://h:81/",
            "http://user:pw@h:8080/x",
            "http://[::1]/",
            "http://[::1]:9000/",
            "https://EXAMPLE.com:443/",
        ] {
            let uri: http::Uri = url.parse().unwrap();
            let (host, port) = split_authority(uri.authority().unwrap().as_str()).unwrap();
            assert_eq!((host, port), (uri.host().unwrap(), uri.port_u16()), "{url}");
        }
    }

    #[test]
    fn requests_keep_target_headers_and_body() {
        let request = http::Request::post("http://h:81/a?b=c").header("x-k", "v").body("data").unwrap();
        let (parts, body) = request.into_parts();
        assert_eq!(origin_ref(&parts.uri).unwrap().to_owned().authority(), "h:81");
        let content = Prepared::Whole(Bytes::from(body));
        let defaults = [(http::header::USER_AGENT, Header::new("user-agent", "t/1"))];
        let core = core_request(&parts, &content, &defaults).unwrap();
        assert_eq!(&core.target[..], b"/a?b=c");
        assert_eq!(core.method, Method::POST);
        assert_eq!(core.headers, vec![Header::new("x-k", "v"), Header::new("user-agent", "t/1")]);
        assert_eq!(core.body.full().map(|b| &b[..]), Some(&b"data"[..]));
    }

    #[test]
    fn userinfo_becomes_authorization_and_defaults_yield_to_the_request() {
        let request = http::Request::get("http://user:p%40ss@h/").header("user-agent", "mine").body(()).unwrap();
        let (parts, ()) = request.into_parts();
        let defaults = [(http::header::USER_AGENT, Header::new("user-agent", "default"))];
        let core = core_request(&parts, &Prepared::Whole(Bytes::new()), &defaults).unwrap();
        assert_eq!(
            core.headers,
            vec![Header::new("user-agent", "mine"), Header::new("authorization", "Basic dXNlcjpwQHNz")],
            "the request's own field wins; user:p@ss in base64"
        );
        // An explicit Authorization is kept as it is.
        let request = http::Request::get("http://user:pw@h/").header("authorization", "Bearer t").body(()).unwrap();
        let (parts, ()) = request.into_parts();
        let core = core_request(&parts, &Prepared::Whole(Bytes::new()), &[]).unwrap();
        assert_eq!(core.headers, vec![Header::new("authorization", "Bearer t")]);
    }
}
