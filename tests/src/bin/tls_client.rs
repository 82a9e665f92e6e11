//! One GET through a `pipelining-tokio` client in a process of its own,
//! for the tests of the platform's trust store: `SSL_CERT_FILE` is read
//! from the process's environment, which a test can set only for a child.
//!
//! ```text
//! tls_client URL [--platform-roots] [--without-webpki-roots]
//! ```
//!
//! Prints `ok STATUS BODY` and exits 0, or `error KIND MESSAGE` (the C5
//! kind) and exits 1.

use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((url, flags)) = args.split_first() else {
        eprintln!("usage: tls_client URL [--platform-roots] [--without-webpki-roots]");
        std::process::exit(2);
    };
    let mut builder = pipelining_tokio::Client::builder().max_tries(1).timeout(Duration::from_secs(5));
    for flag in flags {
        builder = match flag.as_str() {
            "--platform-roots" => builder.platform_roots(true),
            "--without-webpki-roots" => builder.without_webpki_roots(),
            other => {
                eprintln!("tls_client: unknown flag {other}");
                std::process::exit(2);
            }
        };
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let outcome = runtime.block_on(async {
        let client = builder.build()?;
        let response = client.get(url.as_str()).await?;
        let status = response.status().as_u16();
        let body = response.into_body().bytes().await?;
        Ok::<_, pipelining_tokio::Error>((status, body))
    });
    match outcome {
        Ok((status, body)) => println!("ok {status} {}", String::from_utf8_lossy(&body)),
        Err(e) => {
            println!("error {} {}", e.kind(), e.message());
            std::process::exit(1);
        }
    }
}
