//! Service matching and key selection (RFC 4120 3.2.3): each test breaks exactly one of
//! "the ticket names a service we answer for" and "a keytab key decrypts the ticket".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::mint::{accept, add_key, builder, kdc_with, refuse, scenario, ticket_from, token};
use kerbgate::consts::GssMajor;
use kerbgate::{AcceptError, ServiceName};
use kerbgate_crypto::Enctype;
use kerbgate_keytab::Keytab;
use kerbgate_testkit::{Kdc, KvnoField, ServiceKeyOpts};

const AES256: Enctype = Enctype::Aes256CtsHmacSha196;
const IMAP: &str = "imap/mail.example.com@EXAMPLE.COM";
const HTTP: &str = "HTTP/mail.example.com@EXAMPLE.COM";
const ALICE: &str = "alice@EXAMPLE.COM";

fn svc(name: &str) -> ServiceName {
    ServiceName::parse(name).unwrap()
}

/// A KDC holding imap/ and HTTP/ on mail.example.com under one and the same key.
fn shared_key_kdc() -> Kdc {
    let mut kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 2, "shared");
    let key = kdc
        .service_key(&kdc.principal(IMAP).unwrap(), None, None)
        .unwrap()
        .1
        .clone();
    add_key(&mut kdc, HTTP, 2, &key);
    kdc
}

#[test]
fn rejects_ticket_for_other_service_sharing_the_key() {
    let mut kdc = shared_key_kdc();
    let t = ticket_from(&mut kdc, ALICE, HTTP).build().unwrap();
    let acc = builder(&kdc.keytab())
        .service(svc("imap@mail.example.com"))
        .build()
        .unwrap();

    // The key would decrypt the ticket: only the service check refuses it.
    let r = refuse(&acc, &token(&t), "KRB_AP_ERR_NOT_US");
    assert_eq!(r.error.gss_major(), GssMajor::NoCred);
    let msg = r.error.to_string();
    assert!(msg.contains("HTTP/mail.example.com@EXAMPLE.COM"), "{msg}");
    assert!(msg.contains("imap@mail.example.com"), "{msg}");

    let imap_ticket = ticket_from(&mut kdc, ALICE, IMAP).build().unwrap();
    accept(&acc, &token(&imap_ticket));
}

#[test]
fn host_based_service_name_matches_any_realm() {
    let other = "imap/mail.example.com@OTHER.ORG";
    let mut kdc = kdc_with("OTHER.ORG", other, AES256, 2, "pw");
    let t = ticket_from(&mut kdc, "bob@OTHER.ORG", other)
        .build()
        .unwrap();
    let acc = builder(&kdc.keytab())
        .service(svc("imap@mail.example.com"))
        .build()
        .unwrap();
    let done = accept(&acc, &token(&t));
    assert_eq!(done.context.service().to_string(), other);
}

#[test]
fn exact_principal_service_refuses_other_realm() {
    let other = "imap/mail.example.com@OTHER.ORG";
    let mut kdc = kdc_with("OTHER.ORG", other, AES256, 2, "pw");
    let t = ticket_from(&mut kdc, "bob@OTHER.ORG", other)
        .build()
        .unwrap();
    let acc = builder(&kdc.keytab()).service(svc(IMAP)).build().unwrap();
    refuse(&acc, &token(&t), "KRB_AP_ERR_NOT_US");
}

#[test]
fn any_service_mode_accepts_every_keytab_principal() {
    let mut kdc = shared_key_kdc();
    let acc = builder(&kdc.keytab()).build().unwrap();
    for service in [IMAP, HTTP] {
        let t = ticket_from(&mut kdc, ALICE, service).build().unwrap();
        let done = accept(&acc, &token(&t));
        assert_eq!(done.context.service().to_string(), service);
    }
}

#[test]
fn any_service_mode_refuses_principal_not_in_keytab() {
    let mut kdc = shared_key_kdc();
    let mut keytab = kdc.keytab();
    keytab.retain(|e| e.principal().components().first().map(String::as_str) == Some("imap"));
    let acc = builder(&keytab).build().unwrap();

    let t = ticket_from(&mut kdc, ALICE, HTTP).build().unwrap();
    let r = refuse(&acc, &token(&t), "KRB_AP_ERR_NOT_US");
    assert!(r.error.to_string().contains(IMAP), "{}", r.error);
}

