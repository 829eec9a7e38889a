//! Random bytes for answering one request, without a system call per answer.
//!
//! An acceptor that answers with an AP-REP needs 52 fresh random bytes per login (a
//! subkey, a sequence number, a confounder). Asking the operating system each time is
//! a system call, which on a virtual machine costs about as much as the rest of the
//! answer's cryptography. [`fill_hedged`] asks it once per thread every
//! [`DRAWS_PER_SEED`] answers instead, and makes each answer's bytes from:
//!
//! - a 256-bit AES key from the operating system, kept per thread;
//! - a per-thread draw counter;
//! - a short summary of the request being answered, which the caller passes and which
//!   must differ between requests (the acceptor passes the first and last 16 octets
//!   of the authenticator ciphertext, the client's encrypted confounder and MAC tag,
//!   which the replay cache lets through once, and its clock reading to the
//!   microsecond).
//!
//! Block `i` of a draw is the CBC-MAC, under the thread's key, of the fixed-length
//! message `(length block, summary blocks..., counter || i)`. The message's first
//! block encodes the summary length, so messages of different lengths are prefix-free
//! and the CBC-MAC is a pseudorandom function of the whole message.
//!
//! Why the summary is mixed in: after `fork()` (or a virtual machine snapshot) the
//! child inherits the parent's key and counter. A generator that only ran a counter
//! would give parent and child the same bytes, so two logins, one in each process,
//! could get the same acceptor subkey. Here they differ as long as the summaries
//! differ. With the acceptor's summary, equal bytes need the same authenticator
//! accepted in two processes that share a key and counter, in the same microsecond:
//! a replay that per-process replay caches cannot see, timed to the microsecond
//! against the genuine login. Without the clock reading, a replayer who sent a captured
//! AP-REQ to a sibling worker at the same counter would get a context with the genuine
//! session's subkey and sequence numbers, into which it could replay that session's
//! later per-message tokens. Detecting `fork()` itself needs `pthread_atfork` or
//! `MADV_WIPEONFORK`, both unsafe code, or a `getpid` system call per draw.
//!
//! What the key protects: anyone reading the process's memory learns the bytes of the
//! draws made under the current key (at most [`DRAWS_PER_SEED`] of them). That reader
//! also holds the service keys, which decrypt every ticket and with it every AP-REP,
//! so the key exposes nothing the keytab does not.

use std::cell::RefCell;

use aes::Aes256Enc;
use cipher::{BlockCipherEncrypt, KeyInit};
use zeroize::Zeroizing;

use crate::cts::{Block, BLOCK};
use crate::Error;

/// Draws made with one operating-system key before a thread fetches the next.
pub const DRAWS_PER_SEED: u32 = 1 << 16;

/// One thread's generator.
struct Generator {
    cipher: Aes256Enc,
    counter: u64,
    draws_left: u32,
}

impl Generator {
    fn from_seed(seed: &[u8; 32]) -> Self {
        Generator {
            cipher: Aes256Enc::new(seed.into()),
            counter: 0,
            draws_left: DRAWS_PER_SEED,
        }
    }

    fn from_os() -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|_| Error::RandomUnavailable)?;
        Ok(Self::from_seed(&seed))
    }

    /// `x ^= y` then encrypts `x` in place: one CBC-MAC step.
    fn chain(&self, x: &mut Block, y: &[u8]) {
        for (a, b) in x.iter_mut().zip(y) {
            *a ^= *b;
        }
        self.cipher.encrypt_block(x);
    }

    fn fill(&mut self, summary: &[u8], out: &mut [u8]) {
        // CBC-MAC state after the length block and the summary's blocks; each output
        // block then adds its own final block (counter, index).
        let mut head = Zeroizing::new(Block::default());
        self.chain(&mut head, &(summary.len() as u64).to_be_bytes());
        for chunk in summary.chunks(BLOCK) {
            self.chain(&mut head, chunk);
        }
        let counter = self.counter.to_be_bytes();
        for (i, part) in out.chunks_mut(BLOCK).enumerate() {
            let mut last = [0u8; BLOCK];
            let (c, n) = last.split_at_mut(8);
            c.copy_from_slice(&counter);
            n.copy_from_slice(&(i as u64).to_be_bytes());
            let mut x = Zeroizing::new(*head);
            self.chain(&mut x, &last);
            for (o, b) in part.iter_mut().zip(x.iter()) {
                *o = *b;
            }
        }
        self.counter = self.counter.wrapping_add(1);
        self.draws_left = self.draws_left.saturating_sub(1);
    }
}

thread_local! {
    static GENERATOR: RefCell<Option<Generator>> = const { RefCell::new(None) };
}

