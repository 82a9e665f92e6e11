//! `pipelining dns`: pipelined DNS-over-TCP queries, answers matched by
//! message ID.

use crate::flags::{self, ClientFlags};
use crate::{exit, json};
use clap::Args;
use pipelining_tokio::dns::{DnsClient, DnsMessage, RecordType, rcode_name};
use std::io::Write;
use std::process::ExitCode;

/// `pipelining dns`'s flags.
#[derive(Args)]
pub(crate) struct DnsArgs {
    /// Queries: NAME or NAME:TYPE (A, AAAA, MX, TXT, …; default A).
    #[arg(required = true)]
    queries: Vec<String>,
    /// The server, IP:PORT.
    #[arg(long, value_name = "ADDR")]
    server: std::net::SocketAddr,
    /// Queries in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = flags::depth())]
    depth: usize,
    /// Connections to the server.
    #[arg(long, default_value_t = 1, value_parser = flags::connections(64))]
    connections: usize,
    /// Tries per query.
    #[arg(long, default_value_t = 3, value_parser = flags::max_tries())]
    max_tries: u32,
    /// Connect and stall timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = flags::parse_seconds)]
    timeout: Option<f64>,
    /// One JSON object per query on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `pipelining dns`: every query is parsed before any is sent.
pub(crate) async fn run(args: DnsArgs) -> ExitCode {
    let mut specs = Vec::with_capacity(args.queries.len());
    for query in &args.queries {
        match parse_query(query) {
            Ok(spec) => specs.push(spec),
            Err(e) => return exit::usage_error(e),
        }
    }
    let flags = ClientFlags {
        depth: args.depth,
        connections: args.connections,
        max_tries: Some(args.max_tries),
        timeout: args.timeout,
    };
    // A DNS server answers out of order; there is nothing to probe.
    let builder = flags.builder().assume_pipelining(true);
    let client = match DnsClient::new(args.server, builder) {
        Ok(client) => client,
        Err(e) => return exit::usage_error(e),
    };
    exit::after_run(query_all(&client, &specs, args.json).await)
}

/// One query from the command line: `NAME[:TYPE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct QuerySpec {
    /// The name.
    name: String,
    /// The type (default A).
    qtype: RecordType,
}

/// Parses `NAME[:TYPE]`.
fn parse_query(arg: &str) -> Result<QuerySpec, String> {
    let (name, qtype) = match arg.rsplit_once(':') {
        Some((name, t)) => (name, RecordType::parse(t).ok_or_else(|| format!("unknown record type {t:?}"))?),
        None => (arg, RecordType::A),
    };
    if name.is_empty() {
        return Err(format!("empty name in {arg:?}"));
    }
    Ok(QuerySpec { name: name.to_owned(), qtype })
}

/// The JSON line of one query.
fn json_line(spec: &QuerySpec, outcome: &Result<(DnsMessage, u32), pipelining_tokio::Error>) -> String {
    let object = json::Object::default()
        .field("name", json::string(&spec.name))
        .field("type", json::string(&spec.qtype.to_string()));
    match outcome {
        Ok((message, attempts)) => {
            let answers: Vec<String> = message
                .answers
                .iter()
                .map(|r| {
                    json::Object::default()
                        .field("name", json::string(&r.name))
                        .field("type", json::string(&r.rtype.to_string()))
                        .field("ttl", r.ttl.to_string())
                        .field("data", json::string(&r.data_text()))
                        .finish()
                })
                .collect();
            object
                .field("rcode", json::string(rcode_name(message.header.rcode())))
                .field("answers", format!("[{}]", answers.join(",")))
                .field("attempts", attempts.to_string())
                .field("error", "null")
                .field("error_kind", "null")
                .finish()
        }
        Err(e) => object
            .field("rcode", "null")
            .field("answers", "null")
            .field("attempts", e.attempts().to_string())
            .field("error", json::string(e.message()))
            .field("error_kind", json::string(e.kind().as_str()))
            .finish(),
    }
}

fn human_line(spec: &QuerySpec, outcome: &Result<(DnsMessage, u32), pipelining_tokio::Error>) -> String {
    match outcome {
        Ok((message, _)) => {
            let answers: Vec<String> =
                message.answers.iter().map(|r| format!("{} {} {}", r.rtype, r.ttl, r.data_text())).collect();
            format!("{} {} {}: {}", spec.name, spec.qtype, rcode_name(message.header.rcode()), answers.join(", "))
        }
        Err(e) => format!("{} {} ERROR {}: {}", spec.name, spec.qtype, e.kind(), e.message()),
    }
}

/// Sends every query, in order, and prints one line per query in order.
/// Returns whether every query got an answer.
async fn query_all(client: &DnsClient, specs: &[QuerySpec], json_out: bool) -> std::io::Result<bool> {
    let futures: Vec<_> = specs.iter().map(|s| client.query(&s.name, s.qtype)).collect();
    let mut all_ok = true;
    let stdout = std::io::stdout();
    for (spec, future) in specs.iter().zip(futures) {
        let outcome = future.await.map(|reply| (reply.response, reply.attempts));
        all_ok &= outcome.is_ok();
        let line = if json_out { json_line(spec, &outcome) } else { human_line(spec, &outcome) };
        let mut out = stdout.lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_name_and_optional_type() {
        assert_eq!(parse_query("example.org").unwrap(), QuerySpec { name: "example.org".into(), qtype: RecordType::A });
        assert_eq!(parse_query("example.org:aaaa").unwrap().qtype, RecordType::AAAA);
        assert_eq!(parse_query("example.org:TYPE65").unwrap().qtype, RecordType(65));
        assert!(parse_query("example.org:BOGUS").is_err());
        assert!(parse_query(":A").is_err());
    }
}
