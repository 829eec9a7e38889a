//! Decrypts arbitrary bytes with a fixed key of each enctype; must never panic.
//! The first byte picks the enctype (low 3 bits) and key usage (high 5 bits).
#![no_main]

use kerbgate_crypto::{Enctype, Key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, ciphertext)) = data.split_first() else {
        return;
    };
    let all = Enctype::all();
    let Some(&enctype) = all.get(usize::from(selector & 7) % all.len()) else {
        return;
    };
    let usage = u32::from(selector >> 3);
    let Ok(key) = Key::random_to_key(enctype, &vec![0x4b; enctype.key_len()]) else {
        return;
    };
    if let Ok(plaintext) = key.decrypt(usage, ciphertext) {
        // Only a forged tag could get here; the plaintext length must still add up.
        assert_eq!(
            plaintext.len() + enctype.ciphertext_overhead(),
            ciphertext.len()
        );
    }
    let _ = key.verify_checksum(enctype.checksum_type(), usage, ciphertext, ciphertext);
});
