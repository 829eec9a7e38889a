//! SPNEGO (RFC 4178) acceptance on hand-built variants (testdata/spnego/hand-built.txt),
//! the MIT 1.20 capture `spnego-krb5-mutual`, Windows tokens published by Kerberos.NET
//! and pyspnego's tokens (testdata/spnego/, see its README for attribution).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{read_cases, testdata, Case};
use kerbgate::consts::{oid, GssMajor};
use kerbgate::der::oid_to_dotted;
use kerbgate::spnego::token::{parse_initial, parse_negotiation_token};
use kerbgate::spnego::{NegState, NegTokenResp, NegotiationToken, SpnegoError, SpnegoExchange};
use kerbgate::token::{parse_initial_context_token, TokenId};
use kerbgate::{Acceptor, FixedClock, Principal};
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry};

fn spnego_dir() -> PathBuf {
    testdata().join("spnego")
}

fn mit_acceptor(keytab: &str, at: i64) -> Arc<Acceptor> {
    let kt = Keytab::load(testdata().join("captured/mit-1.20").join(keytab)).unwrap();
    Arc::new(
        Acceptor::builder()
            .keytab(&kt)
            .clock(Arc::new(FixedClock::at(at)))
            .build()
            .unwrap(),
    )
}

fn resp(bytes: &[u8]) -> NegTokenResp<'_> {
    match parse_negotiation_token(bytes).unwrap() {
        NegotiationToken::Resp(r) => r,
        other => panic!("expected NegTokenResp, got {other:?}"),
    }
}

fn state_name(r: &NegTokenResp<'_>) -> &'static str {
    r.neg_state.map_or("none", NegState::name)
}

fn is_ap_rep(tok: &[u8]) -> bool {
    parse_initial_context_token(tok).unwrap().token_id == Some(TokenId::ApRep)
}

/// Checks one reply against `prefix`-named expectations of `case`.
fn check_reply(case: &Case, prefix: &str, out: &[u8]) {
    let at = format!("hand-built.txt case {} ({})", case.index, case.get("name"));
    let r = resp(out);
    let key = |k: &str| format!("{prefix}{k}");
    assert_eq!(state_name(&r), case.get(&key("neg_state")), "{at}");
    if let Some(m) = case.opt(&key("supported_mech")) {
        assert_eq!(
            r.supported_mech.map(oid_to_dotted).as_deref(),
            Some(m),
            "{at}"
        );
    }
    match case.get(&key("response")) {
        "ap-rep" => assert!(is_ap_rep(r.response_token.unwrap()), "{at}"),
        _ => assert!(r.response_token.is_none(), "{at}"),
    }
    assert_eq!(
        r.mech_list_mic.is_some(),
        case.get(&key("mic")) == "yes",
        "{at}"
    );
}

#[test]
fn hand_built_variants() {
    let cases = read_cases(&spnego_dir().join("hand-built.txt"));
    assert_eq!(cases.len(), 12);
    for case in &cases {
        let at = format!("hand-built.txt case {} ({})", case.index, case.get("name"));
        let acceptor = mit_acceptor("imap-aes256-cts-hmac-sha1-96.keytab", 1_796_403_059);
        let mut ex = SpnegoExchange::new(acceptor);
        let first = ex.step(&case.hex("token"));
        if let Some(major) = case.opt("error") {
            let rejected = first.expect_err(&at);
            assert_eq!(
                rejected.error.gss_major().name(),
                major,
                "{at}: {}",
                rejected.error
            );
            assert_eq!(
                rejected.error.is_ntlm(),
                case.opt("ntlm") == Some("yes"),
                "{at}: {}",
                rejected.error
            );
            if rejected.error.is_ntlm() {
                assert!(rejected.error.to_string().contains("only NTLM"), "{at}");
            }
            match rejected.output_token {
                Some(t) => assert_eq!(state_name(&resp(&t)), case.get("neg_state"), "{at}"),
                None => assert_eq!(case.get("neg_state"), "none", "{at}"),
            }
            assert!(ex.step(&case.hex("token")).is_err(), "{at}: refused twice");
            continue;
        }
        let first = first.unwrap_or_else(|r| panic!("{at}: {r}"));
        check_reply(case, "", first.output_token.as_deref().unwrap());
        let Some(leg2) = case.opt("leg2") else {
            assert!(first.complete && ex.is_complete(), "{at}");
            assert_eq!(
                ex.context().unwrap().context().client().to_string(),
                "alice@KERBGATE.TEST"
            );
            continue;
        };
        assert!(!first.complete, "{at}");
        let second = ex
            .step(&hex::decode(leg2).unwrap())
            .unwrap_or_else(|r| panic!("{at} leg2: {r}"));
        let out = second.output_token.unwrap();
        check_reply(case, "leg2_", &out);
        // RFC 4178 4.2.2: supportedMech only in the first reply.
        assert!(resp(&out).supported_mech.is_none(), "{at}");
        assert_eq!(second.complete, case.get("leg2_mic") == "no", "{at}");
    }
}

/// Runs `negoex-first` to the point where kerbgate sent its MIC; returns the exchange,
/// the mechTypes DER and kerbgate's MIC.
fn negoex_to_mic() -> (SpnegoExchange, Vec<u8>, Vec<u8>) {
    let cases = read_cases(&spnego_dir().join("hand-built.txt"));
    let case = cases
        .iter()
        .find(|c| c.get("name") == "negoex-first")
        .unwrap();
    let acceptor = mit_acceptor("imap-aes256-cts-hmac-sha1-96.keytab", 1_796_403_059);
    let mut ex = SpnegoExchange::new(acceptor);
    let token = case.hex("token");
    let der = parse_initial(&token).unwrap().mech_types_der.to_vec();
    let _ = ex.step(&token).unwrap();
    let out = ex.step(&case.hex("leg2")).unwrap().output_token.unwrap();
    let mic = resp(&out).mech_list_mic.unwrap().to_vec();
    (ex, der, mic)
}

fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match v.len() {
        n @ 0..=0x7f => out.push(u8::try_from(n).unwrap()),
        n @ 0x80..=0xff => out.extend([0x81, u8::try_from(n).unwrap()]),
        n => out.extend([
            0x82,
            u8::try_from(n >> 8).unwrap(),
            u8::try_from(n & 0xff).unwrap(),
        ]),
    }
    out.extend_from_slice(v);
    out
}

