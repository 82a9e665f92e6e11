//! Test certificate authorities and certificates they signed, made with
//! rcgen: a server certificate for `localhost` and `127.0.0.1`, and client
//! certificates for mutual TLS.

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// A generated CA and a server configuration presenting a certificate it
/// signed.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate (DER): what a client must trust.
    pub ca_der: Vec<u8>,
    /// The same CA certificate as PEM text (for `--cacert` and
    /// `SSL_CERT_FILE`).
    pub ca_pem: String,
    /// A rustls server configuration (ring provider) with the leaf
    /// certificate and the CA in its chain.
    pub server_config: Arc<rustls::ServerConfig>,
}

/// A certificate authority that can sign more certificates.
pub struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A certificate an authority signed, with its chain and key in both
/// encodings.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// The leaf, then its CA (DER).
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's PKCS#8 private key (DER).
    pub key_der: Vec<u8>,
    /// The leaf then its CA, as PEM text.
    pub chain_pem: String,
    /// The leaf's private key as PEM text (`PRIVATE KEY`).
    pub key_pem: String,
}

impl Leaf {
    /// The private key for a rustls configuration.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

impl TestCa {
    /// A fresh self-signed CA named `name`.
    pub fn new(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa { cert, key }
    }

    /// The CA certificate (DER).
    pub fn der(&self) -> Vec<u8> {
        CertificateDer::as_ref(self.cert.der()).to_vec()
    }

    /// The CA certificate as PEM text.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    pub fn server_leaf(&self) -> Leaf {
        self.leaf("localhost", vec!["localhost".to_owned(), "127.0.0.1".to_owned()], None)
    }

    /// A client certificate (extended key usage `clientAuth`) named
    /// `name`.
    pub fn client_leaf(&self, name: &str) -> Leaf {
        self.leaf(name, Vec::new(), Some(rcgen::ExtendedKeyUsagePurpose::ClientAuth))
    }

    fn leaf(&self, name: &str, names: Vec<String>, usage: Option<rcgen::ExtendedKeyUsagePurpose>) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut params = rcgen::CertificateParams::new(names).expect("leaf params");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = usage.into_iter().collect();
        let cert = params.signed_by(&key, &self.cert, &self.key).expect("leaf certificate");
        Leaf {
            chain: vec![cert.der().clone(), self.cert.der().clone()],
            key_der: key.serialize_der(),
            chain_pem: format!("{}{}", cert.pem(), self.cert.pem()),
            key_pem: key.serialize_pem(),
        }
    }
}

/// Which TLS versions a test server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versions {
    /// TLS 1.2 and 1.3 (rustls's safe defaults).
    Default,
    /// TLS 1.2 only: a refused client certificate then fails the client's
    /// handshake itself (in TLS 1.3 the client's handshake is over before
    /// the server has read its certificate).
    Tls12,
}

/// A server configuration (ring provider) presenting `leaf`; with
/// `client_ca`, every client must present a certificate that CA signed.
pub fn server_config(leaf: &Leaf, client_ca: Option<&TestCa>, versions: Versions) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone());
    let builder = match versions {
        Versions::Default => builder.with_safe_default_protocol_versions(),
        Versions::Tls12 => builder.with_protocol_versions(&[&rustls::version::TLS12]),
    }
    .expect("protocol versions");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from(ca.der())).expect("client CA");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client certificate verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    Arc::new(builder.with_single_cert(leaf.chain.clone(), leaf.key()).expect("server certificate chain"))
}

/// Generates a fresh CA and server certificate.
pub fn generate() -> TestPki {
    let ca = TestCa::new("pipelining test CA");
    let server_config = server_config(&ca.server_leaf(), None, Versions::Default);
    TestPki { ca_der: ca.der(), ca_pem: ca.pem(), server_config }
}

/// A server that requires client certificates, and the certificates to
/// test it with.
#[derive(Debug)]
pub struct MutualPki {
    /// The CA of the server's certificate: what a client must trust.
    pub server_ca: TestCa,
    /// The CA whose client certificates the server accepts.
    pub client_ca: TestCa,
    /// A client certificate `client_ca` signed.
    pub client: Leaf,
    /// The server's certificate.
    pub server: Leaf,
}

impl MutualPki {
    /// Fresh CAs, a server certificate and a client certificate.
    pub fn generate() -> Self {
        let server_ca = TestCa::new("pipelining test server CA");
        let client_ca = TestCa::new("pipelining test client CA");
        let client = client_ca.client_leaf("pipelining test client");
        let server = server_ca.server_leaf();
        MutualPki { server_ca, client_ca, client, server }
    }

    /// The server's configuration: its certificate, client certificates
    /// from `client_ca` required.
    pub fn server_config(&self, versions: Versions) -> Arc<rustls::ServerConfig> {
        server_config(&self.server, Some(&self.client_ca), versions)
    }
}