/// A keytab holding only `imap/mail.example.com`, and a KDC that issues a ticket for
/// `IMAP/mail.example.com` in the same key, as Active Directory does.
fn upper_case_ticket() -> (Keytab, kerbgate_testkit::Ticket) {
    let mut kdc = shared_key_kdc();
    let key = kdc
        .service_key(&kdc.principal(IMAP).unwrap(), None, None)
        .unwrap()
        .1
        .clone();
    add_key(&mut kdc, "IMAP/mail.example.com@EXAMPLE.COM", 2, &key);
    let t = ticket_from(&mut kdc, ALICE, "IMAP/mail.example.com@EXAMPLE.COM")
        .build()
        .unwrap();
    let mut keytab = kdc.keytab();
    keytab.retain(|e| e.principal().to_string() == IMAP);
    (keytab, t)
}

#[test]
fn case_insensitive_mode_accepts_upper_case_service() {
    let (keytab, t) = upper_case_ticket();
    let acc = builder(&keytab)
        .service(svc("imap@mail.example.com"))
        .ignore_service_case(true)
        .build()
        .unwrap();
    accept(&acc, &token(&t));

    let any = builder(&keytab).ignore_service_case(true).build().unwrap();
    accept(&any, &token(&t));
}

#[test]
fn default_mode_refuses_upper_case_service() {
    let (keytab, t) = upper_case_ticket();
    let acc = builder(&keytab)
        .service(svc("imap@mail.example.com"))
        .build()
        .unwrap();
    refuse(&acc, &token(&t), "KRB_AP_ERR_NOT_US");
    let any = builder(&keytab).build().unwrap();
    refuse(&any, &token(&t), "KRB_AP_ERR_NOT_US");
}

/// imap with kvno 1 (password "old") and kvno 2 (password "new").
fn two_kvno_kdc() -> Kdc {
    let mut kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 1, "old");
    kdc.add_service(IMAP, ServiceKeyOpts::password(AES256, 2, "new"))
        .unwrap();
    kdc
}

#[test]
fn absent_kvno_tries_every_key_of_the_enctype() {
    let mut kdc = two_kvno_kdc();
    let t = kdc
        .ticket_with(ALICE, IMAP, Some(1), None)
        .unwrap()
        .kvno_field(KvnoField::Absent)
        .build()
        .unwrap();
    let acc = builder(&kdc.keytab()).build().unwrap();
    let done = accept(&acc, &token(&t));
    assert_eq!(done.context.ticket_kvno(), 1);
}

#[test]
fn rejects_kvno_not_in_keytab_listing_held_kvnos() {
    let mut kdc = two_kvno_kdc();
    let t = kdc
        .ticket_with(ALICE, IMAP, Some(2), None)
        .unwrap()
        .kvno_field(KvnoField::Value(7))
        .build()
        .unwrap();
    let acc = builder(&kdc.keytab()).build().unwrap();
    let r = refuse(&acc, &token(&t), "KRB_AP_ERR_BADKEYVER");
    assert_eq!(r.error.gss_major(), GssMajor::NoCred);
    match &*r.error {
        AcceptError::BadKeyVersion { kvno, held, .. } => {
            assert_eq!(*kvno, 7);
            assert_eq!(held, &[1, 2]);
        }
        other => panic!("{other:?}"),
    }
    assert!(r.error.to_string().contains("kvno 1, 2"), "{}", r.error);
}

#[test]
fn rejects_enctype_without_key_naming_what_keytab_holds() {
    let mut kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 2, "pw");
    kdc.add_service(
        IMAP,
        ServiceKeyOpts::password(Enctype::Aes128CtsHmacSha196, 2, "pw"),
    )
    .unwrap();
    let t = kdc
        .ticket_with(ALICE, IMAP, None, Some(Enctype::Aes128CtsHmacSha196))
        .unwrap()
        .build()
        .unwrap();
    let mut keytab = kdc.keytab();
    keytab.retain(|e| e.enctype() == AES256.to_i32());
    let acc = builder(&keytab).build().unwrap();
    let r = refuse(&acc, &token(&t), "KRB_AP_ERR_NOKEY");
    let msg = r.error.to_string();
    assert!(msg.contains("aes128-cts-hmac-sha1-96"), "{msg}");
    assert!(msg.contains("kvno 2 aes256-cts-hmac-sha1-96"), "{msg}");
}

