//! Finding the empty line that ends a header or trailer section.

/// Result of scanning for the end of a field section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlankLine {
    /// The section, its empty line included, is `buf[..end]`.
    EndsAt(usize),
    /// Not complete; a later scan may resume at `resume`.
    NotYet { resume: usize },
}

/// Scans `buf` from `from` for a line ending followed by an empty line:
/// `\n\n` or `\n\r\n` (RFC 9112 §2.2 lets a recipient accept a bare LF).
///
/// Resuming where the last scan stopped keeps byte-at-a-time input linear
/// instead of quadratic.
pub(crate) fn find_blank_line(buf: &[u8], from: usize) -> BlankLine {
    let mut i = from.min(buf.len());
    while let Some(pos) = buf[i..].iter().position(|&b| b == b'\n') {
        let lf = i + pos;
        match buf.get(lf + 1) {
            Some(b'\n') => return BlankLine::EndsAt(lf + 2),
            Some(b'\r') => match buf.get(lf + 2) {
                Some(b'\n') => return BlankLine::EndsAt(lf + 3),
                Some(_) => i = lf + 1,
                None => return BlankLine::NotYet { resume: lf },
            },
            Some(_) => i = lf + 1,
            None => return BlankLine::NotYet { resume: lf },
        }
    }
    BlankLine::NotYet { resume: buf.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_crlf_and_bare_lf_endings_and_resumes() {
        assert_eq!(find_blank_line(b"a\r\n\r\nrest", 0), BlankLine::EndsAt(5));
        assert_eq!(find_blank_line(b"a\n\nrest", 0), BlankLine::EndsAt(3));
        assert_eq!(find_blank_line(b"a\r\nb\r\n", 0), BlankLine::NotYet { resume: 5 });
        assert_eq!(find_blank_line(b"a\r\nb\r\n\r", 0), BlankLine::NotYet { resume: 5 });
        assert_eq!(find_blank_line(b"a\r\nb\r\n\r\n", 5), BlankLine::EndsAt(8));
        assert_eq!(find_blank_line(b"abc", 0), BlankLine::NotYet { resume: 3 });
    }
}
