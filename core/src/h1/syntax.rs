//! Character classes of HTTP's grammar (RFC 9110 §5.6, RFC 5234 Appendix B).

/// `tchar` (RFC 9110 §5.6.2): the characters of a token.
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// [`is_tchar`] by byte. Every field name of every request is checked a byte
/// at a time: one load per byte instead of the range tests' jump table.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8,
            b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
            | b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z');
        b += 1;
    }
    table
};

/// A byte allowed inside a field value (RFC 9110 §5.5): `VCHAR`, `obs-text`,
/// SP and HTAB. Every other control character (CR, LF and NUL above all)
/// could end the field early or smuggle a second one.
#[inline]
pub(crate) fn is_field_value_byte(b: u8) -> bool {
    FIELD_VALUE[usize::from(b)]
}

/// [`is_field_value_byte`] by byte, for the same reason as [`TCHAR`].
static FIELD_VALUE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b == 0x09 || (b >= 0x20 && b != 0x7f);
        b += 1;
    }
    table
};

/// Optional whitespace `OWS` (RFC 9110 §5.6.3).
pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trims `OWS` from both ends.
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ows(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ows(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Iterates the elements of a comma-separated list (RFC 9110 §5.6.1),
/// trimmed, skipping empty ones as recipients must.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows).filter(|e| !e.is_empty())
}

/// Parses `1*DIGIT` into a `u64`; `None` for anything else or on overflow.
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tchar_is_exactly_the_rfc_9110_token_characters() {
        // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" /
        // "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
        let listed: &[u8] = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for b in 0..=255u8 {
            assert_eq!(is_tchar(b), listed.contains(&b), "byte {b:#04x}");
        }
    }

    #[test]
    fn field_value_bytes_are_vchar_obs_text_sp_and_htab() {
        // RFC 9110 §5.5: VCHAR (0x21-0x7e), obs-text (0x80-0xff), SP, HTAB.
        for b in 0..=255u8 {
            let allowed = (0x21..=0x7e).contains(&b) || b >= 0x80 || b == b' ' || b == b'\t';
            assert_eq!(is_field_value_byte(b), allowed, "byte {b:#04x}");
        }
    }

    #[test]
    fn decimal_parsing_rejects_signs_spaces_and_overflow() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
        for bad in [&b""[..], b"+1", b"-1", b" 1", b"1 ", b"0x1", b"1.0"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn list_elements_skip_empty_and_trim() {
        let v: alloc::vec::Vec<&[u8]> = list_elements(b" a ,, b,\tc\t,").collect();
        assert_eq!(v, [&b"a"[..], b"b", b"c"]);
    }
}
