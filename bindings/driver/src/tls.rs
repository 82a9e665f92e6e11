//! The rustls client configuration both runtimes share.

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use std::sync::Arc;

/// Which certificate authorities a client trusts.
#[derive(Clone, Debug, Default)]
pub struct TlsRoots {
    /// Leave out the Mozilla roots of `webpki-roots` (trust only `extra`).
    pub without_webpki_roots: bool,
    /// More roots in DER, e.g. a test CA.
    pub extra: Vec<CertificateDer<'static>>,
}

/// Builds the client configuration with the `ring` provider named
/// explicitly: with two providers compiled in, rustls's process default
/// would panic.
pub fn client_config(roots: &TlsRoots) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let mut store = RootCertStore::empty();
    if !roots.without_webpki_roots {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for cert in &roots.extra {
        store.add(cert.clone())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS server name for a host (a DNS name or an IP address).
pub fn server_name(host: &str) -> std::io::Result<rustls_pki_types::ServerName<'static>> {
    rustls_pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}
