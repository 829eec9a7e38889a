//! The RFC 4752 server mechanism fed arbitrary client responses. The first byte picks
//! the offered layers and the mode: every response raw from the input, or a valid
//! minted context token (with or without mutual authentication) followed by a
//! security-layer reply wrapped by the initiator mirror around input bytes, and after
//! success the input as framed security-layer traffic. Nothing may panic; frames over
//! the announced maximum must be refused.
#![no_main]

use std::sync::Arc;

use kerbgate::consts::gss_flags as f;
use kerbgate::{Acceptor, FixedClock};
use kerbgate_sasl::{GssapiServer, Layer, ServerConfig, Step};
use kerbgate_testkit::{AuthChecksum, GssChecksum, Scenario, FIXED_TIME};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    acceptor: Arc<Acceptor>,
    clock: Arc<FixedClock>,
    plain: Vec<u8>,
    mutual: Vec<u8>,
}

fn token(s: &Scenario, mutual: bool) -> Vec<u8> {
    let flags = f::CONF | f::INTEG | if mutual { f::MUTUAL } else { 0 };
    s.ap_req_builder()
        .seq_number(Some(5))
        .ap_options(if mutual { 1 << 29 } else { 0 })
        .checksum(AuthChecksum::Gss(GssChecksum::with_flags(flags)))
        .build()
        .unwrap()
        .gss_token()
}

fn fixture() -> Fixture {
    let s = Scenario::default();
    let clock = Arc::new(FixedClock::at(FIXED_TIME.0 + 60));
    let acceptor = Acceptor::builder()
        .keytab(&s.kdc.keytab())
        .clock(clock.clone())
        .dangerous_disable_replay_cache()
        .build()
        .unwrap();
    Fixture {
        acceptor: Arc::new(acceptor),
        clock,
        plain: token(&s, false),
        mutual: token(&s, true),
    }
}

thread_local! {
    static FIX: Fixture = fixture();
}

/// Splits the input into responses: each a length octet then that many bytes.
fn responses(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let (r, tail) = rest.split_at(usize::from(len).min(rest.len()));
        out.push(r);
        data = tail;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let layers: Vec<Layer> = [Layer::None, Layer::Integrity, Layer::Confidentiality]
        .into_iter()
        .filter(|l| sel & l.bit() != 0)
        .collect();
    let max = 64 + u32::from(sel >> 5) * 512;
    let Ok(config) = ServerConfig::new(&layers, max) else {
        return;
    };
    FIX.with(|fx| {
        let mut server = GssapiServer::new(fx.acceptor.clone(), fx.clock.clone(), config);
        match sel & 0x18 {
            0x00 => {
                for r in responses(rest) {
                    if server.step(r).is_err() {
                        return;
                    }
                }
            }
            mode => {
                let mutual = mode == 0x10;
                let tok = if mutual { &fx.mutual } else { &fx.plain };
                let Ok(Step::Challenge(_)) = server.step(tok) else {
                    panic!("minted token refused");
                };
                let mut mirror = server.initiator_mirror().unwrap();
                if mutual {
                    let Ok(Step::Challenge(_)) = server.step(b"") else {
                        panic!("no offer after the empty response");
                    };
                }
                let (reply, traffic) = rest.split_at(rest.len().min(8));
                let conf = mode == 0x18;
                let wrapped = mirror.wrap(reply, conf).unwrap();
                let Ok(Step::Done(done)) = server.step(&wrapped) else {
                    return;
                };
                let Some(mut sec) = done.security else {
                    return;
                };
                let mut buf = traffic.to_vec();
                while let Ok(Some(_)) = sec.unwrap(&mut buf) {}
                let _ = sec.wrap(traffic);
                let mut big = (max + 1).to_be_bytes().to_vec();
                assert!(sec.unwrap(&mut big).is_err(), "frame over maximum accepted");
            }
        }
    });
});
