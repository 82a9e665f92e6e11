//! Which proxy each origin goes through: set by hand or read from the
//! proxy environment variables (the rules are in the [module docs](super)).

use super::{NoProxy, Proxy, ProxyError};
use crate::ErrorKind;
use crate::origin::OriginRef;
use alloc::string::String;

/// A client's proxies: one for `http://` origins, one for `https://`
/// origins, and the exceptions.
///
/// ```
/// use pipelining::proxy::{Proxy, ProxyConfig};
/// use pipelining::OriginRef;
///
/// let vars = [("http_proxy", "http://proxy:3128"), ("no_proxy", "localhost,.internal")];
/// let config = ProxyConfig::from_vars(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)).unwrap();
/// let proxy = config.proxy_for(OriginRef::new("http", "example.com", 80));
/// assert_eq!(proxy.map(Proxy::authority).as_deref(), Some("proxy:3128"));
/// assert!(config.proxy_for(OriginRef::new("http", "db.internal", 80)).is_none());
/// assert!(config.proxy_for(OriginRef::new("https", "example.com", 443)).is_none(), "no https_proxy");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// The proxy for `http://` origins, reached in absolute form.
    pub http: Option<Proxy>,
    /// The proxy for `https://` origins, reached through `CONNECT`.
    pub https: Option<Proxy>,
    /// The origins reached directly.
    pub no_proxy: NoProxy,
}

/// The variables an `http://` origin's proxy is read from, in order.
const HTTP_VARS: [&str; 4] = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
/// The variables an `https://` origin's proxy is read from, in order.
const HTTPS_VARS: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
/// The variables the exceptions are read from, in order.
const NO_PROXY_VARS: [&str; 2] = ["no_proxy", "NO_PROXY"];

impl ProxyConfig {
    /// No proxy: every origin is reached directly.
    pub fn new() -> Self {
        ProxyConfig::default()
    }

    /// `proxy` for both `http://` and `https://` origins, no exceptions.
    pub fn all(proxy: Proxy) -> Self {
        ProxyConfig { http: Some(proxy.clone()), https: Some(proxy), no_proxy: NoProxy::default() }
    }

    /// The configuration the proxy environment variables describe, each
    /// read through `lookup` (`None`: unset). See the [module docs](super)
    /// for the order, the `HTTP_PROXY` rule in CGI programs, and empty
    /// values.
    ///
    /// # Errors
    ///
    /// A variable that is used and holds no valid proxy URL (malformed, or
    /// a scheme other than `http`), named in the error.
    pub fn from_vars<F, S>(lookup: F) -> Result<ProxyConfig, ProxyVarError>
    where
        F: Fn(&str) -> Option<S>,
        S: AsRef<str>,
    {
        // httpoxy: in a CGI program `HTTP_PROXY` is the request's `Proxy`
        // header (RFC 3875 §4.1.18), chosen by whoever sent the request.
        let cgi = lookup("REQUEST_METHOD").is_some();
        let proxy = |names: &[&'static str]| {
            first_set(&lookup, names, cgi)
                .map(|(variable, value)| Proxy::parse(&value).map_err(|error| ProxyVarError { variable, error }))
                .transpose()
        };
        Ok(ProxyConfig { http: proxy(&HTTP_VARS)?, https: proxy(&HTTPS_VARS)?, no_proxy: NoProxy::from_vars(&lookup) })
    }

    /// The proxy a request to `origin` goes through: the scheme's proxy,
    /// unless the origin is in [`no_proxy`](Self::no_proxy). Origins of
    /// other schemes (`redis`, `dns`, …) never go through a proxy.
    pub fn proxy_for<'a>(&self, origin: impl Into<OriginRef<'a>>) -> Option<&Proxy> {
        let origin = origin.into();
        let proxy = if origin.scheme().eq_ignore_ascii_case("http") {
            self.http.as_ref()
        } else if origin.scheme().eq_ignore_ascii_case("https") {
            self.https.as_ref()
        } else {
            None
        }?;
        (!self.no_proxy.matches(origin.host(), origin.port())).then_some(proxy)
    }

    /// No origin goes through a proxy.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }
}

impl NoProxy {
    /// The exceptions the environment lists: `no_proxy`, else `NO_PROXY`
    /// (an empty value counts as unset), each read through `lookup`. The
    /// part of [`ProxyConfig::from_vars`] that still applies when the
    /// proxies themselves are given otherwise (a command line's `--proxy`).
    pub fn from_vars<F, S>(lookup: F) -> NoProxy
    where
        F: Fn(&str) -> Option<S>,
        S: AsRef<str>,
    {
        first_set(&lookup, &NO_PROXY_VARS, false).map(|(_, list)| NoProxy::parse(&list)).unwrap_or_default()
    }
}

