//! Writing numbers as ASCII decimal, for the codecs' length fields.

use alloc::vec::Vec;

/// Appends `n` in decimal, without allocating.
pub(crate) fn push_decimal(dst: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    dst.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_cover_zero_and_the_largest_value() {
        let mut out = Vec::new();
        for n in [0, 7, 10, 1024, u64::MAX] {
            out.clear();
            push_decimal(&mut out, n);
            assert_eq!(out, alloc::format!("{n}").into_bytes());
        }
    }
}
