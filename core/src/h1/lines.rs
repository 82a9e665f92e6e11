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
    while let Some(pos) = find_byte(&buf[i..], b'\n') {
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

/// The position of the first `needle` in `haystack`, eight bytes at a time
/// (a bytewise loop costs about as much as httparse's whole parse of a head).
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = ONES * u64::from(needle);
    let mut words = haystack.chunks_exact(8);
    for (n, word) in words.by_ref().enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        // Bytes equal to `needle` become zero; the lowest zero byte of `x`
        // sets the lowest flagged bit (higher flags may be false positives).
        let x = u64::from_le_bytes(bytes) ^ pattern;
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(n * 8 + (zeros.trailing_zeros() / 8) as usize);
        }
    }
    let done = haystack.len() - words.remainder().len();
    words.remainder().iter().position(|&b| b == needle).map(|p| done + p)
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

    #[test]
    fn find_byte_agrees_with_a_bytewise_search() {
        let mut hay = alloc::vec::Vec::new();
        for len in 0..40 {
            for at in 0..=len {
                hay.clear();
                // Bytes next to the needle's value make borrows cross bytes.
                hay.extend((0..len).map(|i| [0x0b, 0x09, 0x8a, 0x00, 0xff][i % 5]));
                if at < len {
                    hay[at] = b'\n';
                    if at + 1 < len {
                        hay[at + 1] = b'\n';
                    }
                }
                let want = hay.iter().position(|&b| b == b'\n');
                assert_eq!(find_byte(&hay, b'\n'), want, "len {len} at {at}");
                assert_eq!(find_byte(&hay, 0x00), hay.iter().position(|&b| b == 0), "len {len}");
                assert_eq!(find_byte(&hay, 0xff), hay.iter().position(|&b| b == 0xff), "len {len}");
            }
        }
    }
}