/// The first of `names` that is set and not empty (surrounding spaces
/// ignored), with its value; `HTTP_PROXY` is skipped in a CGI program.
fn first_set<F, S>(lookup: &F, names: &[&'static str], cgi: bool) -> Option<(&'static str, String)>
where
    F: Fn(&str) -> Option<S>,
    S: AsRef<str>,
{
    names.iter().filter(|name| !(cgi && **name == "HTTP_PROXY")).find_map(|&name| {
        let value = lookup(name)?;
        let value = value.as_ref().trim_matches(|c: char| c.is_ascii_whitespace());
        (!value.is_empty()).then(|| (name, String::from(value)))
    })
}

/// A proxy variable that holds no usable proxy URL. Shows the variable's
/// name and why, never its value (it may hold a password).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {error}")]
pub struct ProxyVarError {
    /// The variable: `http_proxy`, `HTTPS_PROXY`, `all_proxy`, …
    pub variable: &'static str,
    /// What is wrong with its value.
    pub error: ProxyError,
}

impl ProxyVarError {
    /// The C5 name of this error: always `invalid_request`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidRequest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    /// A lookup over a fixed set of variables: the process environment is
    /// never read.
    fn config(vars: &[(&str, &str)]) -> Result<ProxyConfig, ProxyVarError> {
        let vars: Vec<(&str, &str)> = vars.to_vec();
        ProxyConfig::from_vars(move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    fn authority_for(config: &ProxyConfig, scheme: &str, host: &str, port: u16) -> Option<alloc::string::String> {
        config.proxy_for(OriginRef::new(scheme, host, port)).map(Proxy::authority)
    }

    #[test]
    fn no_variables_no_proxy() {
        let config = config(&[]).unwrap();
        assert!(config.is_empty());
        assert_eq!(config, ProxyConfig::new());
        assert_eq!(authority_for(&config, "http", "example.com", 80), None);
    }

    #[test]
    fn each_scheme_reads_its_own_variables() {
        let config = config(&[("http_proxy", "http://p1:1"), ("https_proxy", "http://p2:2")]).unwrap();
        assert_eq!(authority_for(&config, "http", "example.com", 80).as_deref(), Some("p1:1"));
        assert_eq!(authority_for(&config, "https", "example.com", 443).as_deref(), Some("p2:2"));
        assert_eq!(authority_for(&config, "redis", "example.com", 6379), None, "other schemes go direct");
        let only_https = self::config(&[("HTTPS_PROXY", "p2:2")]).unwrap();
        assert_eq!(authority_for(&only_https, "http", "example.com", 80), None);
        assert_eq!(authority_for(&only_https, "HTTPS", "example.com", 443).as_deref(), Some("p2:2"));
    }

    #[test]
    fn lower_case_wins_over_upper_case() {
        let config = config(&[
            ("http_proxy", "lower:1"),
            ("HTTP_PROXY", "upper:1"),
            ("https_proxy", "lower:2"),
            ("HTTPS_PROXY", "upper:2"),
            ("no_proxy", "lower.example"),
            ("NO_PROXY", "upper.example"),
        ])
        .unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80).as_deref(), Some("lower:1"));
        assert_eq!(authority_for(&config, "https", "x", 443).as_deref(), Some("lower:2"));
        assert_eq!(authority_for(&config, "http", "lower.example", 80), None);
        assert_eq!(authority_for(&config, "http", "upper.example", 80).as_deref(), Some("lower:1"));
    }

    #[test]
    fn upper_case_alone_is_read() {
        let config = config(&[("HTTP_PROXY", "upper:1"), ("NO_PROXY", "skip.example")]).unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80).as_deref(), Some("upper:1"));
        assert_eq!(authority_for(&config, "http", "skip.example", 80), None);
    }

    #[test]
    fn all_proxy_is_the_fallback_for_both_schemes() {
        let config = config(&[("all_proxy", "all:1"), ("ALL_PROXY", "ALL:1"), ("https_proxy", "tls:2")]).unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80).as_deref(), Some("all:1"));
        assert_eq!(authority_for(&config, "https", "x", 443).as_deref(), Some("tls:2"));
        let upper = self::config(&[("ALL_PROXY", "ALL:1")]).unwrap();
        assert_eq!(authority_for(&upper, "https", "x", 443).as_deref(), Some("all:1"));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config =
            config(&[("http_proxy", ""), ("HTTP_PROXY", "  "), ("all_proxy", "all:1"), ("no_proxy", "")]).unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80).as_deref(), Some("all:1"));
        assert!(config.no_proxy.is_empty());
        // An empty lower-case `no_proxy` lets the upper-case one apply.
        let config = self::config(&[("http_proxy", "p:1"), ("no_proxy", ""), ("NO_PROXY", "x")]).unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80), None);
    }

    #[test]
    fn upper_case_http_proxy_is_ignored_in_a_cgi_program() {
        // httpoxy: REQUEST_METHOD set (any value) means HTTP_PROXY may be
        // the request's `Proxy` header.
        for method in ["GET", ""] {
            let config = config(&[("REQUEST_METHOD", method), ("HTTP_PROXY", "attacker:1")]).unwrap();
            assert_eq!(authority_for(&config, "http", "x", 80), None, "REQUEST_METHOD={method:?}");
        }
        // The other variables still apply, the lower-case one included…
        let config =
            config(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "attacker:1"), ("http_proxy", "mine:1")]).unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80).as_deref(), Some("mine:1"));
        // …and so does the fallback, and HTTPS_PROXY.
        let config = self::config(&[
            ("REQUEST_METHOD", "POST"),
            ("HTTP_PROXY", "attacker:1"),
            ("ALL_PROXY", "all:1"),
            ("HTTPS_PROXY", "tls:2"),
        ])
        .unwrap();
        assert_eq!(authority_for(&config, "http", "x", 80).as_deref(), Some("all:1"));
        assert_eq!(authority_for(&config, "https", "x", 443).as_deref(), Some("tls:2"));
        // A malformed HTTP_PROXY is not even read there.
        assert!(self::config(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "socks5://x")]).is_ok());
    }

    #[test]
    fn no_proxy_applies_to_both_schemes() {
        let config = config(&[("all_proxy", "p:1"), ("no_proxy", "127.0.0.1,.local")]).unwrap();
        assert_eq!(authority_for(&config, "http", "127.0.0.1", 8080), None);
        assert_eq!(authority_for(&config, "https", "printer.local", 443), None);
        assert_eq!(authority_for(&config, "https", "example.com", 443).as_deref(), Some("p:1"));
        let star = self::config(&[("all_proxy", "p:1"), ("NO_PROXY", "*")]).unwrap();
        assert_eq!(authority_for(&star, "http", "example.com", 80), None);
    }

    #[test]
    fn a_bad_variable_is_an_error_naming_it_and_not_its_value() {
        let error = config(&[("https_proxy", "socks5://user:s3cret@proxy:1080")]).unwrap_err();
        assert_eq!(error.variable, "https_proxy");
        assert_eq!(error.error, ProxyError::UnsupportedScheme { scheme: "socks5".to_string() });
        let message = error.to_string();
        assert!(message.starts_with("https_proxy: unsupported proxy scheme"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        let error = config(&[("ALL_PROXY", "http://proxy:port")]).unwrap_err();
        assert_eq!((error.variable, error.error), ("ALL_PROXY", ProxyError::InvalidPort));
        // A bad variable shadowed by a good one is never read.
        assert!(config(&[("http_proxy", "p:1"), ("HTTP_PROXY", "::bad"), ("https_proxy", "p:2")]).is_ok());
    }

    #[test]
    fn no_proxy_alone_reads_the_same_variables() {
        let vars = [("no_proxy", ""), ("NO_PROXY", "a.example"), ("http_proxy", "socks5://x")];
        let lookup = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let list = NoProxy::from_vars(lookup);
        assert!(list.matches("b.a.example", 80) && !list.matches("b.example", 80));
        assert!(ProxyConfig::from_vars(lookup).is_err(), "the proxies themselves are not read by NoProxy");
        assert!(NoProxy::from_vars(|_: &str| None::<&str>).is_empty());
    }

    #[test]
    fn credentials_and_all_come_through() {
        let config = config(&[("http_proxy", "http://u:p@proxy:3128")]).unwrap();
        let proxy = config.proxy_for(OriginRef::new("http", "x", 80)).unwrap();
        assert_eq!(proxy.authorization(), Some("Basic dTpw"));
        let all = ProxyConfig::all(Proxy::parse("proxy:1").unwrap());
        assert_eq!(authority_for(&all, "http", "x", 80).as_deref(), Some("proxy:1"));
        assert_eq!(authority_for(&all, "https", "x", 443).as_deref(), Some("proxy:1"));
    }

    #[test]
    fn proxy_for_accepts_owned_origins() {
        let config = ProxyConfig::all(Proxy::parse("proxy:1").unwrap());
        let origin = crate::Origin::new("http", "example.com", 80);
        assert_eq!(config.proxy_for(&origin).map(Proxy::port), Some(1));
    }
}
