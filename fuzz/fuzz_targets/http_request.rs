//! The HTTP Negotiate front end (`kerbgate serve --http`, RFC 4559) on arbitrary
//! `Authorization` header values. hyper parses the HTTP message itself and is not
//! fuzzed here; this target covers what kerbgate adds: `negotiate::parse_authorization`
//! and `negotiate::authenticate_token` on an `SpnegoExchange`, kept across requests of
//! one connection as serve_http.rs keeps it (a new exchange on each initial token).
//! The input is up to four header values separated by LF. The acceptor has the captured
//! MIT 1.20 keytabs and their capture time, so the committed seeds (the captured SPNEGO
//! and Kerberos tokens as header values) reach a completed login.
#![no_main]

use std::sync::{Arc, OnceLock};

use kerbgate::negotiate::{self, Outcome, MAX_TOKEN_LEN};
use kerbgate::{Acceptor, FixedClock, SpnegoExchange};
use kerbgate_keytab::Keytab;
use libfuzzer_sys::fuzz_target;

/// The SPNEGO capture's time (1796403070) is within skew of this.
const MIT_TIME: i64 = 1_796_403_066;

const MIT_KEYTABS: &[&[u8]] = &[
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes256-features.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-and-http.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-aes128-cts-hmac-sha1-96.keytab"),
    include_bytes!("../../testdata/captured/mit-1.20/imap-arcfour-hmac.keytab"),
];

fn acceptor() -> Arc<Acceptor> {
    static ACCEPTOR: OnceLock<Arc<Acceptor>> = OnceLock::new();
    Arc::clone(ACCEPTOR.get_or_init(|| {
        let mut merged = Keytab::new();
        for bytes in MIT_KEYTABS {
            let kt = Keytab::from_bytes(bytes).unwrap_or_else(|e| panic!("keytab: {e}"));
            for entry in kt.entries() {
                merged.push(entry.clone());
            }
        }
        let acceptor = Acceptor::builder()
            .keytab(&merged)
            .clock(Arc::new(FixedClock::at(MIT_TIME)))
            .dangerous_disable_replay_cache()
            .build()
            .unwrap_or_else(|e| panic!("fuzz acceptor: {e}"));
        Arc::new(acceptor)
    }))
}

fuzz_target!(|data: &[u8]| {
    let acceptor = acceptor();
    let mut pending: Option<SpnegoExchange> = None;
    for value in data.split(|&b| b == b'\n').take(4) {
        let token = match negotiate::parse_authorization(value) {
            Ok(t) => t,
            Err(e) => {
                let _ = e.to_string();
                continue;
            }
        };
        // RFC 4559 4.2: the token is the base64 of the header value's second word.
        assert!(token.len() <= MAX_TOKEN_LEN);
        // The header's base64 reader is lenient (padding optional; "==" alone reads as
        // an empty token, testdata/fuzz-regressions/http_request/padding-only-token), so
        // only non-empty tokens must survive the trip back through our own header.
        if !token.is_empty() {
            let again = negotiate::www_authenticate(&token);
            assert_eq!(
                negotiate::parse_authorization(again.as_bytes()).ok(),
                Some(token.clone())
            );
        }

        let mut exchange = match pending.take() {
            Some(ex) if !negotiate::is_initial_token(&token) => ex,
            _ => SpnegoExchange::new(Arc::clone(&acceptor)),
        };
        let outcome = negotiate::authenticate_token(&mut exchange, &token);
        assert!(matches!(outcome.status(), 200 | 400 | 401), "{outcome:?}");
        if let Some(h) = outcome.www_authenticate() {
            // Every header we send is one the client can read back.
            if h != negotiate::CHALLENGE {
                assert!(negotiate::parse_authorization(h.as_bytes()).is_ok(), "{h}");
            }
        }
        if matches!(outcome, Outcome::Continue { .. }) {
            pending = Some(exchange);
        }
    }
});