/// Fills `out` with fresh random bytes for answering the request that `summary`
/// identifies (see the module documentation). `summary` should be short (it costs one
/// AES block per 16 octets) and must differ between requests for the fork-safety
/// argument above to hold; `out` may be any length.
///
/// # Errors
/// [`Error::RandomUnavailable`] if the operating system's generator fails when this
/// thread first draws or fetches its next key.
pub fn fill_hedged(summary: &[u8], out: &mut [u8]) -> Result<(), Error> {
    // `try_with`: during thread-local destruction there is no generator; say so.
    let drawn = GENERATOR.try_with(|cell| {
        let mut slot = cell.borrow_mut();
        let fresh = match slot.as_ref() {
            Some(g) => g.draws_left == 0,
            None => true,
        };
        if fresh {
            *slot = Some(Generator::from_os()?);
        }
        match slot.as_mut() {
            Some(g) => {
                g.fill(summary, out);
                Ok(())
            }
            None => Err(Error::RandomUnavailable),
        }
    });
    drawn.unwrap_or(Err(Error::RandomUnavailable))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn draw(g: &mut Generator, summary: &[u8], n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        g.fill(summary, &mut out);
        out
    }

    /// The construction, computed independently with the block cipher: CBC-MAC over
    /// (length, summary zero-padded, counter || index).
    #[test]
    fn matches_the_documented_cbc_mac() {
        let seed = [0x42u8; 32];
        let summary: Vec<u8> = (0u8..20).collect();
        let mut g = Generator::from_seed(&seed);
        let _ = draw(&mut g, b"first", 16);
        let got = draw(&mut g, &summary, 40);

        let cipher = Aes256Enc::new(&seed.into());
        let mut message = vec![0u8; 16];
        message[..8].copy_from_slice(&20u64.to_be_bytes());
        message.extend_from_slice(&summary);
        message.resize(48, 0);
        let mut want = Vec::new();
        for i in 0u64..3 {
            let mut m = message.clone();
            m.extend_from_slice(&1u64.to_be_bytes());
            m.extend_from_slice(&i.to_be_bytes());
            let mut x = Block::default();
            for block in m.chunks(16) {
                for (a, b) in x.iter_mut().zip(block) {
                    *a ^= *b;
                }
                cipher.encrypt_block(&mut x);
            }
            want.extend_from_slice(&x);
        }
        want.truncate(40);
        assert_eq!(got, want);
    }

    #[test]
    fn repeated_requests_still_get_fresh_bytes() {
        let mut g = Generator::from_seed(&[7u8; 32]);
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let out = draw(&mut g, b"same request", 52);
            for block in out.chunks(16) {
                assert!(seen.insert(block.to_vec()), "a block repeated");
            }
        }
    }

    /// A forked child starts with the parent's key and counter: its bytes still
    /// differ because its request differs.
    #[test]
    fn a_forked_copy_differs_on_different_requests() {
        let seed = [9u8; 32];
        let mut parent = Generator::from_seed(&seed);
        let mut child = Generator::from_seed(&seed);
        for n in 0u32..1000 {
            let a = draw(&mut parent, &n.to_be_bytes(), 52);
            let b = draw(&mut child, &(n + 1_000_000).to_be_bytes(), 52);
            assert_ne!(a, b);
        }
        // The documented limit: the same request in both gives the same bytes.
        assert_eq!(draw(&mut parent, b"x", 32), draw(&mut child, b"x", 32));
    }

    /// Summaries that are prefixes of each other, or differ only in zero padding,
    /// give unrelated bytes (the length block).
    #[test]
    fn summaries_of_different_lengths_differ() {
        let seed = [3u8; 32];
        let outs: Vec<Vec<u8>> = [&b""[..], b"\0", b"\0\0", &[0u8; 16], &[0u8; 17]]
            .iter()
            .map(|s| draw(&mut Generator::from_seed(&seed), s, 16))
            .collect();
        let unique: HashSet<_> = outs.iter().collect();
        assert_eq!(unique.len(), outs.len());
    }

    #[test]
    fn threads_draw_from_their_own_keys_and_refetch_after_the_limit() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fill_hedged(b"req", &mut a).unwrap();
        std::thread::spawn(move || fill_hedged(b"req", &mut b).map(|()| b))
            .join()
            .unwrap()
            .map(|b| assert_ne!(a, b))
            .unwrap();

        fn left() -> Option<u32> {
            GENERATOR.with(|c| c.borrow().as_ref().map(|g| g.draws_left))
        }
        let before = left().unwrap();
        GENERATOR.with(|c| {
            if let Some(g) = c.borrow_mut().as_mut() {
                g.draws_left = 0;
            }
        });
        fill_hedged(b"req", &mut a).unwrap();
        assert_eq!(left(), Some(DRAWS_PER_SEED - 1));
        assert!(before < DRAWS_PER_SEED);
    }

    #[test]
    fn any_output_length() {
        for n in [0usize, 1, 15, 16, 17, 52, 100] {
            let mut out = vec![0u8; n];
            fill_hedged(b"len", &mut out).unwrap();
            if n >= 16 {
                assert_ne!(out, vec![0u8; n]);
            }
        }
    }
}
