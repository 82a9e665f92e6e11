//! Writes a fresh test CA, a server certificate it signed (for `localhost`
//! and `127.0.0.1`) and a client certificate it signed, as PEM files, for
//! test suites outside Rust (the Node command's `--cacert` tests and the
//! Node driver's TLS tests in bindings/wasm/test):
//!
//! ```text
//! test_pki DIR   # writes DIR/ca.pem, DIR/server.pem (leaf then CA), DIR/server.key,
//!                # DIR/client.pem (leaf then CA), DIR/client.key
//! ```

use pipelining_tests::tls::TestCa;
use std::path::PathBuf;

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: test_pki DIR");
        std::process::exit(2);
    };
    let ca = TestCa::new("pipelining test CA");
    let leaf = ca.server_leaf();
    let client = ca.client_leaf("pipelining test client");
    for (name, text) in [
        ("ca.pem", ca.pem()),
        ("server.pem", leaf.chain_pem),
        ("server.key", leaf.key_pem),
        ("client.pem", client.chain_pem),
        ("client.key", client.key_pem),
    ] {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("test_pki: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}
