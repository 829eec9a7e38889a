//! GSS_VerifyMIC on established contexts, one per token format (RFC 4121 with and
//! without acceptor subkey, RFC 4757). The first byte picks the context and the mode:
//! raw bytes as a token over a fixed message, or a valid MIC from the initiator mirror
//! that must verify, then mutated by the rest of the input (an altered RFC 4121 MIC
//! must fail).
#![no_main]

use std::cell::RefCell;
use std::sync::Arc;

use kerbgate::consts::gss_flags as f;
use kerbgate::wrap::{InitiatorMirror, MessageContext};
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
        context(20, f::MUTUAL | f::REPLAY | f::SEQUENCE | f::CONF | f::INTEG, true),
        context(17, f::CONF | f::INTEG, false),
        context(23, f::SEQUENCE | f::CONF | f::INTEG, false),
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
            let _ = m.verify_mic(b"fuzzed message", rest);
            return;
        }

        let [b0, tail @ ..] = rest else { return };
        let split = usize::from(*b0).min(tail.len());
        let (msg, muts) = tail.split_at(split);
        let tok = mirror.get_mic(msg).unwrap();
        let fresh = m.verify_mic(msg, &tok);
        // RFC 4757 SND_SEQ is malleable, so an earlier altered legacy MIC may have moved
        // the window past this one; RFC 4121 MICs must always verify.
        if !m.is_legacy() {
            fresh.unwrap();
        }

        let mut bad = tok.clone();
        for pair in muts.chunks(2) {
            if let [o, x] = pair {
                let i = usize::from(*o) % bad.len().max(1);
                if let Some(b) = bad.get_mut(i) {
                    *b ^= x;
                }
            }
        }
        let verdict = m.verify_mic(msg, &bad);
        // RFC 4121 MICs cover every byte; RFC 4757 leaves SND_SEQ malleable by design.
        if bad != tok && !m.is_legacy() {
            assert!(verdict.is_err());
        }
    });
});
