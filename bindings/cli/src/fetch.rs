//! `pipelining fetch` (docs/DESIGN.md C1).

use crate::basic_auth;
use crate::exit;
use crate::flags::{self, ClientFlags};
use crate::json;
use crate::proxy_flags::ProxyFlags;
use crate::request_flags::{self, Data, HeaderFlag, RequestTemplate};
use crate::request_list::{self, RequestSpec};
use clap::Args;
use pipelining_tokio::{Client, ErrorKind, WholeResponse};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `pipelining fetch`'s flags.
#[derive(Args)]
pub(crate) struct FetchArgs {
    /// URLs to fetch (before the --input requests).
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
    /// Write each body to DIR/<n>.body (n = 1-based request index, 6 digits);
    /// a body that cannot be written fails its request (error_kind output).
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
    /// Add this header field to every request (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = request_flags::parse_header)]
    header_fields: Vec<HeaderFlag>,
    /// The method of every request whose input line names none (default
    /// GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD", value_parser = request_flags::parse_method)]
    method: Option<http::Method>,
    /// Send DATA, exactly, as every request's body (@FILE reads a file, @-
    /// stdin); with the form Content-Type unless -H gives one.
    #[arg(short = 'd', long = "data", value_name = "DATA", value_parser = request_flags::parse_data)]
    data: Option<Data>,
    /// Send `Authorization: Basic` with these credentials (as curl's -u).
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD", value_parser = basic_auth::parse_user)]
    user: Option<http::HeaderValue>,
    /// Add each response's header fields, in order, to its JSON object
    /// (a last key, "headers": [[name, value], …]) or under its line.
    #[arg(long = "headers")]
    response_headers: bool,
}

/// Runs `pipelining fetch`: every request is validated, and every file
/// read, before any is sent.
pub(crate) async fn run(args: FetchArgs) -> ExitCode {
    if args.data == Some(Data::Stdin) && args.input.as_deref() == Some("-") {
        return exit::usage_error("-d @- and --input - cannot both read stdin");
    }
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
    let read_stdin = || {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    };
    let body = match args.data.as_ref().map(|data| data.read(read_stdin)).transpose() {
        Ok(body) => body,
        Err(e) => return exit::usage_error(e),
    };
    let template = match RequestTemplate::new(&args.header_fields, args.method.clone(), body, args.user.clone()) {
        Ok(template) => template,
        Err(e) => return exit::usage_error(e),
    };
    let specs = match request_list::collect(&args.urls, input.as_deref(), &template.default_method()) {
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
    exit::after_run(fetch_all(&client, specs, &template, &args).await)
}

/// Why a request failed, as C1's `error_kind` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// The client's error, or `http_status` with `--fail` (C5).
    Request(ErrorKind),
    /// The command's own: the body could not be written to `-o DIR`.
    Output,
}

impl Failure {
    fn as_str(self) -> &'static str {
        match self {
            Failure::Request(kind) => kind.as_str(),
            Failure::Output => "output",
        }
    }
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
    error_kind: Option<Failure>,
    /// With `--headers`, the response's fields in order: names in lower
    /// case, each byte of a value one character (U+0000 to U+00FF).
    headers: Option<Vec<(String, String)>>,
}

impl Outcome {
    fn failed(kind: Failure, error: String, attempts: u32) -> Self {
        Outcome {
            status: None,
            body_bytes: None,
            body_sha256: None,
            attempts,
            error: Some(error),
            error_kind: Some(kind),
            headers: None,
        }
    }

    /// The C1 JSON line; with `--headers`, a last key `headers`.
    fn json_line(&self, spec: &RequestSpec, with_headers: bool) -> String {
        let mut object = json::Object::default()
            .field("url", json::string(&spec.url))
            .field("method", json::string(spec.method.as_str()))
            .field("status", json::opt(self.status))
            .field("body_bytes", json::opt(self.body_bytes))
            .field("body_sha256", json::opt_string(self.body_sha256.as_deref()))
            .field("attempts", self.attempts.to_string())
            .field("error", json::opt_string(self.error.as_deref()))
            .field("error_kind", json::opt_string(self.error_kind.map(Failure::as_str)));
        if with_headers {
            object = object.field("headers", self.headers.as_deref().map_or_else(|| "null".to_owned(), pairs));
        }
        object.finish()
    }

