//! SPNEGO (RFC 4178) on arbitrary bytes: the NegTokenInit and NegTokenResp parsers, a
//! re-encode round trip of every NegTokenResp, the HTTP Negotiate header reader, and a
//! whole exchange fed the input split into up to three tokens (an acceptor with no keys,
//! so every Kerberos token is refused after parsing).
#![no_main]

use std::sync::{Arc, OnceLock};

use kerbgate::negotiate;
use kerbgate::spnego::token::{encode_resp, parse_initial, parse_negotiation_token};
use kerbgate::spnego::{NegotiationToken, SpnegoExchange};
use kerbgate::{Acceptor, FixedClock};
use kerbgate_keytab::Keytab;
use libfuzzer_sys::fuzz_target;

fn acceptor() -> Arc<Acceptor> {
    static ACCEPTOR: OnceLock<Arc<Acceptor>> = OnceLock::new();
    Arc::clone(ACCEPTOR.get_or_init(|| {
        let acceptor = Acceptor::builder()
            .keytab(&Keytab::new())
            .clock(Arc::new(FixedClock::at(1_796_403_059)))
            .build()
            .unwrap_or_else(|e| panic!("fuzz acceptor: {e}"));
        Arc::new(acceptor)
    }))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(init) = parse_initial(data) {
        assert!(init.mech_types.len() <= kerbgate::spnego::token::MAX_MECH_TYPES);
    }
    if let Ok(NegotiationToken::Resp(r)) = parse_negotiation_token(data) {
        let again = encode_resp(&r);
        assert_eq!(
            parse_negotiation_token(&again).ok(),
            Some(NegotiationToken::Resp(r))
        );
    }
    let _ = negotiate::parse_authorization(data);

    // The first byte picks where the input splits into tokens.
    let (cut, rest) = data
        .split_first()
        .map_or((0, data), |(c, r)| (usize::from(*c), r));
    let (a, b) = rest.split_at(cut.min(rest.len()));
    let mut ex = SpnegoExchange::new(acceptor());
    let _ = ex.step(a);
    let _ = ex.step(b);
    let _ = ex.step(data);
});
