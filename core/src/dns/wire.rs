//! Queries out, messages in (RFC 1035 §4.1, RFC 7766 §8 framing).

use super::name::{decode_name, encode_name};
use super::{CLASS_IN, DnsError, DnsHeader, DnsMessage, DnsQuery, QueryError, Question, Record, RecordType};
use alloc::vec::Vec;
use bytes::Bytes;

/// Appends `query` with message ID `id`, framed by its two-byte length
/// (RFC 1035 §4.2.2).
pub fn encode_query(query: &DnsQuery, id: u16, dst: &mut Vec<u8>) -> Result<(), QueryError> {
    let start = dst.len();
    dst.extend_from_slice(&[0, 0]);
    dst.extend_from_slice(&id.to_be_bytes());
    // RD: recursion desired; one question.
    dst.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    if let Err(e) = encode_name(&query.name, dst) {
        dst.truncate(start);
        return Err(e);
    }
    dst.extend_from_slice(&query.qtype.0.to_be_bytes());
    dst.extend_from_slice(&CLASS_IN.to_be_bytes());
    let len = (dst.len() - start - 2) as u16;
    dst[start..start + 2].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn u16_at(m: &[u8], at: usize) -> Result<u16, DnsError> {
    m.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or(DnsError::ShortMessage { offset: at })
}

fn u32_at(m: &[u8], at: usize) -> Result<u32, DnsError> {
    m.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or(DnsError::ShortMessage { offset: at })
}

/// Parses one message (without its length prefix). RDATA stays a slice of
/// `message`.
pub fn decode_message(message: &Bytes) -> Result<DnsMessage, DnsError> {
    let m = &message[..];
    if m.len() < 12 {
        return Err(DnsError::TooShort { len: m.len() });
    }
    let header = DnsHeader {
        id: u16_at(m, 0)?,
        flags: u16_at(m, 2)?,
        questions: u16_at(m, 4)?,
        answers: u16_at(m, 6)?,
        authorities: u16_at(m, 8)?,
        additionals: u16_at(m, 10)?,
    };
    if !header.is_response() {
        return Err(DnsError::NotAResponse);
    }
    let mut pos = 12;
    // Counts come from the peer: never reserve more than the bytes could hold.
    let mut questions = Vec::with_capacity(usize::from(header.questions).min(m.len() / 5));
    for _ in 0..header.questions {
        let (name, next) = decode_name(m, pos)?;
        questions.push(Question { name, qtype: RecordType(u16_at(m, next)?), qclass: u16_at(m, next + 2)? });
        pos = next + 4;
    }
    let mut sections = [Vec::new(), Vec::new(), Vec::new()];
    for (section, count) in sections.iter_mut().zip([header.answers, header.authorities, header.additionals]) {
        section.reserve(usize::from(count).min(m.len() / 11));
        for _ in 0..count {
            let (name, next) = decode_name(m, pos)?;
            let rtype = RecordType(u16_at(m, next)?);
            let class = u16_at(m, next + 2)?;
            let ttl = u32_at(m, next + 4)?;
            let len = usize::from(u16_at(m, next + 8)?);
            let data_at = next + 10;
            if data_at + len > m.len() {
                return Err(DnsError::ShortMessage { offset: data_at });
            }
            section.push(Record { name, rtype, class, ttl, data: message.slice(data_at..data_at + len) });
            pos = data_at + len;
        }
    }
    if pos != m.len() {
        return Err(DnsError::TrailingBytes { extra: m.len() - pos });
    }
    let [answers, authorities, additionals] = sections;
    Ok(DnsMessage { header, questions, answers, authorities, additionals })
}