    /// The human line; with `--headers`, each field indented below it.
    fn human_line(&self, spec: &RequestSpec) -> String {
        let mut line = match (self.status, &self.error) {
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
                self.error_kind.map_or("unknown", Failure::as_str),
                spec.method,
                spec.url,
                self.error.as_deref().unwrap_or("")
            ),
        };
        for (name, value) in self.headers.iter().flatten() {
            line.push_str("\n  ");
            line.push_str(name);
            line.push_str(": ");
            line.push_str(value);
        }
        line
    }
}

/// `[[name, value], …]` as JSON.
fn pairs(fields: &[(String, String)]) -> String {
    let mut out = String::from("[");
    for (index, (name, value)) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('[');
        json::push_string(&mut out, name);
        out.push(',');
        json::push_string(&mut out, value);
        out.push(']');
    }
    out.push(']');
    out
}

/// Text of header bytes, one character per byte: every byte survives, and
/// the Node command shows the same text (it reads fields as latin1).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Where a body goes with `-o DIR`.
#[derive(Clone, Debug)]
enum Destination {
    /// This file.
    File(PathBuf),
    /// Nowhere: the directory could not be made (why).
    Unusable(Arc<str>),
}

/// Sends every request, in order, and prints one line per request in
/// request order. Returns whether every request got a response (and, with
/// `--fail`, a status below 400; with `-o`, a body written).
async fn fetch_all(
    client: &Client,
    specs: Vec<RequestSpec>,
    template: &RequestTemplate,
    options: &FetchArgs,
) -> std::io::Result<bool> {
    // A directory that cannot be made fails every request's write (with
    // `output`), as a file that cannot be written fails its own.
    let unusable = options.output.as_ref().and_then(|dir| {
        std::fs::create_dir_all(dir)
            .err()
            .map(|e| Arc::<str>::from(format!("cannot create the -o directory {}: {e}", dir.display())))
    });
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(specs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // `send_raw` queues each request at once, so they are written in this
    // order.
    let mut tasks = Vec::with_capacity(specs.len());
    for (index, spec) in specs.iter().enumerate() {
        let mut request = template.request(spec.method.clone(), spec.uri.clone()).map_err(std::io::Error::other)?;
        // Whole responses: one cut off mid-way is replayed, never merged.
        request.extensions_mut().insert(WholeResponse);
        let response = client.send_raw(request);
        let destination = options.output.as_ref().map(|dir| match &unusable {
            Some(why) => Destination::Unusable(why.clone()),
            None => Destination::File(dir.join(format!("{:06}.body", index + 1))),
        });
        let (fail, with_headers) = (options.fail, options.response_headers);
        let progress = progress.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = finish(response, destination, fail, with_headers).await;
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            outcome
        }));
    }
    let stdout = std::io::stdout();
    let mut all_ok = true;
    for (spec, task) in specs.iter().zip(tasks) {
        let outcome = task.await.unwrap_or_else(|e| {
            Outcome::failed(Failure::Request(ErrorKind::ConnectionLost), format!("task failed: {e}"), 0)
        });
        all_ok &= outcome.error_kind.is_none();
        let line =
            if options.json { outcome.json_line(spec, options.response_headers) } else { outcome.human_line(spec) };
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

async fn finish(
    response: pipelining_tokio::RawResponseFuture,
    destination: Option<Destination>,
    fail: bool,
    with_headers: bool,
) -> Outcome {
    let response = match response.await {
        Ok(response) => response,
        Err(e) => return Outcome::failed(Failure::Request(e.kind()), e.message().to_owned(), e.attempts()),
    };
    let status = response.status();
    let attempts = response.attempts();
    let headers = with_headers.then(|| {
        response.head().headers.iter().map(|h| (latin1(h.name).to_ascii_lowercase(), latin1(h.value))).collect()
    });
    let body = match response.into_body().bytes().await {
        Ok(body) => body,
        Err(e) => {
            return Outcome::failed(Failure::Request(e.kind()), e.message().to_owned(), attempts.max(e.attempts()));
        }
    };
    if fail && status >= 400 {
        return Outcome::failed(Failure::Request(ErrorKind::HttpStatus), format!("HTTP status {status}"), attempts);
    }
    match destination {
        None => {}
        Some(Destination::Unusable(why)) => return Outcome::failed(Failure::Output, why.to_string(), attempts),
        Some(Destination::File(path)) => {
            if let Err(e) = tokio::fs::write(&path, &body).await {
                return Outcome::failed(Failure::Output, format!("cannot write {}: {e}", path.display()), attempts);
            }
        }
    }
    Outcome {
        status: Some(status),
        body_bytes: Some(body.len() as u64),
        body_sha256: Some(hex(&Sha256::digest(&body))),
        attempts,
        error: None,
        error_kind: None,
        headers,
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
        let spec = crate::request_list::collect(&["http://h/a".into()], None, &http::Method::GET).unwrap().remove(0);
        let ok = Outcome {
            status: Some(200),
            body_bytes: Some(3),
            body_sha256: Some(hex(&Sha256::digest(b"abc"))),
            attempts: 1,
            error: None,
            error_kind: None,
            headers: None,
        };
        assert_eq!(
            ok.json_line(&spec, false),
            r#"{"url":"http://h/a","method":"GET","status":200,"body_bytes":3,"body_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","attempts":1,"error":null,"error_kind":null}"#
        );
        let failed = Outcome::failed(Failure::Request(ErrorKind::MayHaveBeenProcessed), "lost".into(), 1);
        assert_eq!(
            failed.json_line(&spec, false),
            r#"{"url":"http://h/a","method":"GET","status":null,"body_bytes":null,"body_sha256":null,"attempts":1,"error":"lost","error_kind":"may_have_been_processed"}"#
        );
        let output = Outcome::failed(Failure::Output, "cannot write".into(), 2);
        assert_eq!(
            output.json_line(&spec, true),
            r#"{"url":"http://h/a","method":"GET","status":null,"body_bytes":null,"body_sha256":null,"attempts":2,"error":"cannot write","error_kind":"output","headers":null}"#
        );
    }

    #[test]
    fn headers_come_last_as_pairs_in_order_and_under_the_human_line() {
        let spec = crate::request_list::collect(&["http://h/a".into()], None, &http::Method::GET).unwrap().remove(0);
        let fields = [("x-a", "1"), ("set-cookie", "a=1"), ("set-cookie", "b=\"2\""), ("x-latin1", "caf\u{e9}")];
        let ok = Outcome {
            status: Some(204),
            body_bytes: Some(0),
            body_sha256: Some(hex(&Sha256::digest(b""))),
            attempts: 1,
            error: None,
            error_kind: None,
            headers: Some(fields.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()),
        };
        assert_eq!(
            ok.json_line(&spec, true),
            r#"{"url":"http://h/a","method":"GET","status":204,"body_bytes":0,"body_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","attempts":1,"error":null,"error_kind":null,"headers":[["x-a","1"],["set-cookie","a=1"],["set-cookie","b=\"2\""],["x-latin1","café"]]}"#
        );
        assert_eq!(
            ok.human_line(&spec),
            "204 GET http://h/a (0 bytes, 1 attempt)\n  x-a: 1\n  set-cookie: a=1\n  set-cookie: b=\"2\"\n  x-latin1: café"
        );
        assert_eq!(latin1(&[b'a', 0xe9, 0xff]), "a\u{e9}\u{ff}");
    }
}
