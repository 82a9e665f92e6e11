//! Finds whole requests in the bytes a server reads, as they arrive.

/// One request read off the wire.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// Its method.
    pub method: String,
    /// Its request-target.
    pub target: String,
    /// Its header fields, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Its body (framed by `Content-Length`).
    pub body: Vec<u8>,
}

impl Parsed {
    /// The first value of a header field.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Accumulates bytes and yields every complete request.
#[derive(Debug, Default)]
pub struct Scanner {
    buf: Vec<u8>,
    broken: bool,
}

impl Scanner {
    /// Adds bytes; returns the requests they complete.
    pub fn push(&mut self, data: &[u8]) -> Vec<Parsed> {
        let mut out = Vec::new();
        if self.broken {
            return out;
        }
        self.buf.extend_from_slice(data);
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 128];
            let mut request = httparse::Request::new(&mut headers);
            let head_len = match request.parse(&self.buf) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) => break,
                Err(_) => {
                    // Not HTTP: stop counting on this connection.
                    self.broken = true;
                    break;
                }
            };
            let fields: Vec<(String, String)> = request
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                .collect();
            let length = fields
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if self.buf.len() < head_len + length {
                break;
            }
            out.push(Parsed {
                method: request.method.unwrap_or_default().to_owned(),
                target: request.path.unwrap_or_default().to_owned(),
                headers: fields,
                body: self.buf[head_len..head_len + length].to_vec(),
            });
            self.buf.drain(..head_len + length);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_requests_split_anywhere() {
        let wire = b"GET /a HTTP/1.1\r\nhost: h\r\n\r\nPOST /b HTTP/1.1\r\ncontent-length: 3\r\n\r\nxyzHEAD /c HTTP/1.1\r\n\r\n";
        for split in 0..wire.len() {
            let mut scanner = Scanner::default();
            let mut all = scanner.push(&wire[..split]);
            all.extend(scanner.push(&wire[split..]));
            let seen: Vec<_> = all.iter().map(|p| (p.method.as_str(), p.target.as_str(), p.body.clone())).collect();
            assert_eq!(seen, vec![("GET", "/a", vec![]), ("POST", "/b", b"xyz".to_vec()), ("HEAD", "/c", vec![])]);
        }
    }
}