/// A client NegTokenResp with `fields` ((tag number, OCTET STRING contents)).
fn client_resp(fields: &[(u8, &[u8])]) -> Vec<u8> {
    let body: Vec<u8> = fields
        .iter()
        .flat_map(|(n, v)| tlv(0xa0 + n, &tlv(0x04, v)))
        .collect();
    tlv(0xa1, &tlv(0x30, &body))
}

#[test]
fn mic_exchange_after_second_leg() {
    let (mut ex, der, our_mic) = negoex_to_mic();
    let mut mirror = ex.context().unwrap().initiator_mirror();

    // Our MIC verifies with the initiator's view of the context (key usage 23).
    mirror.verify_mic(&der, &our_mic).unwrap();

    // The client's MIC under [3], with a decoy under [4] that must be ignored.
    let client_mic = mirror.get_mic(&der).unwrap();
    let decoy = vec![0u8; client_mic.len()];
    let last = ex
        .step(&client_resp(&[(3, &client_mic), (4, &decoy)]))
        .unwrap();
    assert!(last.complete && last.output_token.is_none());
    assert!(ex.is_complete());

    // The context goes on: the MICs used one sequence number each way.
    let mut ctx = ex.into_context().unwrap();
    let wrapped = mirror.wrap(b"after negotiation", true).unwrap();
    assert_eq!(ctx.unwrap(&wrapped).unwrap().data, b"after negotiation");
}

