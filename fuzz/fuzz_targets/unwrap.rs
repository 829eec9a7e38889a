//! GSS_Unwrap on established contexts, one per token format: RFC 4121 with an
//! acceptor subkey and the replay/sequence window (aes256-sha1), RFC 4121 without
//! one (aes128-sha256, DCE-style rotation), and RFC 4757 (arcfour-hmac). The first byte
//! picks the context and the mode: raw bytes as a token, or a valid token from the
//! initiator mirror (data, conf and RRC from the input) that must round-trip, then
//! mutated by the rest of the input and unwrapped again.
#![no_main]

use std::cell::RefCell;
use std::sync::Arc;

use kerbgate::consts::gss_flags as f;
use kerbgate::wrap::{InitiatorMirror, MessageContext, WrapOptions};
use kerbgate::{Acceptor, FixedClock};
use kerbgate_crypto::Enctype;
use kerbgate_testkit::{AuthChecksum, GssChecksum, Scenario, FIXED_TIME};
use libfuzzer_sys::fuzz_target;

fn context(enctype: i32, flags: u32, mutual: bool) -> (MessageContext, InitiatorMirror) {
    let s = Scenario::default();
    let token = s
        .ap_req_builder()
        .subkey_enctype(Enctype::from_i32(enctype).unwrap())
        .seq_number(Some(1000))
        .ap_options(if mutual { 1 << 29 } else { 0 })
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)))
        .build()
        .unwrap()
        .gss_token();
    let clock = Arc::new(FixedClock::at(FIXED_TIME.0 + 60));
    let acc = Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(clock.clone())
        .build()
        .unwrap();
    let m = acc
        .accept(&token)
        .unwrap()
        .context
        .into_message_context(clock);
    let mirror = m.initiator_mirror();
    (m, mirror)
}

thread_local! {
    static CTXS: RefCell<Vec<(MessageContext, InitiatorMirror)>> = RefCell::new(vec![
        context(18, f::MUTUAL | f::REPLAY | f::SEQUENCE | f::CONF | f::INTEG, true),
        context(19, f::DCE_STYLE | f::CONF | f::INTEG, false),
        context(23, f::REPLAY | f::CONF | f::INTEG, false),
    ]);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    CTXS.with(|c| {
        let mut c = c.borrow_mut();
        let n = c.len();
        let Some((m, mirror)) = c.get_mut(usize::from(sel) % n) else {
            return;
        };
        if sel & 0x80 == 0 {
            let _ = m.unwrap(rest);
            return;
        }

        // A valid token first: it must unwrap to the same data.
        let [b0, b1, tail @ ..] = rest else { return };
        let split = usize::from(*b0).min(tail.len());
        let (plain, muts) = tail.split_at(split);
        let opts = WrapOptions::new(b1 & 1 == 1)
            .rrc(u16::from(*b1 >> 1))
            .ec(u16::from(*b1 & 6));
        let tok = mirror.wrap_with(plain, opts).unwrap();
        if let Ok(u) = m.unwrap(&tok) {
            assert_eq!(u.data, plain);
        }

        // Then mutated: (offset, xor) pairs, and a truncation.
        let mut bad = tok.clone();
        for pair in muts.chunks(2) {
            if let [o, x] = pair {
                let i = usize::from(*o) % bad.len().max(1);
                if let Some(b) = bad.get_mut(i) {
                    *b ^= x;
                }
            }
        }
        if let Some(&cut) = muts.first() {
            bad.truncate(bad.len().saturating_sub(usize::from(cut % 8)));
        }
        let _ = m.unwrap(&bad);
    });
});
