//! The doctor's PAC check (MS-PAC 2.5, 2.7, 2.8): a summary of the PAC, the server
//! signature checked with the keytab key, and an error when it does not verify.
// Test code: a failed expectation should abort the test with its message.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "pac_builder.rs"]
mod builder;

use std::sync::Arc;

use kerbgate::doctor::{Check, Doctor, Severity};
use kerbgate::{KeyTable, Timestamp};
use kerbgate_crypto::{Enctype, Key};
use kerbgate_testkit::{AuthData, Scenario, FIXED_TIME};

fn report_for(server_key: Option<Key>) -> kerbgate::doctor::TokenReport {
    let mut s = Scenario::new().unwrap();
    let logon = builder::Logon::with_groups(2).encode();
    let info = builder::client_info("alice", FIXED_TIME.unix());
    let kdc = Key::new(Enctype::Aes256CtsHmacSha196, &[0x22; 32]).unwrap();
    let signer = server_key.unwrap_or_else(|| s.service_key.clone());
    let pac = builder::signed_pac(vec![(1, logon), (10, info)], &signer, &kdc);
    s.ticket = s
        .kdc
        .ticket("alice@EXAMPLE.COM", "imap/mail.example.com@EXAMPLE.COM")
        .unwrap()
        .authorization_data(Some(vec![AuthData::if_relevant(&[AuthData::raw(
            128, &pac,
        )])]))
        .build()
        .unwrap();
    let token = s.ap_req_builder().build().unwrap().gss_token();
    let keys = Arc::new(KeyTable::from_keytab(&s.kdc.keytab()));
    Doctor::new(keys, Timestamp::from_secs(s.now.unix())).examine(&token)
}

#[test]
fn shows_the_pac_and_its_verified_server_signature() {
    let r = report_for(None);
    assert!(!r.has_errors(), "{:#?}", r.findings);
    let pac: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::Pac)
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        pac[0].contains("S-1-5-21-1111111111-2222222222-3333333333-1104"),
        "{pac:?}"
    );
    assert!(
        pac[0].contains(r"EXAMPLE\alice") && pac[0].contains("4 groups"),
        "{pac:?}"
    );
    assert!(
        pac[0].contains(r"S-1-5-32-544 (BUILTIN\Administrators)"),
        "{pac:?}"
    );
    assert!(
        pac[1].contains("server signature (type 16) verifies"),
        "{pac:?}"
    );
    assert!(
        pac[2].contains("kdc signature") && pac[2].contains("krbtgt"),
        "{pac:?}"
    );
    assert_eq!(pac.len(), 3);
}

#[test]
fn a_bad_server_signature_is_an_error_the_acceptor_agrees_with() {
    let wrong = Key::new(Enctype::Aes256CtsHmacSha196, &[0x33; 32]).unwrap();
    let r = report_for(Some(wrong));
    let bad = r
        .findings
        .iter()
        .find(|f| f.check == Check::Pac && f.severity == Severity::Error)
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(bad.code.as_deref(), Some("KRB_AP_ERR_MODIFIED"));
    assert!(bad.message.contains("server signature"), "{}", bad.message);
    assert!(!r.acceptor_accepted);
}