#[test]
fn mic_under_wrong_tag_is_not_taken() {
    let (mut ex, der, _) = negoex_to_mic();
    let mut mirror = ex.context().unwrap().initiator_mirror();
    let client_mic = mirror.get_mic(&der).unwrap();
    let decoy = vec![0u8; client_mic.len()];
    // Decoy under [3], the real one under [4]: the decoy is what gets verified.
    let err = ex
        .step(&client_resp(&[(3, &decoy), (4, &client_mic)]))
        .unwrap_err();
    assert!(matches!(err.error, SpnegoError::BadMic(_)), "{}", err.error);
    let out = err.output_token.unwrap();
    assert_eq!(state_name(&resp(&out)), "reject");
}

#[test]
fn mic_missing_or_over_other_list_is_refused() {
    let (mut ex, _, _) = negoex_to_mic();
    let err = ex.step(&client_resp(&[])).unwrap_err();
    assert_eq!(err.error, SpnegoError::MicMissing);

    let (mut ex, der, _) = negoex_to_mic();
    let mut mirror = ex.context().unwrap().initiator_mirror();
    // A MIC over a list without NegoEx (a downgrade) does not verify.
    let mut other = der.clone();
    other.truncate(2);
    let mic = mirror.get_mic(&other).unwrap();
    let err = ex.step(&client_resp(&[(3, &mic)])).unwrap_err();
    assert_eq!(err.error.gss_major(), GssMajor::BadMic);
}

#[test]
fn mit_spnego_capture_gets_mits_reply_layout() {
    let cases = read_cases(&testdata().join("captured/mit-1.20/tokens.txt"));
    let case = cases
        .iter()
        .find(|c| c.get("name") == "spnego-krb5-mutual")
        .unwrap();
    let at: i64 = case.get("captured_at").parse().unwrap();
    let mut ex = SpnegoExchange::new(mit_acceptor(case.get("keytab"), at));
    let done = ex.step(&case.hex("token")).unwrap();
    assert!(done.complete);
    let ours = done.output_token.unwrap();
    let mit = case.hex("mit_ap_rep");
    let (r_ours, r_mit) = (resp(&ours), resp(&mit));
    assert_eq!(r_ours.neg_state, r_mit.neg_state);
    assert_eq!(r_ours.supported_mech, r_mit.supported_mech);
    assert_eq!(r_ours.mech_list_mic, None);
    assert_eq!(r_mit.mech_list_mic, None);
    assert!(is_ap_rep(r_ours.response_token.unwrap()));
    let ctx = ex.into_context().unwrap();
    assert_eq!(ctx.context().client().to_string(), case.get("client"));
}

fn kn(name: &str) -> Vec<u8> {
    std::fs::read(spnego_dir().join("kerberos.net").join(name)).unwrap()
}

/// An acceptor with `keys` ((principal, kvno, enctype, key)) and a skew wide enough to
/// replay 2009-2017 tokens.
fn windows_acceptor(keys: &[(&str, u32, i32, Vec<u8>)]) -> Arc<Acceptor> {
    let mut kt = Keytab::new();
    for (p, kvno, et, key) in keys {
        let mut principal = Principal::parse(p).unwrap();
        principal = Principal::new(2, principal.components().to_vec(), principal.realm());
        kt.push(KeytabEntry::new(
            principal,
            *kvno,
            0,
            KeyBytes::new(*et, key),
        ));
    }
    Arc::new(
        Acceptor::builder()
            .keytab(&kt)
            .clock(Arc::new(FixedClock::at(1_500_000_000)))
            .max_skew_secs(400_000_000)
            .build()
            .unwrap(),
    )
}

#[test]
fn windows_ms_krb5_first_tokens_accept_without_mic() {
    let server = "HTTP/server.test.domain.com@DOMAIN.COM";
    for (file, kvno, et, key) in [
        ("aes256-spnego-data", 5, 18, "aes256-key-data"),
        ("rc4-spnego-data", 3, 23, "rc4-key-data"),
    ] {
        let acc = windows_acceptor(&[(server, kvno, et, kn(key))]);
        let token = kn(file);
        let init = parse_initial(&token).unwrap();
        assert_eq!(init.mech_types.first(), Some(&oid::MS_KRB5), "{file}");
        let mut ex = SpnegoExchange::new(acc);
        let done = ex.step(&token).unwrap_or_else(|r| panic!("{file}: {r}"));
        assert!(done.complete, "{file}");
        let r = resp(done.output_token.as_deref().unwrap());
        assert_eq!(r.neg_state, Some(NegState::AcceptCompleted), "{file}");
        // Windows expects its first Kerberos OID back, and no unsolicited MIC.
        assert_eq!(r.supported_mech, Some(oid::MS_KRB5), "{file}");
        assert!(r.mech_list_mic.is_none(), "{file}");
        assert!(is_ap_rep(r.response_token.unwrap()), "{file}");
        let ctx = ex.into_context().unwrap();
        assert_eq!(ctx.context().client().to_string(), "user.test@DOMAIN.COM");
    }
}

