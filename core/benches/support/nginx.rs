//! The responses the benches, the cost example and the allocation test all
//! decode: what nginx sends for a static 1 KiB file (9 fields, a 254-byte
//! head), with bodies that differ per response so a mix-up would show.

/// Content bytes per response.
pub(crate) const BODY: usize = 1024;

/// nginx's head for the file, with `framing` as its framing field.
pub(crate) fn head(framing: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\n\
         Server: nginx/1.22.1\r\n\
         Date: Mon, 06 Jan 2025 12:00:00 GMT\r\n\
         Content-Type: text/plain\r\n\
         {framing}\r\n\
         Last-Modified: Mon, 06 Jan 2025 11:00:00 GMT\r\n\
         Connection: keep-alive\r\n\
         ETag: \"677bb7b0-400\"\r\n\
         Accept-Ranges: bytes\r\n\
         Vary: Origin\r\n\
         \r\n"
    )
}

/// The body of response `i`.
pub(crate) fn body(i: usize) -> Vec<u8> {
    (0..BODY).map(|j| b'a' + ((i + j) % 26) as u8).collect()
}

/// `n` responses framed by `Content-Length: 1024`, back to back.
pub(crate) fn plain_responses(n: usize) -> Vec<u8> {
    let head = head("Content-Length: 1024");
    assert_eq!(head.len(), 254, "nginx-sized head");
    let mut out = Vec::with_capacity(n * (head.len() + BODY));
    for i in 0..n {
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(&body(i));
    }
    out
}
