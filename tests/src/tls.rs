//! A test certificate authority and a server certificate it signed, made
//! with rcgen for `localhost` and `127.0.0.1`.

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// A generated CA and a server configuration presenting a certificate it
/// signed.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate (DER): what a client must trust.
    pub ca_der: Vec<u8>,
    /// A rustls server configuration (ring provider) with the leaf
    /// certificate and the CA in its chain.
    pub server_config: Arc<rustls::ServerConfig>,
}

/// Generates a fresh CA and server certificate.
pub fn generate() -> TestPki {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "pipelining test CA");
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");

    let leaf_key = rcgen::KeyPair::generate().expect("server key");
    let mut leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("server params");
    leaf_params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).expect("server certificate");

    let chain = vec![leaf.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate chain");
    TestPki { ca_der: CertificateDer::as_ref(ca.der()).to_vec(), server_config: Arc::new(config) }
}
