//! Real tokens and tickets from Windows, MIT-era AD, Heimdal and Kerberos.NET
//! (testdata/der/*), decoded by kerbgate and by rasn-kerberos; both must
//! agree on every field. Where a key is known, the ticket and authenticator
//! are decrypted and their plaintexts compared the same way.
// Test code: a failed expectation should abort the test with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

#[path = "decode_support.rs"]
mod support;

use kerbgate::consts::{ad_type, key_usage, CKSUMTYPE_GSSAPI};
use kerbgate::gss_checksum::GssChecksum;
use kerbgate::messages::{ApRep, ApReq, Authenticator, EncTicketPart, KrbCred, Ticket};
use kerbgate::token::{parse_initial_context_token, TokenId};
use kerbgate_crypto::{Enctype, Key};
use support::*;

fn check_expected_ticket(case: &Case, t: &Ticket<'_>) {
    if let Some(realm) = case.str("realm") {
        assert_eq!(t.realm, realm, "{case}: realm");
    }
    if let Some(sname) = case.str("sname") {
        assert_eq!(
            t.sname.components().collect::<Vec<_>>().join("/"),
            sname,
            "{case}: sname"
        );
    }
    if let Some(nt) = case.num("sname_type") {
        assert_eq!(i64::from(t.sname.name_type), nt, "{case}: sname type");
    }
    if let Some(et) = case.num("etype") {
        assert_eq!(i64::from(t.enc_part.etype), et, "{case}: etype");
    }
    match case.get("kvno") {
        Some("\"absent\"") => assert_eq!(t.enc_part.kvno, None, "{case}: kvno"),
        Some(_) => {
            assert_eq!(
                t.enc_part.kvno.map(i64::from),
                case.num("kvno"),
                "{case}: kvno"
            );
        }
        None => {}
    }
}

fn key_for(case: &Case) -> Option<Key> {
    let et = Enctype::from_i32(i32::try_from(case.num("key_etype")?).unwrap()).unwrap();
    Some(Key::new(et, &case.hex("key")?).unwrap())
}