#[test]
fn rejects_ticket_under_other_password_same_kvno() {
    let mut kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 2, "right");
    let wrong = kdc_with("EXAMPLE.COM", IMAP, AES256, 2, "wrong");
    let t = ticket_from(&mut kdc, ALICE, IMAP).build().unwrap();
    let acc = builder(&wrong.keytab()).build().unwrap();
    let r = refuse(&acc, &token(&t), "KRB_AP_ERR_BAD_INTEGRITY");
    match &*r.error {
        AcceptError::TicketIntegrity { kvnos_tried, .. } => assert_eq!(kvnos_tried, &[2]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn accepts_kvno_above_255() {
    let mut kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 300, "pw");
    let t = ticket_from(&mut kdc, ALICE, IMAP).build().unwrap();
    let acc = builder(&kdc.keytab()).build().unwrap();
    assert_eq!(accept(&acc, &token(&t)).context.ticket_kvno(), 300);
}

#[test]
fn matches_kvno_above_255_against_8_bit_keytab_kvno() {
    // Old keytab formats store kvno modulo 256: 300 is stored as 44.
    let mut kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 44, "pw");
    let t = kdc
        .ticket_with(ALICE, IMAP, Some(44), None)
        .unwrap()
        .kvno_field(KvnoField::Value(300))
        .build()
        .unwrap();
    let acc = builder(&kdc.keytab()).build().unwrap();
    assert_eq!(accept(&acc, &token(&t)).context.ticket_kvno(), 44);
}

#[test]
fn scenario_ticket_is_accepted() {
    // The baseline every negative test breaks one piece of.
    let s = scenario();
    let acc = builder(&s.kdc.keytab()).build().unwrap();
    let done = accept(&acc, &s.ap_req(Default::default()).unwrap().gss_token());
    assert_eq!(done.context.client().to_string(), ALICE);
}

/// A keytab holding only imap/mail.example.com@EXAMPLE.COM, and a ticket for
/// imap/mail.example.com@example.com (realm differs in case only) under the same key.
fn lower_case_realm_ticket() -> (Keytab, kerbgate_testkit::Ticket) {
    let mut kdc = shared_key_kdc();
    let key = kdc
        .service_key(&kdc.principal(IMAP).unwrap(), None, None)
        .unwrap()
        .1
        .clone();
    let lower_realm = "imap/mail.example.com@example.com";
    add_key(&mut kdc, lower_realm, 2, &key);
    let t = ticket_from(&mut kdc, "alice@example.com", lower_realm)
        .build()
        .unwrap();
    let mut keytab = kdc.keytab();
    keytab.retain(|e| e.principal().to_string() == IMAP);
    (keytab, t)
}

#[test]
fn case_insensitive_exact_principal_compares_realm_exactly() {
    let (keytab, t) = lower_case_realm_ticket();
    let listed = builder(&keytab)
        .service(svc(IMAP))
        .ignore_service_case(true)
        .build()
        .unwrap();
    refuse(&listed, &token(&t), "KRB_AP_ERR_NOT_US");
}

#[test]
fn case_insensitive_any_service_mode_compares_realm_exactly() {
    let (keytab, t) = lower_case_realm_ticket();
    let any = builder(&keytab).ignore_service_case(true).build().unwrap();
    let r = any.accept(&token(&t)).expect_err("realm differs in case");
    assert!(
        ["KRB_AP_ERR_NOT_US", "KRB_AP_ERR_NOKEY"].contains(&r.error.code_name().as_str()),
        "{}",
        r.error
    );

    let host_based = builder(&keytab)
        .service(svc("imap@mail.example.com"))
        .ignore_service_case(true)
        .build()
        .unwrap();
    refuse(&host_based, &token(&t), "KRB_AP_ERR_NOKEY");
}

/// The context names the service exactly as the ticket did: its case when the keytab
/// matched ignoring case, and its name type when the keytab entry has another.
#[test]
fn context_names_the_service_as_the_ticket_did() {
    let (keytab, t) = upper_case_ticket();
    let any = builder(&keytab).ignore_service_case(true).build().unwrap();
    let done = accept(&any, &token(&t));
    assert_eq!(
        done.context.service().to_string(),
        "IMAP/mail.example.com@EXAMPLE.COM"
    );

    let kdc = kdc_with("EXAMPLE.COM", IMAP, AES256, 2, "pw");
    let keytab = kdc.keytab();
    let keytab_type = keytab.entries()[0].principal().name_type();
    for name_type in [1, 2, 3] {
        let service = kdc.principal(IMAP).unwrap().with_name_type(name_type);
        let (kvno, key) = kdc.service_key(&service, None, None).unwrap();
        let key = key.clone();
        let client = kdc.principal(ALICE).unwrap();
        let t = kerbgate_testkit::TicketBuilder::new(service, key, kvno, client)
            .build()
            .unwrap();
        let acc = builder(&keytab).build().unwrap();
        let done = accept(&acc, &token(&t));
        assert_eq!(done.context.service().to_string(), IMAP);
        assert_eq!(
            done.context.service().name_type(),
            name_type,
            "keytab entry's name type {keytab_type}"
        );
    }
}
