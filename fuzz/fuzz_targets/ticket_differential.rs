//! EncTicketPart and Authenticator plaintexts (RFC 4120 5.3, 5.5.1), decoded by kerbgate
//! and by rasn-kerberos as the oracle: fields must agree when both decode, and a
//! one-sided decode must show a known divergence (listed in fuzz/common/ticket_diff.rs
//! and the README). Every input is tried as both messages. Seeds: fuzz/seeds/
//! ticket_differential (regenerate with `cargo test -p kerbgate --test
//! decode_differential -- --ignored regenerate_seeds`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/ticket_diff.rs"]
mod ticket_diff;

use ticket_diff::{compare_authenticator, compare_enc_ticket_part, Verdict};

fuzz_target!(|data: &[u8]| {
    for (what, v) in [
        ("EncTicketPart", compare_enc_ticket_part(data)),
        ("Authenticator", compare_authenticator(data)),
    ] {
        if let Verdict::Mismatch(why) = v {
            panic!("{what}: {why}");
        }
    }
});
