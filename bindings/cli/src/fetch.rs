//! `pipelining fetch` (docs/DESIGN.md C1).

use crate::exit;
use crate::flags::{self, ClientFlags};
use crate::json;
use crate::proxy_flags::ProxyFlags;
use crate::request_list::{self, RequestSpec};
use bytes::Bytes;
use clap::Args;
use pipelining_tokio::{Attempts, Client, ErrorKind, WholeResponse};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `pipelining fetch`'s flags.
#[derive(Args)]
pub(crate) struct FetchArgs {
    /// URLs to GET (before the --input requests).
    urls: Vec<String>,
    /// A file (or - for stdin) with one request per line: `URL` or `METHOD URL`.
    #[arg(long, value_name = "FILE|-")]
    input: Option<String>,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 8, value_parser = flags::depth())]
    depth: usize,
    /// Connections per origin.
    #[arg(long, default_value_t = 2, value_parser = flags::connections(1024))]
    connections: usize,
    /// Tries per request (resends after `Connection: close` spend none).
    #[arg(long, default_value_t = 3, value_parser = flags::max_tries())]
    max_tries: u32,
    /// Connect and stall timeout in seconds (decimals allowed).
    #[arg(long, value_name = "SECS", value_parser = flags::parse_seconds)]
    timeout: Option<f64>,
    /// One compact JSON object per request on stdout.
    #[arg(long)]
    json: bool,
    /// Write each body to DIR/<n>.body (n = 1-based request index, 6 digits).
    #[arg(short = 'o', value_name = "DIR")]
    output: Option<PathBuf>,
    /// Count a status of 400 or more as a failure (error_kind http_status).
    #[arg(long)]
    fail: bool,
    /// Print connection events and what was learnt of each origin to stderr.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Trust the CA certificates of this PEM file instead of the built-in
    /// roots (as curl's --cacert).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    #[command(flatten)]
    proxy: ProxyFlags,
}

/// Runs `pipelining fetch`: every request is validated before any is sent.
pub(crate) async fn run(args: FetchArgs) -> ExitCode {
    let input = match args.input.as_deref() {
        None => None,
        Some("-") => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                return exit::usage_error(format!("cannot read stdin: {e}"));
            }
            Some(text)
        }
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => return exit::usage_error(format!("cannot read {path}: {e}")),
        },
    };
    let specs = match request_list::collect(&args.urls, input.as_deref()) {
        Ok(specs) => specs,
        Err(e) => return exit::usage_error(e),
    };
    if specs.is_empty() {
        return exit::usage_error("no requests: give URLs or --input");
    }
    let flags = ClientFlags {
        depth: args.depth,
        connections: args.connections,
        max_tries: Some(args.max_tries),
        timeout: args.timeout,
    };
    let cacert = match flags::read_cacert(args.cacert.as_deref()) {
        Ok(cacert) => cacert,
        Err(e) => return exit::usage_error(e),
    };
    let proxies = match args.proxy.resolve() {
        Ok(proxies) => proxies,
        Err(e) => return exit::usage_error(e),
    };
    let mut builder = flags::trust(flags.builder(), cacert.as_deref()).queue_limit(1024).proxy_config(proxies);
    if args.verbose {
        builder = builder.observer(crate::verbose::observe);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return exit::usage_error(e),
    };
    exit::after_run(fetch_all(&client, specs, &args).await)
}

/// How one request ended, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    /// The response status.
    status: Option<u16>,
    /// Body length after transfer decoding.
    body_bytes: Option<u64>,
    /// SHA-256 of the body, lowercase hex.
    body_sha256: Option<String>,
    /// Times the request was written, fully or partly.
    attempts: u32,
    /// What went wrong.
    error: Option<String>,
    /// Its C1 name.
    error_kind: Option<ErrorKind>,
}

impl Outcome {
    fn failed(kind: ErrorKind, error: String, attempts: u32) -> Self {
        Outcome {
            status: None,
            body_bytes: None,
            body_sha256: None,
            attempts,
            error: Some(error),
            error_kind: Some(kind),
        }
    }

    /// The C1 JSON line.
    fn json_line(&self, spec: &RequestSpec) -> String {
        json::Object::default()
            .field("url", json::string(&spec.url))
            .field("method", json::string(spec.method.as_str()))
            .field("status", json::opt(self.status))
            .field("body_bytes", json::opt(self.body_bytes))
            .field("body_sha256", json::opt_string(self.body_sha256.as_deref()))
            .field("attempts", self.attempts.to_string())
            .field("error", json::opt_string(self.error.as_deref()))
            .field("error_kind", json::opt_string(self.error_kind.map(|k| k.as_str())))
            .finish()
    }