/// Decrypts and cross-checks the EncTicketPart; returns the session key.
fn check_enc_ticket_part(case: &Case, t: &Ticket<'_>, key: &Key) -> Key {
    let plain = key.decrypt(key_usage::TICKET, t.enc_part.cipher).unwrap();
    let ours = EncTicketPart::from_der(&plain).unwrap_or_else(|e| panic!("{case}: {e}"));
    let theirs: rasn_kerberos::EncTicketPart = rasn::der::decode(&plain).unwrap();
    let ctx = format!("{case} EncTicketPart");
    assert_eq!(ours.flags.0, flags(&theirs.flags.0), "{ctx}: flags");
    same_key(&ours.key, &theirs.key, &ctx);
    assert_eq!(ours.crealm, gs(&theirs.crealm), "{ctx}: crealm");
    same_name(&ours.cname, &theirs.cname, &ctx);
    assert_eq!(ours.transited.tr_type, theirs.transited.r#type, "{ctx}");
    assert_eq!(
        ours.transited.contents,
        &theirs.transited.contents[..],
        "{ctx}"
    );
    assert_eq!(ours.authtime, time(&theirs.auth_time), "{ctx}: authtime");
    assert_eq!(
        ours.starttime,
        theirs.start_time.as_ref().map(time),
        "{ctx}: starttime"
    );
    assert_eq!(ours.endtime, time(&theirs.end_time), "{ctx}: endtime");
    assert_eq!(
        ours.renew_till,
        theirs.renew_till.as_ref().map(time),
        "{ctx}: renew-till"
    );
    assert_eq!(
        ours.caddr.map(|a| a.len()),
        theirs.caddr.as_ref().map(Vec::len),
        "{ctx}: caddr"
    );
    same_ad(
        ours.authorization_data.as_ref(),
        theirs.authorization_data.as_ref(),
        &ctx,
    );

    // Every ticket here carries a Windows PAC inside AD-IF-RELEVANT.
    let ad = ours.authorization_data.expect("authorization-data");
    let pac = ad
        .find(ad_type::WIN2K_PAC)
        .unwrap_or_else(|| panic!("{ctx}: no PAC"));
    assert!(pac.ad_data.len() > 100, "{ctx}: PAC length");
    assert!(ad
        .flatten()
        .any(|(e, depth)| e.ad_type == ad_type::WIN2K_PAC && depth == 1));

    let et = Enctype::from_i32(ours.key.keytype).unwrap();
    Key::new(et, ours.key.keyvalue).unwrap()
}

#[test]
fn real_ap_req_tokens_agree_with_rasn() {
    let mut seen = 0;
    for file in ["der/pyspnego/tokens.txt", "der/kerberos.net/tokens.txt"] {
        for case in load(file) {
            let token = case.hex("token").unwrap();
            if case.str("framing") == Some("gss-ap-rep") {
                let t = parse_initial_context_token(&token).unwrap();
                assert_eq!(t.token_id, Some(TokenId::ApRep), "{case}");
                let ours = ApRep::from_der(t.body).unwrap_or_else(|e| panic!("{case}: {e}"));
                let theirs: rasn_kerberos::ApRep = rasn::der::decode(t.body).unwrap();
                same_enc(&ours.enc_part, &theirs.enc_part, &case.to_string());
                assert_eq!(i64::from(ours.enc_part.etype), case.num("etype").unwrap());
                continue;
            }
            let der = ap_req_bytes(&case, &token);
            let ours = ApReq::from_der(der).unwrap_or_else(|e| panic!("{case}: {e}"));
            let theirs: rasn_kerberos::ApReq =
                rasn::der::decode(der).unwrap_or_else(|e| panic!("{case}: rasn: {e}"));
            let ctx = case.to_string();
            assert_eq!(
                ours.ap_options.0,
                flags(&theirs.ap_options.0),
                "{ctx}: ap-options"
            );
            same_ticket(&ours.ticket, &theirs.ticket, &ctx);
            same_enc(&ours.authenticator, &theirs.authenticator, &ctx);
            check_expected_ticket(&case, &ours.ticket);

            // The ticket's raw DER is exactly the [3] contents, re-decodable alone.
            let again = Ticket::from_der(ours.ticket.raw).unwrap();
            assert_eq!(again, ours.ticket, "{ctx}");
            let reenc = rasn::der::encode(&theirs.ticket).unwrap();
            assert_eq!(ours.ticket.raw, &reenc[..], "{ctx}: raw ticket");

            if let Some(key) = key_for(&case) {
                let session = check_enc_ticket_part(&case, &ours.ticket, &key);
                check_authenticator(&case, &ours, &session);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 10);
}

fn check_authenticator(case: &Case, ap_req: &ApReq<'_>, session: &Key) {
    let plain = session
        .decrypt(key_usage::AP_REQ_AUTH, ap_req.authenticator.cipher)
        .unwrap();
    let ours = Authenticator::from_der(&plain).unwrap_or_else(|e| panic!("{case}: {e}"));
    let theirs: rasn_kerberos::Authenticator = rasn::der::decode(&plain).unwrap();
    let ctx = format!("{case} Authenticator");
    assert_eq!(ours.crealm, gs(&theirs.crealm), "{ctx}");
    same_name(&ours.cname, &theirs.cname, &ctx);
    assert_eq!(i64::from(ours.cusec), int(&theirs.cusec), "{ctx}: cusec");
    assert_eq!(ours.ctime, time(&theirs.ctime), "{ctx}: ctime");
    assert_eq!(ours.seq_number, theirs.seq_number, "{ctx}: seq-number");
    match (&ours.subkey, &theirs.subkey) {
        (Some(a), Some(b)) => same_key(a, b, &ctx),
        (a, b) => assert_eq!(a.is_none(), b.is_none(), "{ctx}: subkey"),
    }
    let (Some(c), Some(tc)) = (&ours.cksum, &theirs.cksum) else {
        panic!("{ctx}: no checksum");
    };
    same_cksum(c, tc, &ctx);
    assert_eq!(c.cksumtype, CKSUMTYPE_GSSAPI, "{ctx}");
    same_ad(
        ours.authorization_data.as_ref(),
        theirs.authorization_data.as_ref(),
        &ctx,
    );

    // RFC 4121 4.1.1: these Windows clients send mutual + integ (0x22) at least.
    let g = GssChecksum::decode(c.checksum).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_eq!(g.flags & 0x22, 0x22, "{ctx}: flags {:#x}", g.flags);
    if let Some(cred) = g.delegation {
        let kc = KrbCred::from_der(cred).unwrap();
        assert!(!kc.tickets.is_empty());
    }
}

/// Cases where rasn-kerberos is known wrong, so only kerbgate is checked:
///
/// - RODC-issued tickets carry kvno 0xB6510001 (RODC id in the high 16
///   bits), which Windows encodes as the negative INTEGER `b6 51 00 01`.
///   rasn's `Option<u32>` refuses it; MIT and kerbgate read it as UInt32.
const RASN_REJECTS_NEGATIVE_KVNO: &[&str] = &["tgt_rodc.der"];

#[test]
fn real_tickets_agree_with_rasn() {
    let mut decrypted = 0;
    for file in ["der/heimdal/tickets.txt", "der/krb5/tickets.txt"] {
        for case in load(file) {
            let der = case.hex("ticket").unwrap();
            let ours = Ticket::from_der(&der).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(ours.raw, &der[..], "{case}: raw");
            check_expected_ticket(&case, &ours);
            match rasn::der::decode::<rasn_kerberos::Ticket>(&der) {
                Ok(theirs) => same_ticket(&ours, &theirs, &case.to_string()),
                Err(e) => assert!(
                    RASN_REJECTS_NEGATIVE_KVNO.contains(&case.name()),
                    "{case}: rasn failed unexpectedly: {e}"
                ),
            }
            if let Some(key) = key_for(&case) {
                check_enc_ticket_part(&case, &ours, &key);
                decrypted += 1;
            }
        }
    }
    assert_eq!(decrypted, 3);
}
