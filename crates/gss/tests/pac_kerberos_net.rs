//! Windows PACs inside Kerberos.NET's AP-REQ tokens (testdata/pac/kerberos.net): the
//! acceptor decrypts the ticket, then the PAC is found in the context's authorization
//! data, decoded, its server signature verified with the service key and its client
//! info checked against the ticket, as the acceptor hook would do.
// Test code: a failed expectation should abort the test with its message.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::Arc;

use kerbgate::pac::{buffer_type, Pac, PacError};
use kerbgate::spnego::SpnegoExchange;
use kerbgate::{Acceptor, AuthzElement, FixedClock, SecurityContext};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};

fn dir() -> String {
    format!("{}/../../testdata/pac", env!("CARGO_MANIFEST_DIR"))
}

fn blocks(path: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("\n\n")
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                .collect::<HashMap<_, _>>()
        })
        .filter(|b| b.contains_key("token"))
        .collect()
}

/// An acceptor for every key in `keytab`, with a skew wide enough to replay 2009-2019
/// tokens at a fixed time.
fn acceptor(keytab: &Keytab) -> Arc<Acceptor> {
    Arc::new(
        Acceptor::builder()
            .keytab(keytab)
            .clock(Arc::new(FixedClock::at(1_500_000_000)))
            .max_skew_secs(400_000_000)
            .build()
            .unwrap(),
    )
}

/// The ticket's authorization data, client name and authtime, and the service key.
fn accept(b: &HashMap<String, String>) -> (Vec<AuthzElement>, String, i64, Key) {
    let token = std::fs::read(format!("{}/kerberos.net/{}", dir(), b["token"])).unwrap();
    let et: i32 = b["key_enctype"].parse().unwrap();
    let key_bytes = match b.get("key_file") {
        Some(f) => std::fs::read(format!("{}/kerberos.net/{f}", dir())).unwrap(),
        None => hex::decode(&b["key"]).unwrap(),
    };
    let key = Key::new(Enctype::from_i32(et).unwrap(), &key_bytes).unwrap();
    let mut kt = Keytab::new();
    let p = Principal::parse(&b["service"]).unwrap();
    let p = Principal::new(
        b["service_name_type"].parse().unwrap(),
        p.components().to_vec(),
        p.realm(),
    );
    let kvno: u32 = b["kvno"].parse().unwrap();
    kt.push(KeytabEntry::new(p, kvno, 0, KeyBytes::new(et, &key_bytes)));
    let acc = acceptor(&kt);
    let fields = |c: &SecurityContext| {
        (
            c.authorization_data().to_vec(),
            c.client().to_string(),
            c.authtime(),
        )
    };
    let (ad, client, authtime) = if b["token"].ends_with(".spnego") {
        let mut ex = SpnegoExchange::new(acc);
        let done = ex
            .step(&token)
            .unwrap_or_else(|r| panic!("{}: {r}", b["token"]));
        assert!(done.complete);
        fields(ex.into_context().unwrap().context())
    } else {
        fields(
            &acc.accept(&token)
                .unwrap_or_else(|r| panic!("{}: {}", b["token"], r.error))
                .context,
        )
    };
    (ad, client, authtime, key)
}

#[test]
fn windows_pacs_in_tickets_verify() {
    let path = format!("{}/kerberos_net.txt", dir());
    let cases = blocks(&path);
    assert_eq!(cases.len(), 5);
    for (i, b) in cases.iter().enumerate() {
        let at = format!("{path} case {i} ({})", b["token"]);
        let (ad, client, authtime, key) = accept(b);
        let pac = Pac::from_authorization_data(&ad)
            .unwrap_or_else(|e| panic!("{at}: {e}"))
            .unwrap_or_else(|| panic!("{at}: no PAC"));
        assert_eq!(pac.user_sid().unwrap().to_string(), b["user_sid"], "{at}");
        assert_eq!(pac.upn(), Some(b["upn"].as_str()), "{at}");
        assert_eq!(pac.logon_domain(), Some(b["logon_domain"].as_str()), "{at}");
        assert_eq!(pac.group_sids().len().to_string(), b["group_count"], "{at}");
        let sig = pac.server_signature().unwrap();
        assert_eq!(sig.cksumtype.to_string(), b["server_cksumtype"], "{at}");
        if let Some(target) = b.get("proxy_target") {
            let d = pac.delegation_info().unwrap();
            assert_eq!(&d.proxy_target, target, "{at}");
            assert_eq!(d.transited_services, [b["transited"].clone()], "{at}");
        }
        if let Some(len) = b.get("claims_len") {
            let claims = pac.buffer(buffer_type::CLIENT_CLAIMS).unwrap();
            assert_eq!(claims.len().to_string(), *len, "{at}");
        }

        // The hook: server signature with the service key, client info against the ticket.
        pac.verify_server_signature(&key)
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        pac.check_client_info(&client, authtime)
            .unwrap_or_else(|e| panic!("{at}: {e}"));

        // The same PAC with one bit of the logon info changed must not verify.
        let mut tampered = ad.clone();
        let el = tampered.iter_mut().find(|e| e.ad_type == 128).unwrap();
        let li = pac.buffers().iter().find(|b| b.ul_type == 1).unwrap();
        el.data[li.offset + 20 + 48 + 6 * 8] ^= 1;
        let t = Pac::from_authorization_data(&tampered).unwrap().unwrap();
        assert_eq!(
            t.verify_server_signature(&key),
            Err(PacError::BadSignature { which: "server" }),
            "{at}"
        );
    }
}