#[test]
fn windows_token_with_claims_and_bindings_hash_accepts() {
    // sample.keytab holds kvno 12; the tickets say 3 (see the README): re-key them.
    let kt = Keytab::from_bytes(&kn("sample.keytab")).unwrap();
    let keys: Vec<(String, u32, i32, Vec<u8>)> = kt
        .entries()
        .iter()
        .filter(|e| [18, 23].contains(&e.enctype()))
        .map(|e| {
            (
                e.principal().to_string(),
                3,
                e.enctype(),
                e.key_bytes().expose_secret_bytes().to_vec(),
            )
        })
        .collect();
    let keys: Vec<(&str, u32, i32, Vec<u8>)> = keys
        .iter()
        .map(|(p, k, e, b)| (p.as_str(), *k, *e, b.clone()))
        .collect();
    for file in ["KerbTester-aes256.spnego", "RC4TicketClaims.spnego"] {
        let mut ex = SpnegoExchange::new(windows_acceptor(&keys));
        let done = ex.step(&kn(file)).unwrap_or_else(|r| panic!("{file}: {r}"));
        assert!(done.complete, "{file}");
        let r = resp(done.output_token.as_deref().unwrap());
        assert_eq!(r.supported_mech, Some(oid::MS_KRB5), "{file}");
        assert!(r.mech_list_mic.is_none(), "{file}");
    }
}

#[test]
fn negoex_and_ntlm_only_windows_tokens_are_refused_as_ntlm() {
    for file in ["NegoExStart.spnego", "KerbTester-negoex.spnego"] {
        let mut ex = SpnegoExchange::new(windows_acceptor(&[]));
        let err = ex.step(&kn(file)).unwrap_err();
        assert!(err.error.is_ntlm(), "{file}: {}", err.error);
        let out = err.output_token.unwrap();
        assert_eq!(resp(&out).neg_state, Some(NegState::Reject), "{file}");
    }
}

#[test]
fn pyspnego_tokens_parse() {
    let dir = spnego_dir().join("pyspnego");
    let init = std::fs::read(dir.join("initial_context_token_neg_token_init")).unwrap();
    let parsed = parse_initial(&init).unwrap();
    assert_eq!(parsed.mech_types, vec![oid::KRB5, oid::NTLM]);
    assert!(parsed.mech_token.is_some() && parsed.mech_list_mic.is_none());

    // NegTokenInit2 puts negHints under [3]: never a mechListMIC.
    let init2 = std::fs::read(dir.join("initial_context_token_neg_token_init2")).unwrap();
    assert!(parse_initial(&init2).is_err());

    let bytes = std::fs::read(dir.join("neg_token_resp")).unwrap();
    let r = resp(&bytes);
    assert_eq!(r.neg_state, Some(NegState::AcceptCompleted));
    assert_eq!(r.supported_mech, Some(oid::KRB5));
    assert!(is_ap_rep(r.response_token.unwrap()));
}

#[test]
fn truncations_never_panic() {
    let cases = read_cases(&spnego_dir().join("hand-built.txt"));
    let token = cases[0].hex("token");
    for cut in 0..token.len() {
        let acc = mit_acceptor("imap-aes256-cts-hmac-sha1-96.keytab", 1_796_403_059);
        let mut ex = SpnegoExchange::new(acc);
        assert!(ex.step(&token[..cut]).is_err(), "cut at {cut}");
    }
}
