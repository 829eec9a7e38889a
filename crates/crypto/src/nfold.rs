//! The n-fold function (RFC 3961 5.1) and the folded usage constants.

use std::sync::OnceLock;

/// n-fold of `input` to `out.len()` bytes (RFC 3961 5.1).
///
/// The input is repeated to the least common multiple of the two lengths,
/// each copy rotated 13 bits further right, and the result is cut into
/// `out.len()`-byte pieces that are added with one's-complement addition.
/// An empty input folds to zeros.
pub fn nfold(input: &[u8], out: &mut [u8]) {
    out.fill(0);
    let k = input.len();
    let n = out.len();
    if k == 0 || n == 0 {
        return;
    }

    // RFC 3961 5.1: replicate to lcm(k, n) bytes, copy j rotated right 13*j bits.
    let inbits = 8 * k;
    let total = lcm(k, n);
    let mut sums = vec![0u32; n];
    for p in 0..total {
        let (j, q) = (p / k, p % k);
        let r = (13 * j) % inbits;
        let s = (8 * q + inbits - r) % inbits;
        let hi = u32::from(input.get(s / 8).copied().unwrap_or(0));
        let lo = u32::from(input.get((s / 8 + 1) % k).copied().unwrap_or(0));
        let byte = (((hi << 8) | lo) >> (8 - s % 8)) & 0xff;
        if let Some(slot) = sums.get_mut(p % n) {
            *slot += byte;
        }
    }

    // One's-complement addition: propagate carries, wrapping the final carry
    // back into the least significant byte until none is left.
    let mut carry = 0u32;
    loop {
        for (slot, o) in sums.iter_mut().zip(out.iter_mut()).rev() {
            let v = *slot + carry;
            *o = (v & 0xff) as u8;
            *slot = v & 0xff;
            carry = v >> 8;
        }
        if carry == 0 {
            break;
        }
    }
}

fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

/// Usage constants below this are folded once per process and shared.
const TABLE_USAGES: u32 = 64;

/// The three key-derivation constants for one usage, n-folded to 16 bytes:
/// `[Kc (0x99), Ke (0xAA), Ki (0x55)]` (RFC 3961 5.3).
pub(crate) fn usage_constants(usage: u32) -> [[u8; 16]; 3] {
    static TABLE: OnceLock<Vec<[[u8; 16]; 3]>> = OnceLock::new();
    if usage < TABLE_USAGES {
        let table = TABLE.get_or_init(|| (0..TABLE_USAGES).map(fold_usage).collect());
        if let Some(entry) = table.get(usage as usize) {
            return *entry;
        }
    }
    fold_usage(usage)
}

fn fold_usage(usage: u32) -> [[u8; 16]; 3] {
    let mut out = [[0u8; 16]; 3];
    for (slot, suffix) in out.iter_mut().zip([0x99u8, 0xAA, 0x55]) {
        nfold(&crate::usage_label(usage, suffix), slot);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_kerberos_to_64_bits_as_itself() {
        let mut out = [0u8; 8];
        nfold(b"kerberos", &mut out);
        assert_eq!(&out, b"kerberos");
    }

    #[test]
    fn table_matches_direct_fold() {
        for usage in [0, 1, 2, 63, 64, 1000] {
            assert_eq!(usage_constants(usage), fold_usage(usage));
        }
    }
}
