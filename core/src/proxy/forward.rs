//! A request for an `http://` origin rewritten to go through an HTTP proxy
//! in absolute form (RFC 9112 §3.2.2): the one rewriting every driver does.

use super::{Proxy, ProxyConfig};
use crate::h1::{Header, Request};
use crate::origin::OriginRef;
use crate::pipeline::RequestOptions;
use alloc::string::String;
use bytes::BytesMut;
use core::fmt::Write;

impl ProxyConfig {
    /// Where a request for `origin` goes in the pool: when an `http://`
    /// origin goes through a proxy, the proxy's origin, with `request`
    /// rewritten for it ([`forward`]); otherwise `origin` itself, the
    /// request untouched (an `https://` origin keeps its own origin: its
    /// tunnel is opened by the driver, [`ConnectHandshake`](super::ConnectHandshake)).
    pub fn route<'a>(
        &'a self,
        origin: OriginRef<'a>,
        request: &mut Request,
        options: &mut RequestOptions,
    ) -> OriginRef<'a> {
        match self.forwarder_for(origin) {
            Some(proxy) => {
                forward(proxy, origin, request, options);
                proxy.origin().borrowed()
            }
            None => origin,
        }
    }

    /// The proxy a request for `origin` is forwarded through in absolute
    /// form ([`forward`]): the `http://` proxy for an `http://` origin that
    /// is not excepted; none for any other origin (an `https://` origin goes
    /// through a tunnel instead). A driver that must know the pool's origin
    /// before it builds the request asks this, then calls [`forward`].
    pub fn forwarder_for(&self, origin: OriginRef<'_>) -> Option<&Proxy> {
        if !origin.scheme().eq_ignore_ascii_case("http") {
            return None;
        }
        self.proxy_for(origin)
    }
}

/// Rewrites `request` for `origin` to go through `proxy`: the target in
/// absolute form, a `Host` field for the origin unless the caller set one
/// (the codec would add the proxy's), `Proxy-Authorization` when the proxy
/// has credentials and the caller set none (RFC 9110 §11.7.2), and written
/// alone unless the proxy is trusted to pipeline
/// ([`Proxy::with_pipelining`]).
pub fn forward(proxy: &Proxy, origin: OriginRef<'_>, request: &mut Request, options: &mut RequestOptions) {
    let authority = authority(origin);
    let mut target = BytesMut::with_capacity(7 + authority.len() + request.target.len());
    target.extend_from_slice(b"http://");
    target.extend_from_slice(authority.as_bytes());
    target.extend_from_slice(&request.target);
    request.target = target.freeze();
    if !request.headers.iter().any(|h| h.is("host")) {
        request.headers.insert(0, Header::new("Host", authority));
    }
    if let Some(credentials) = proxy.authorization() {
        if !request.headers.iter().any(|h| h.is("proxy-authorization")) {
            request.headers.push(Header::new("Proxy-Authorization", String::from(credentials)));
        }
    }
    if !proxy.pipelining() {
        *options = options.alone();
    }
}

/// `host[:port]` of an `http` origin, as `Host` and the absolute-form
/// target carry it: the port left out when it is 80, an IPv6 address in
/// brackets (RFC 9110 §4.2.1, §7.2).
fn authority(origin: OriginRef<'_>) -> String {
    let host = origin.host();
    let mut out = String::with_capacity(host.len() + 8);
    if host.contains(':') {
        out.push('[');
        out.push_str(host);
        out.push(']');
    } else {
        out.extend(host.chars().map(|c| c.to_ascii_lowercase()));
    }
    if origin.port() != 80 {
        // Writing to a `String` cannot fail.
        let _ = write!(out, ":{}", origin.port());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h1::Method;
    use alloc::vec;
    use alloc::vec::Vec;

    fn config(url: &str) -> ProxyConfig {
        ProxyConfig::all(Proxy::parse(url).unwrap())
    }

    #[test]
    fn http_requests_through_a_proxy_go_in_absolute_form_to_the_proxys_origin() {
        let proxies = config("http://u:p@proxy:3128");
        let mut request = Request::get("/a?b=c").with_header("x-k", "v");
        let mut options = RequestOptions::default();
        let origin = proxies.route(OriginRef::new("http", "Example.com", 8080), &mut request, &mut options);
        assert_eq!(origin, OriginRef::new("http", "proxy", 3128));
        assert_eq!(&request.target[..], b"http://example.com:8080/a?b=c");
        assert_eq!(
            request.headers,
            vec![
                Header::new("Host", "example.com:8080"),
                Header::new("x-k", "v"),
                Header::new("Proxy-Authorization", "Basic dTpw")
            ]
        );
        assert!(options.alone, "no pipelining through a proxy unless it allows it");
    }

    #[test]
    fn https_origins_and_exceptions_keep_their_origin_and_request() {
        let mut proxies = config("proxy:1");
        proxies.no_proxy = super::super::NoProxy::parse("direct");
        for origin in [OriginRef::new("https", "h", 443), OriginRef::new("http", "direct", 80)] {
            let mut request = Request::get("/x");
            let mut options = RequestOptions::default();
            assert_eq!(proxies.route(origin, &mut request, &mut options), origin);
            assert_eq!(request, Request::get("/x"));
            assert!(!options.alone);
            assert!(proxies.forwarder_for(origin).is_none());
        }
        let proxied = proxies.forwarder_for(OriginRef::new("HTTP", "h", 80));
        assert_eq!(proxied.map(Proxy::authority).as_deref(), Some("proxy:1"));
    }

    #[test]
    fn the_default_port_is_left_out_and_ipv6_is_bracketed() {
        let proxies = config("proxy:1");
        let mut request = Request::new(Method::POST, "/").with_header("Host", "custom");
        let mut options = RequestOptions::default();
        proxies.route(OriginRef::new("http", "h", 80), &mut request, &mut options);
        assert_eq!(&request.target[..], b"http://h/");
        assert_eq!(request.headers, vec![Header::new("Host", "custom")], "the caller's Host stays");
        let mut request = Request::get("/");
        proxies.route(OriginRef::new("http", "[::1]", 8080), &mut request, &mut options);
        assert_eq!(&request.target[..], b"http://[::1]:8080/");
    }

    #[test]
    fn a_pipelining_proxy_keeps_the_options_and_a_callers_proxy_authorization_stays() {
        let proxies = ProxyConfig::all(Proxy::parse("http://u:p@proxy:1").unwrap().with_pipelining(true));
        let mut request = Request::get("/").with_header("Proxy-Authorization", "Bearer x");
        let mut options = RequestOptions::default();
        proxies.route(OriginRef::new("http", "h", 80), &mut request, &mut options);
        assert!(!options.alone);
        let auth: Vec<_> = request.headers.iter().filter(|h| h.is("proxy-authorization")).collect();
        assert_eq!(auth, [&Header::new("Proxy-Authorization", "Bearer x")]);
    }
}
