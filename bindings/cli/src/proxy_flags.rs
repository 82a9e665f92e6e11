//! `--proxy` and `--noproxy`, shared by `fetch` and `bench`, and the proxy
//! environment variables, honoured by default as curl honours them.
//!
//! Precedence, decided here once and before anything is sent:
//!
//! 1. `--noproxy '*'` (or any list with a `*` entry): no proxy at all; the
//!    environment is not read.
//! 2. `--proxy URL`: that proxy for `http://` and `https://` URLs; the
//!    environment's `no_proxy`/`NO_PROXY` still applies, its proxy
//!    variables do not (a malformed one is not even looked at).
//! 3. Otherwise the environment (`http_proxy`, `https_proxy`, `all_proxy`,
//!    `no_proxy` and their upper-case forms, lower-case first;
//!    `HTTP_PROXY` ignored when `REQUEST_METHOD` is set — the core's rules,
//!    [`pipelining::proxy`]).
//! 4. `--noproxy LIST` replaces the exceptions from the environment.
//!
//! A malformed or unsupported proxy URL, from the flag or the environment,
//! is a usage error (exit 2) that names where it came from.

use clap::Args;
use pipelining::proxy::{NoProxy, Proxy, ProxyConfig};

/// The proxy flags of a command.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ProxyFlags {
    /// Send requests through this HTTP proxy, http://[USER:PASSWORD@]HOST[:PORT]
    /// (https:// URLs through CONNECT); overrides http_proxy, https_proxy and
    /// all_proxy.
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// Reach these hosts directly: a comma-separated NO_PROXY list (names
    /// match their subdomains too; IP addresses, CIDR blocks, :PORT), or '*'
    /// to use no proxy at all; overrides no_proxy.
    #[arg(long, value_name = "LIST")]
    noproxy: Option<String>,
}

impl ProxyFlags {
    /// The proxy configuration these flags and the environment (read
    /// through `lookup`) give.
    pub(crate) fn config<F, S>(&self, lookup: F) -> Result<ProxyConfig, String>
    where
        F: Fn(&str) -> Option<S>,
        S: AsRef<str>,
    {
        let exceptions = self.noproxy.as_deref().map(NoProxy::parse);
        if exceptions.as_ref().is_some_and(NoProxy::matches_all) {
            return Ok(ProxyConfig::new());
        }
        let mut config = match &self.proxy {
            Some(url) => {
                let mut config = ProxyConfig::all(Proxy::parse(url).map_err(|e| format!("--proxy: {e}"))?);
                config.no_proxy = NoProxy::from_vars(&lookup);
                config
            }
            None => ProxyConfig::from_vars(&lookup).map_err(|e| format!("proxy environment: {e}"))?,
        };
        if let Some(exceptions) = exceptions {
            config.no_proxy = exceptions;
        }
        Ok(config)
    }

    /// [`config`](Self::config) over the process environment.
    pub(crate) fn resolve(&self) -> Result<ProxyConfig, String> {
        self.config(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipelining::OriginRef;

    fn flags(proxy: Option<&str>, noproxy: Option<&str>) -> ProxyFlags {
        ProxyFlags { proxy: proxy.map(str::to_owned), noproxy: noproxy.map(str::to_owned) }
    }

    fn config(flags: &ProxyFlags, vars: &[(&str, &str)]) -> Result<ProxyConfig, String> {
        flags.config(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }

    fn via(config: &ProxyConfig, url_scheme: &str, host: &str) -> Option<String> {
        config.proxy_for(OriginRef::new(url_scheme, host, 80)).map(Proxy::authority)
    }

    #[test]
    fn the_environment_applies_by_default() {
        let config = config(&flags(None, None), &[("http_proxy", "env:1"), ("no_proxy", "direct")]).unwrap();
        assert_eq!(via(&config, "http", "x").as_deref(), Some("env:1"));
        assert_eq!(via(&config, "https", "x"), None);
        assert_eq!(via(&config, "http", "direct"), None);
    }

    #[test]
    fn the_proxy_flag_overrides_the_environments_proxies_not_its_exceptions() {
        let vars = [("http_proxy", "socks5://broken"), ("HTTPS_PROXY", "env:2"), ("NO_PROXY", "direct")];
        let config = config(&flags(Some("http://flag:3128"), None), &vars).unwrap();
        assert_eq!(via(&config, "http", "x").as_deref(), Some("flag:3128"));
        assert_eq!(via(&config, "https", "x").as_deref(), Some("flag:3128"));
        assert_eq!(via(&config, "http", "direct"), None);
    }

    #[test]
    fn noproxy_replaces_the_exceptions_and_a_star_turns_proxies_off() {
        let vars = [("all_proxy", "env:1"), ("no_proxy", "a")];
        let config = config(&flags(None, Some("b")), &vars).unwrap();
        assert_eq!(via(&config, "http", "a").as_deref(), Some("env:1"));
        assert_eq!(via(&config, "http", "b"), None);
        // `*` wins over everything, a malformed environment included.
        let off = self::config(&flags(Some("flag:1"), Some("*")), &[("http_proxy", "socks5://x")]).unwrap();
        assert!(off.is_empty());
    }

    #[test]
    fn bad_proxies_are_errors_naming_their_source() {
        let error = config(&flags(Some("socks5://127.0.0.1:1080"), None), &[]).unwrap_err();
        assert!(error.starts_with("--proxy: unsupported proxy scheme \"socks5\""), "{error}");
        let error = config(&flags(Some("http://proxy:99999"), None), &[]).unwrap_err();
        assert_eq!(error, "--proxy: malformed proxy URL: invalid port");
        let error = config(&flags(None, None), &[("https_proxy", "http://u:s3cret@pro xy")]).unwrap_err();
        assert_eq!(error, "proxy environment: https_proxy: malformed proxy URL: invalid host");
    }

    #[test]
    fn httpoxy_holds_on_the_command_line_too() {
        let vars = [("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "attacker:1")];
        assert!(config(&flags(None, None), &vars).unwrap().is_empty());
    }
}
