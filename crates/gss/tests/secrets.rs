//! Secrets never show in Debug or Display (STYLE: keys show enctype and length only,
//! no whole tokens), and key material is zeroized.
//!
//! Each check renders a value with `{:?}`, `{:#?}` and (where implemented) `{}`, then
//! looks for every secret it could leak: the key bytes as lower- and upper-case hex, as
//! the raw octets, and as a Rust byte list (`[1, 2, ...]`, what a derived Debug prints).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::sync::Arc;

use kerbgate::{Acceptor, FixedClock, MessageContext};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};
use kerbgate_testkit::{ApReqMinter, KerberosTime, Scenario};
use zeroize::Zeroize;

/// The forms in which `secret` could appear in text.
fn forms(secret: &[u8]) -> Vec<Vec<u8>> {
    let list = format!("{secret:?}");
    vec![
        hex::encode(secret).into_bytes(),
        hex::encode_upper(secret).into_bytes(),
        secret.to_vec(),
        list.trim_matches(|c| c == '[' || c == ']')
            .as_bytes()
            .to_vec(),
    ]
}

/// Fails if `text` (named `what`) contains any form of any of `secrets`.
fn assert_clean(what: &str, text: &str, secrets: &[(&str, &[u8])]) {
    for (name, secret) in secrets {
        for form in forms(secret) {
            let found = text
                .as_bytes()
                .windows(form.len().max(1))
                .any(|w| w == form.as_slice());
            assert!(!found, "{what} shows {name}: {text}");
        }
        // Any 8-octet window of the key in hex, in case a prefix is printed.
        for w in secret.windows(8) {
            let h = hex::encode(w);
            assert!(!text.contains(&h), "{what} shows part of {name}: {text}");
        }
    }
}

fn debug_forms<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}\n{v:#?}")
}

#[test]
fn keys_and_keytabs_show_enctype_and_length_only() {
    let raw = [0xa5u8, 0x3c, 0x11, 0xf0, 0x42, 0x99, 0x07, 0xde].repeat(4);
    let key = Key::new(Enctype::Aes256CtsHmacSha196, &raw).unwrap();
    let secrets: &[(&str, &[u8])] = &[("key", &raw)];
    assert_clean("Key Debug", &debug_forms(&key), secrets);
    assert!(format!("{key:?}").contains("32"), "{key:?}");

    let kb = KeyBytes::new(18, &raw);
    assert_clean("KeyBytes Debug", &debug_forms(&kb), secrets);

    let entry = KeytabEntry::new(Principal::parse("imap/h@R").unwrap(), 3, 0, kb.clone());
    assert_clean("KeytabEntry Debug", &debug_forms(&entry), secrets);

    let mut kt = Keytab::new();
    kt.push(entry);
    assert_clean("Keytab Debug", &debug_forms(&kt), secrets);

    let acceptor = Acceptor::builder().keytab(&kt).build().unwrap();
    let table = acceptor.key_table().unwrap();
    assert_clean("KeyTable Debug", &debug_forms(&table), secrets);
    assert_clean("Acceptor Debug", &debug_forms(&acceptor), secrets);
}

struct Accepting {
    scenario: Scenario,
    acceptor: Acceptor,
    minter: ApReqMinter,
    now: i64,
}

fn accepting() -> Accepting {
    let scenario = Scenario::new().unwrap();
    let keytab = Keytab::from_bytes(&scenario.keytab_bytes().unwrap()).unwrap();
    let now = scenario.now.unix();
    let acceptor = Acceptor::builder()
        .keytab(&keytab)
        .clock(Arc::new(FixedClock::at(now)))
        .build()
        .unwrap();
    let minter =
        ApReqMinter::new(scenario.ticket.clone(), 9).with_subkeys(Enctype::Aes256CtsHmacSha196);
    Accepting {
        scenario,
        acceptor,
        minter,
        now,
    }
}