    fn human_line(&self, spec: &RequestSpec) -> String {
        match (self.status, &self.error) {
            (Some(status), None) => format!(
                "{status} {} {} ({} bytes, {} attempt{})",
                spec.method,
                spec.url,
                self.body_bytes.unwrap_or(0),
                self.attempts,
                if self.attempts == 1 { "" } else { "s" }
            ),
            _ => format!(
                "ERROR {} {} {}: {}",
                self.error_kind.map_or("unknown", |k| k.as_str()),
                spec.method,
                spec.url,
                self.error.as_deref().unwrap_or("")
            ),
        }
    }
}

/// Sends every request, in order, and prints one line per request in
/// request order. Returns whether every request got a response (and, with
/// `--fail`, a status below 400).
async fn fetch_all(client: &Client, specs: Vec<RequestSpec>, options: &FetchArgs) -> std::io::Result<bool> {
    if let Some(dir) = &options.output {
        std::fs::create_dir_all(dir)?;
    }
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(specs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // `send` queues each request at once, so they are written in this order.
    let mut tasks = Vec::with_capacity(specs.len());
    for (index, spec) in specs.iter().enumerate() {
        let mut request = http::Request::builder()
            .method(spec.method.clone())
            .uri(spec.uri.clone())
            .body(http_body_util::Full::new(Bytes::new()))
            .map_err(std::io::Error::other)?;
        // Whole responses: one cut off mid-way is replayed, never merged.
        request.extensions_mut().insert(WholeResponse);
        let response = client.send(request);
        let path = options.output.as_ref().map(|dir| dir.join(format!("{:06}.body", index + 1)));
        let fail = options.fail;
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = finish(response, path, fail).await;
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            outcome
        }));
    }
    let stdout = std::io::stdout();
    let mut all_ok = true;
    for (spec, task) in specs.iter().zip(tasks) {
        let outcome =
            task.await.unwrap_or_else(|e| Outcome::failed(ErrorKind::ConnectionLost, format!("task failed: {e}"), 0));
        all_ok &= outcome.error_kind.is_none();
        let line = if options.json { outcome.json_line(spec) } else { outcome.human_line(spec) };
        let mut out = stdout.lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if options.verbose {
        crate::verbose::summary(client);
    }
    Ok(all_ok)
}

async fn finish(response: pipelining_tokio::ResponseFuture, path: Option<PathBuf>, fail: bool) -> Outcome {
    let response = match response.await {
        Ok(response) => response,
        Err(e) => return Outcome::failed(e.kind(), e.message().to_owned(), e.attempts()),
    };
    let status = response.status().as_u16();
    let attempts = response.extensions().get::<Attempts>().map_or(1, |a| a.0);
    let body = match response.into_body().bytes().await {
        Ok(body) => body,
        Err(e) => return Outcome::failed(e.kind(), e.message().to_owned(), attempts.max(e.attempts())),
    };
    if fail && status >= 400 {
        return Outcome::failed(ErrorKind::HttpStatus, format!("HTTP status {status}"), attempts);
    }
    if let Some(path) = path {
        if let Err(e) = tokio::fs::write(&path, &body).await {
            eprintln!("pipelining: cannot write {}: {e}", path.display());
        }
    }
    Outcome {
        status: Some(status),
        body_bytes: Some(body.len() as u64),
        body_sha256: Some(hex(&Sha256::digest(&body))),
        attempts,
        error: None,
        error_kind: None,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_have_the_c1_keys_in_order() {
        let spec = crate::request_list::collect(&["http://h/a".into()], None).unwrap().remove(0);
        let ok = Outcome {
            status: Some(200),
            body_bytes: Some(3),
            body_sha256: Some(hex(&Sha256::digest(b"abc"))),
            attempts: 1,
            error: None,
            error_kind: None,
        };
        assert_eq!(
            ok.json_line(&spec),
            r#"{"url":"http://h/a","method":"GET","status":200,"body_bytes":3,"body_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","attempts":1,"error":null,"error_kind":null}"#
        );
        let failed = Outcome::failed(ErrorKind::MayHaveBeenProcessed, "lost".into(), 1);
        assert_eq!(
            failed.json_line(&spec),
            r#"{"url":"http://h/a","method":"GET","status":null,"body_bytes":null,"body_sha256":null,"attempts":1,"error":"lost","error_kind":"may_have_been_processed"}"#
        );
    }
}
