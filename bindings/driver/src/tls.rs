//! The rustls client configuration both runtimes share: which certificate
//! authorities are trusted (the Mozilla roots, the platform's store, the
//! caller's own), the client certificate for mutual TLS, and ALPN.
//!
//! Certificates and keys are given as bytes, PEM or DER, and parsed when
//! the client is built: a bad one fails
//! [`Builder::build`](crate::Builder::build) with
//! [`ErrorKind::InvalidRequest`] before anything is sent.

use crate::Error;
use pipelining::ErrorKind;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// The ALPN protocol offered on HTTPS connections (RFC 7301 §3.1; the
/// identifier is the one RFC 7301 §6 registers for HTTP/1.1): a server
/// that speaks several protocols on one port then knows this client speaks
/// HTTP/1.1, and one that selects another protocol is refused by rustls.
pub const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// Which certificate authorities a client trusts.
#[derive(Clone, Debug, Default)]
pub struct TlsRoots {
    /// Leave out the Mozilla roots of `webpki-roots` (trust only the
    /// platform's store if `platform`, and `extra`).
    pub without_webpki_roots: bool,
    /// Also trust the platform's store, read when the configuration is
    /// built (see [`client_config_with`]).
    pub platform: bool,
    /// More roots in DER, e.g. a test CA.
    pub extra: Vec<CertificateDer<'static>>,
    /// More roots as PEM text, each holding one or more certificates
    /// (a CA bundle file's contents).
    pub extra_pem: Vec<Vec<u8>>,
}

impl TlsRoots {
    /// Adds a root given as DER or as PEM text (one or more certificates),
    /// whichever `bytes` is: PEM is recognised by its `-----BEGIN` line.
    pub fn add(&mut self, bytes: Vec<u8>) {
        if is_pem(&bytes) {
            self.extra_pem.push(bytes);
        } else {
            self.extra.push(CertificateDer::from(bytes));
        }
    }
}

/// A client certificate chain and its private key, for servers that ask
/// for one (mutual TLS), each as PEM or DER.
#[derive(Clone)]
pub struct ClientCertificate {
    /// The certificate chain, leaf first: PEM text with one or more
    /// `CERTIFICATE` sections, or one certificate in DER.
    pub chain: Vec<u8>,
    /// The private key of the leaf: PEM text with a PKCS#8, PKCS#1 (RSA) or
    /// SEC1 (EC) key section, or such a key in DER. PEM text holding the
    /// chain too (one combined file) is fine: only the key is taken.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for ClientCertificate {
    // The key is a secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate").field("chain_bytes", &self.chain.len()).finish_non_exhaustive()
    }
}

/// Builds the HTTPS client configuration without a client certificate:
/// [`client_config_with`] with none.
pub fn client_config(roots: &TlsRoots) -> Result<Arc<rustls::ClientConfig>, Error> {
    client_config_with(roots, None)
}

/// Builds the HTTPS client configuration: the roots of `roots`, the client
/// certificate if one is given, ALPN [`ALPN_HTTP_1_1`].
///
/// The `ring` provider is named explicitly: with two providers compiled
/// in, rustls's process default would panic.
///
/// The platform's store (`roots.platform`) is read with
/// `rustls-native-certs`: on Linux and other Unix systems from the
/// `SSL_CERT_FILE` file and `SSL_CERT_DIR` directories when either is set,
/// otherwise from the distribution's bundle (as OpenSSL finds it); on macOS
/// and Windows from the system's keychain or certificate store. Finding no
/// usable certificate there is an error; certificates among many that do
/// not parse are skipped, as system bundles can hold some that webpki
/// cannot read.
///
/// Every failure (a PEM that does not parse or holds no certificate, a key
/// that does not match, an unreadable platform store) is an
/// [`ErrorKind::InvalidRequest`] error naming what was wrong.
pub fn client_config_with(
    roots: &TlsRoots,
    certificate: Option<&ClientCertificate>,
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let store = root_store(roots)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS configuration: {e}")))?
        .with_root_certificates(store);
    let mut config = match certificate {
        None => builder.with_no_client_auth(),
        Some(certificate) => {
            let (chain, key) = parse_client_certificate(certificate)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| invalid(format!("client certificate: {e}")))?
        }
    };
    config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
    Ok(Arc::new(config))
}

/// The trusted roots, every source read and checked.
fn root_store(roots: &TlsRoots) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    if !roots.without_webpki_roots {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if roots.platform {
        let found = rustls_native_certs::load_native_certs();
        let (added, _unusable) = store.add_parsable_certificates(found.certs);
        if added == 0 {
            let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            let why = if why.is_empty() { "none found".to_owned() } else { why.join("; ") };
            return Err(invalid(format!("platform root certificates: {why}")));
        }
    }
    for cert in &roots.extra {
        store
            .add(cert.clone())
            .map_err(|e| invalid(format!("root certificate: neither PEM (no -----BEGIN line) nor valid DER ({e})")))?;
    }
    for pem in &roots.extra_pem {
        for cert in pem_certificates(pem, "root certificate")? {
            store.add(cert).map_err(|e| invalid(format!("root certificate: {e}")))?;
        }
    }
    Ok(store)
}

