//! Proxies for a JavaScript `Pool`: which proxy each origin goes through,
//! from the pool's options, by the core's rules (`pipelining::proxy`), and
//! the `CONNECT` handshakes of the tunnels being opened.
//!
//! The options, with the precedence of the Rust command line's `--proxy`
//! and `--noproxy` (bindings/cli/src/proxy_flags.rs), decided once when
//! the pool is made:
//!
//! 1. `noProxy` listing `*`: no proxy at all; nothing else is read.
//! 2. `proxy`: that proxy for `http://` and `https://` origins; the
//!    exceptions of `proxyEnv` (`no_proxy`, `NO_PROXY`) still apply, its
//!    proxy variables do not.
//! 3. Otherwise `proxyEnv` (an object of environment variables, such as
//!    `process.env`): `http_proxy`, `https_proxy`, `all_proxy`, `no_proxy`
//!    and their upper-case forms, lower-case first; `HTTP_PROXY` ignored
//!    when `REQUEST_METHOD` is set ([`ProxyConfig::from_vars`]).
//! 4. `noProxy` replaces the exceptions.
//!
//! `proxyPipelining: true` trusts the proxies to pipeline absolute-form
//! requests (off by default: each goes alone, docs/DESIGN.md Defaults).

use crate::error::invalid;
use crate::js;
use alloc::string::{String, ToString};
use bytes::BytesMut;
use pipelining::ConnectionId;
use pipelining::proxy::{ConnectHandshake, NoProxy, Proxy, ProxyConfig};
use wasm_bindgen::JsValue;

/// The proxy configuration of a pool's options; `None` when no origin goes
/// through a proxy. Throws (`invalid_request`) for a malformed or
/// unsupported proxy URL, naming where it came from, never its value.
pub(crate) fn config(options: &JsValue) -> Result<Option<ProxyConfig>, JsValue> {
    let exceptions = js::string(options, "noProxy")?.map(|list| NoProxy::parse(&list));
    if exceptions.as_ref().is_some_and(NoProxy::matches_all) {
        return Ok(None);
    }
    let env = js::get(options, "proxyEnv");
    let lookup = |name: &str| js::get(&env, name).as_string();
    let mut config = match js::string(options, "proxy")? {
        Some(url) => {
            let proxy = Proxy::parse(&url).map_err(|e| invalid(&js::text(&["proxy: ", &e.to_string()])))?;
            let mut config = ProxyConfig::all(proxy);
            config.no_proxy = NoProxy::from_vars(lookup);
            config
        }
        None => {
            ProxyConfig::from_vars(lookup).map_err(|e| invalid(&js::text(&["proxy environment: ", &e.to_string()])))?
        }
    };
    if let Some(exceptions) = exceptions {
        config.no_proxy = exceptions;
    }
    if js::boolean(options, "proxyPipelining")? == Some(true) {
        config.http = config.http.map(|p| p.with_pipelining(true));
        config.https = config.https.map(|p| p.with_pipelining(true));
    }
    Ok((!config.is_empty()).then_some(config))
}

/// A connect under way to a proxy: to forward absolute-form requests, or
/// to open a tunnel. Kept from the `connect` instruction until the
/// transport is open (or the tunnel is) or failed: at most one per
/// connection being opened.
pub(crate) struct ProxiedConnect {
    pub(crate) conn: ConnectionId,
    /// `proxy host:port`, which the connect's failures are named after.
    pub(crate) name: String,
    /// The `CONNECT` exchange, for a tunnel, and what was read of the
    /// proxy's answer so far.
    pub(crate) tunnel: Option<(ConnectHandshake, BytesMut)>,
}
