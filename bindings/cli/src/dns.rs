//! `pipelining dns`: pipelined DNS-over-TCP queries, answers matched by
//! message ID.

use crate::json;
use pipelining_tokio::dns::{DnsClient, DnsMessage, RecordType, rcode_name};
use std::io::Write;

/// One query from the command line: `NAME[:TYPE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuerySpec {
    /// The name.
    pub name: String,
    /// The type (default A).
    pub qtype: RecordType,
}

/// Parses `NAME[:TYPE]`.
pub fn parse_query(arg: &str) -> Result<QuerySpec, String> {
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
pub fn json_line(spec: &QuerySpec, outcome: &Result<(DnsMessage, u32), pipelining_tokio::Error>) -> String {
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
pub async fn run(client: &DnsClient, specs: &[QuerySpec], json_out: bool) -> std::io::Result<bool> {
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
