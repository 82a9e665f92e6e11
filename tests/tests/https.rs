//! HTTPS scenarios on both drivers, against hyper behind rustls with an
//! rcgen-generated certificate.

mod tokio {
    pipelining_tests::scenarios!(pipelining_tests::run_on_tokio, pipelining_tokio::Tokio;
        https_trusted_pipelines,
        https_untrusted_is_connect,
        https_handshake_timeout_is_connect,
    );
}

mod smol {
    pipelining_tests::scenarios!(pipelining_tests::run_on_smol, pipelining_smol::Smol;
        https_trusted_pipelines,
        https_untrusted_is_connect,
        https_handshake_timeout_is_connect,
    );
}