#[test]
fn contexts_show_no_keys() {
    let mut a = accepting();
    let req = a
        .minter
        .mint(KerberosTime::from_unix(a.now), 1, Some(7))
        .unwrap();
    let token = req.gss_token();
    let done = a.acceptor.accept(&token).unwrap();
    let ctx = &done.context;

    let service = a.scenario.service_key.expose_secret_bytes().to_vec();
    let session = ctx.session_key().expose_secret_bytes().to_vec();
    let subkey = req.subkey.as_ref().unwrap().expose_secret_bytes().to_vec();
    let acceptor_subkey = ctx
        .acceptor_subkey()
        .map(|k| k.expose_secret_bytes().to_vec())
        .unwrap_or_default();
    let mut secrets: Vec<(&str, &[u8])> = vec![
        ("service key", &service),
        ("session key", &session),
        ("initiator subkey", &subkey),
    ];
    if !acceptor_subkey.is_empty() {
        secrets.push(("acceptor subkey", &acceptor_subkey));
    }

    assert_clean("SecurityContext Debug", &debug_forms(ctx), &secrets);
    assert_clean("Acceptor Debug", &debug_forms(&a.acceptor), &secrets);

    // STYLE: no whole tokens in Debug; the AP-REP is encrypted in the session key but
    // is still a token (and the input token is the client's credential).
    let mut with_tokens = secrets.clone();
    let ap_rep = done.output_token.clone().unwrap();
    with_tokens.push(("AP-REP token", &ap_rep));
    with_tokens.push(("input token", &token));
    assert_clean("Accepted Debug", &debug_forms(&done), &with_tokens);

    let mc = MessageContext::new(done.context, Arc::new(FixedClock::at(a.now)));
    assert_clean("MessageContext Debug", &debug_forms(&mc), &secrets);
}

#[test]
fn refusals_and_errors_show_no_keys_or_tokens() {
    let mut a = accepting();
    let req = a
        .minter
        .mint(KerberosTime::from_unix(a.now), 2, Some(8))
        .unwrap();
    let token = req.gss_token();
    a.acceptor.accept(&token).unwrap();
    let service = a.scenario.service_key.expose_secret_bytes().to_vec();
    let session = req.session_key.expose_secret_bytes().to_vec();
    let subkey = req.subkey.as_ref().unwrap().expose_secret_bytes().to_vec();
    let authenticator = req.authenticator.clone();
    let secrets: Vec<(&str, &[u8])> = vec![
        ("service key", &service),
        ("session key", &session),
        ("initiator subkey", &subkey),
        ("authenticator plaintext", &authenticator),
        ("input token", &token),
    ];

    // A replay, a bit flip in the authenticator, a truncation, a wrong-key ticket.
    let mut flipped = token.clone();
    let last = flipped.len() - 20;
    flipped[last] ^= 1;
    let other = Key::new(Enctype::Aes256CtsHmacSha196, &[7u8; 32]).unwrap();
    let mut kt = Keytab::new();
    kt.push(KeytabEntry::new(
        a.scenario.service.clone(),
        2,
        0,
        KeyBytes::new(18, other.expose_secret_bytes()),
    ));
    let wrong_key = Acceptor::builder()
        .keytab(&kt)
        .clock(Arc::new(FixedClock::at(a.now)))
        .build()
        .unwrap();
    let cases: Vec<(&str, Result<kerbgate::Accepted, kerbgate::Rejected>)> = vec![
        ("replay", a.acceptor.accept(&token)),
        ("bit flip", a.acceptor.accept(&flipped)),
        ("truncated", a.acceptor.accept(&token[..token.len() / 2])),
        ("wrong key", wrong_key.accept(&token)),
    ];
    for (name, result) in cases {
        let rejected = result.unwrap_err();
        let what = format!("Rejected ({name})");
        assert_clean(&what, &debug_forms(&rejected), &secrets);
        let err = &rejected.error;
        assert_clean(&format!("{what} error Display"), &err.to_string(), &secrets);
        assert_clean(&format!("{what} error Debug"), &debug_forms(err), &secrets);
        if let Some(out) = &rejected.output_token {
            let mut with_out = secrets.clone();
            with_out.push(("KRB-ERROR token", out));
            assert_clean(&format!("{what} Debug"), &debug_forms(&rejected), &with_out);
        }
    }
}

#[test]
fn key_bytes_zeroize_clears_the_key() {
    let raw = [0x5au8; 32];
    let mut kb = KeyBytes::new(18, &raw);
    kb.zeroize();
    assert!(
        kb.expose_secret_bytes().iter().all(|&b| b == 0),
        "KeyBytes::zeroize left key bytes"
    );

    let mut buf = zeroize::Zeroizing::new(raw.to_vec());
    buf.zeroize();
    assert!(buf.iter().all(|&b| b == 0));
}

#[test]
fn key_types_zeroize_on_drop() {
    fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroize_on_drop::<Key>();
    zeroize_on_drop::<KeyBytes>();
}
