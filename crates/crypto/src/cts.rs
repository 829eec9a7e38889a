//! CBC mode with ciphertext stealing, Kerberos style (RFC 3962 5, which is
//! NIST's CBC-CS3), over any 128-bit block cipher, with a zero IV.
//!
//! Written here rather than taken from the `cts` crate so that a one-block
//! message is plain CBC (RFC 3962 5: "no stealing"), decryption of the leading
//! blocks runs in parallel, and nothing is copied beyond the output buffer.

use cipher::array::Array;
use cipher::consts::U16;
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt};

/// Block size of AES and Camellia.
pub(crate) const BLOCK: usize = 16;

type Block = Array<u8, U16>;

fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= *s;
    }
}

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
    for chunk in front.chunks_exact_mut(BLOCK) {
        xor_into(&mut prev, chunk);
        cipher.encrypt_block(&mut prev);
        chunk.copy_from_slice(&prev);
    }

    // The last two: encrypt the full one, then the zero-padded partial one,
    // and emit them swapped with the penultimate truncated (CBC-CS3).
    let (full, partial) = tail.split_at_mut(BLOCK);
    let d = partial.len();
    xor_into(&mut prev, full);
    cipher.encrypt_block(&mut prev);
    let penultimate = prev;
    let mut last = penultimate;
    xor_into(&mut last, partial);
    cipher.encrypt_block(&mut last);
    full.copy_from_slice(&last);
    partial.copy_from_slice(penultimate.get(..d).unwrap_or_default());
    true
}

/// Decrypts `input` into `out` (same length). Returns `false` when shorter
/// than one block or the lengths differ.
pub(crate) fn decrypt<C: BlockCipherDecrypt<BlockSize = U16>>(
    cipher: &C,
    input: &[u8],
    out: &mut [u8],
) -> bool {
    let n = input.len();
    if n < BLOCK || out.len() != n {
        return false;
    }
    out.copy_from_slice(input);

    // RFC 3962 5: a single block is plain CBC with a zero IV.
    if n == BLOCK {
        let mut b = block_from(out);
        cipher.decrypt_block(&mut b);
        out.copy_from_slice(&b);
        return true;
    }

    // Leading blocks: decrypt all at once (the backend pipelines them), then
    // XOR each with the previous ciphertext block.
    let blocks = n.div_ceil(BLOCK);
    let head = (blocks - 2) * BLOCK;
    let (front, tail) = out.split_at_mut(head);
    let (front_blocks, _) = Block::slice_as_chunks_mut(front);
    cipher.decrypt_blocks(front_blocks);
    for (i, chunk) in front.chunks_exact_mut(BLOCK).enumerate().skip(1) {
        let start = (i - 1) * BLOCK;
        xor_into(chunk, input.get(start..start + BLOCK).unwrap_or_default());
    }
    let prev = if head >= BLOCK {
        block_from(input.get(head - BLOCK..head).unwrap_or_default())
    } else {
        Block::default()
    };

    // Last two (CBC-CS3): the full block on the wire is the encryption of the
    // padded final block; its decryption supplies the stolen tail bytes.
    let (full, partial) = tail.split_at_mut(BLOCK);
    let d = partial.len();
    let mut x = block_from(full);
    cipher.decrypt_block(&mut x);
    let mut penultimate = block_from(partial);
    for (p, xb) in penultimate.iter_mut().zip(x.iter()).skip(d) {
        *p = *xb;
    }
    // Final plaintext bytes: X xor the (reconstructed) penultimate ciphertext.
    for ((o, xb), c) in partial.iter_mut().zip(x.iter()).zip(penultimate.iter()) {
        *o = *xb ^ *c;
    }
    let mut p = penultimate;
    cipher.decrypt_block(&mut p);
    xor_into(&mut p, &prev);
    full.copy_from_slice(&p);
    true
}
