//! CBC mode with ciphertext stealing, Kerberos style (RFC 3962 5, which is
//! NIST's CBC-CS3), over any 128-bit block cipher, with a zero IV.
//!
//! Written here rather than taken from the `cts` crate so that a one-block
//! message is plain CBC (RFC 3962 5: "no stealing"), decryption of the leading
//! blocks runs in parallel, and decryption writes the plaintext straight into
//! the caller's buffer with the first block (the confounder) kept apart.

use cipher::array::Array;
use cipher::consts::U16;
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt};

/// Block size of AES and Camellia.
pub(crate) const BLOCK: usize = 16;

/// One cipher block.
pub(crate) type Block = Array<u8, U16>;

/// `dst ^= src`, a block at a time.
fn xor_block(dst: &mut Block, src: &Block) {
    let x = u128::from_ne_bytes(dst.0) ^ u128::from_ne_bytes(src.0);
    dst.0 = x.to_ne_bytes();
}

/// A block from the first 16 bytes of `bytes`, zero-padded if shorter.
fn block_from(bytes: &[u8]) -> Block {
    let mut b = Block::default();
    for (d, s) in b.iter_mut().zip(bytes) {
        *d = *s;
    }
    b
}

/// Encrypts `buf` in place. Returns `false` (and leaves `buf` alone) when it
/// is shorter than one block.
pub(crate) fn encrypt<C: BlockCipherEncrypt<BlockSize = U16>>(cipher: &C, buf: &mut [u8]) -> bool {
    let n = buf.len();
    if n < BLOCK {
        return false;
    }

    // RFC 3962 5: a single block is plain CBC with a zero IV.
    if n == BLOCK {
        let mut b = block_from(buf);
        cipher.encrypt_block(&mut b);
        buf.copy_from_slice(&b);
        return true;
    }

    // CBC over all blocks but the last two.
    let blocks = n.div_ceil(BLOCK);
    let head = (blocks - 2) * BLOCK;
    let mut prev = Block::default();
    let (front, tail) = buf.split_at_mut(head);
    let (front_blocks, _) = Block::slice_as_chunks_mut(front);
    for block in front_blocks {
        xor_block(&mut prev, block);
        cipher.encrypt_block(&mut prev);
        *block = prev;
    }

    // The last two: encrypt the full one, then the zero-padded partial one,
    // and emit them swapped with the penultimate truncated (CBC-CS3).
    let (full, partial) = tail.split_at_mut(BLOCK);
    let d = partial.len();
    xor_block(&mut prev, &block_from(full));
    cipher.encrypt_block(&mut prev);
    let penultimate = prev;
    let mut last = penultimate;
    xor_block(&mut last, &block_from(partial));
    cipher.encrypt_block(&mut last);
    full.copy_from_slice(&last);
    partial.copy_from_slice(penultimate.get(..d).unwrap_or_default());
    true
}

/// Decrypts `input` (at least one block): the first plaintext block goes to
/// `first`, the remaining `input.len() - 16` bytes are appended to `out`.
/// Returns `false`, leaving `out` alone, when `input` is under one block.
pub(crate) fn decrypt<C: BlockCipherDecrypt<BlockSize = U16>>(
    cipher: &C,
    input: &[u8],
    first: &mut Block,
    out: &mut Vec<u8>,
) -> bool {
    let n = input.len();
    if n < BLOCK {
        return false;
    }
    out.reserve(n - BLOCK);

    // RFC 3962 5: a single block is plain CBC with a zero IV.
    if n == BLOCK {
        cipher.decrypt_block_b2b(&block_from(input), first);
        return true;
    }

    // Leading blocks (all but the last two): block 0 into `first`, blocks 1..
    // copied to `out` and decrypted there at once (the backend pipelines
    // them), then each XORed with the ciphertext block before it.
    let blocks = n.div_ceil(BLOCK);
    let lead = (blocks - 2) * BLOCK;
    let (lead_ct, tail) = input.split_at(lead);
    let (lead_blocks, _) = Block::slice_as_chunks(lead_ct);
    let mut prev = Block::default();
    if let Some((c0, rest)) = lead_blocks.split_first() {
        cipher.decrypt_block_b2b(c0, first);
        let start = out.len();
        out.extend_from_slice(lead_ct.get(BLOCK..).unwrap_or_default());
        let (plain, _) = Block::slice_as_chunks_mut(out.get_mut(start..).unwrap_or_default());
        cipher.decrypt_blocks(plain);
        for (p, c) in plain.iter_mut().zip(lead_blocks) {
            xor_block(p, c);
        }
        prev = *rest.last().unwrap_or(c0);
    }

    // Last two (CBC-CS3): the full block on the wire is the encryption of the
    // padded final block; its decryption supplies the stolen tail bytes.
    let (full, partial) = tail.split_at(BLOCK);
    let d = partial.len();
    let mut x = Block::default();
    cipher.decrypt_block_b2b(&block_from(full), &mut x);
    let mut penultimate = block_from(partial);
    for (p, xb) in penultimate.iter_mut().zip(x.iter()).skip(d) {
        *p = *xb;
    }
    // Final plaintext bytes: X xor the (reconstructed) penultimate ciphertext.
    xor_block(&mut x, &penultimate);
    let mut p = Block::default();
    cipher.decrypt_block_b2b(&penultimate, &mut p);
    xor_block(&mut p, &prev);
    if lead == 0 {
        *first = p;
    } else {
        out.extend_from_slice(&p);
    }
    out.extend_from_slice(x.get(..d).unwrap_or_default());
    true
}

#[cfg(test)]
mod tests {
    use aes::cipher::KeyInit;

    use super::*;

    /// Decryption inverts encryption for every length from one to five
    /// blocks, with the first block split off as documented.
    #[test]
    fn decrypt_inverts_encrypt_at_every_length() {
        let cipher = aes::Aes128::new_from_slice(&[7u8; 16]).unwrap();
        for n in 16u8..=80 {
            let plain: Vec<u8> = (0..n).map(|i| i.wrapping_mul(7).wrapping_add(3)).collect();
            let mut buf = plain.clone();
            assert!(encrypt(&cipher, &mut buf));
            let mut first = Block::default();
            let mut out = vec![0xEE];
            assert!(decrypt(&cipher, &buf, &mut first, &mut out), "length {n}");
            assert_eq!(&first[..], &plain[..16], "length {n}");
            assert_eq!(&out[1..], &plain[16..], "length {n}");
            assert_eq!(out[0], 0xEE);
        }
        let mut out = Vec::new();
        assert!(!decrypt(&cipher, &[0; 15], &mut Block::default(), &mut out));
        assert!(out.is_empty());
    }
}
