//! HTTPS scenarios on both drivers, against hyper behind rustls with an
//! rcgen-generated certificate.

mod tokio {
    pipelining_tests::scenarios!(pipelining_tests::run_on_tokio, pipelining_tokio::Tokio, https);
}

mod smol {
    pipelining_tests::scenarios!(pipelining_tests::run_on_smol, pipelining_smol::Smol, https);
}