/// The chain and key of a client certificate, PEM or DER each.
fn parse_client_certificate(
    certificate: &ClientCertificate,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    let chain = if is_pem(&certificate.chain) {
        pem_certificates(&certificate.chain, "client certificate")?
    } else {
        vec![CertificateDer::from(certificate.chain.clone())]
    };
    let key = if is_pem(&certificate.key) {
        PrivateKeyDer::from_pem_slice(&certificate.key)
            .map_err(|e| invalid(format!("client certificate key: no usable private key in the PEM ({e})")))?
    } else {
        PrivateKeyDer::try_from(certificate.key.clone()).map_err(|e| invalid(format!("client certificate key: {e}")))?
    };
    Ok((chain, key))
}

/// Every `CERTIFICATE` section of `pem`: at least one, all well-formed.
fn pem_certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{what}: bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(format!("{what}: no CERTIFICATE in the PEM")));
    }
    Ok(certs)
}

/// PEM text rather than DER: DER starts with a binary tag and never holds
/// a PEM boundary line.
fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidRequest, message)
}

/// The TLS a connector puts on a transport, by the origin's scheme: HTTPS
/// with ALPN `http/1.1`, and `rediss` (Redis over TLS) with the same
/// roots and client certificate but no ALPN, which RESP has no identifier
/// for.
#[derive(Clone, Debug)]
pub struct SchemeTls {
    https: Arc<rustls::ClientConfig>,
    without_alpn: Arc<rustls::ClientConfig>,
}

impl SchemeTls {
    /// The per-scheme configurations made from the HTTPS one.
    pub fn new(https: Arc<rustls::ClientConfig>) -> Self {
        let mut plain = (*https).clone();
        plain.alpn_protocols.clear();
        SchemeTls { https, without_alpn: Arc::new(plain) }
    }

    /// The configuration for an origin of `scheme`, or `None` when the
    /// scheme is not carried over TLS (`http`, `redis`, `dns`).
    pub fn for_scheme(&self, scheme: &str) -> Option<Arc<rustls::ClientConfig>> {
        match scheme {
            "https" => Some(self.https.clone()),
            "rediss" => Some(self.without_alpn.clone()),
            _ => None,
        }
    }
}

/// The TLS server name for a host (a DNS name or an IP address).
pub fn server_name(host: &str) -> std::io::Result<rustls_pki_types::ServerName<'static>> {
    rustls_pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_and_message(result: Result<Arc<rustls::ClientConfig>, Error>) -> (ErrorKind, String) {
        let e = result.expect_err("should fail");
        (e.kind(), e.message().to_owned())
    }

    #[test]
    fn https_offers_http_1_1_and_rediss_offers_nothing() {
        let config = client_config(&TlsRoots::default()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let schemes = SchemeTls::new(config);
        assert_eq!(schemes.for_scheme("https").unwrap().alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(schemes.for_scheme("rediss").unwrap().alpn_protocols.is_empty());
        assert!(schemes.for_scheme("http").is_none());
        assert!(schemes.for_scheme("redis").is_none());
    }

    #[test]
    fn pem_is_told_from_der() {
        assert!(is_pem(b"# a comment\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
        assert!(!is_pem(&[0x30, 0x82, 0x01, 0x0a, 0x02]));
        let mut roots = TlsRoots::default();
        roots.add(b"-----BEGIN CERTIFICATE-----\n".to_vec());
        roots.add(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert_eq!((roots.extra_pem.len(), roots.extra.len()), (1, 1));
    }

    #[test]
    fn bad_roots_are_invalid_requests() {
        let roots = TlsRoots { extra_pem: vec![b"no certificate here\n".to_vec()], ..TlsRoots::default() };
        let (kind, message) = kind_and_message(client_config(&roots));
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(message.contains("no CERTIFICATE"), "{message}");

        let broken = b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n".to_vec();
        let roots = TlsRoots { extra_pem: vec![broken], ..TlsRoots::default() };
        let (kind, message) = kind_and_message(client_config(&roots));
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(message.contains("root certificate"), "{message}");

        let roots = TlsRoots { extra: vec![CertificateDer::from(vec![0x30, 0x00])], ..TlsRoots::default() };
        let (kind, message) = kind_and_message(client_config(&roots));
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(message.contains("neither PEM"), "{message}");
    }

    #[test]
    fn a_missing_key_is_an_invalid_request() {
        let certificate = ClientCertificate {
            chain: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
            key: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
        };
        let (kind, message) = kind_and_message(client_config_with(&TlsRoots::default(), Some(&certificate)));
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(message.contains("no usable private key"), "{message}");
        let certificate = ClientCertificate { chain: vec![0x30, 0x00], key: vec![1, 2, 3] };
        let (kind, message) = kind_and_message(client_config_with(&TlsRoots::default(), Some(&certificate)));
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(message.contains("client certificate key"), "{message}");
    }

    #[test]
    fn the_key_is_not_printed() {
        let certificate = ClientCertificate { chain: vec![1; 10], key: b"SECRET".to_vec() };
        assert!(!format!("{certificate:?}").contains("SECRET"));
    }
}
