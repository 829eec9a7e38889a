//! Golden-structure test: what the testkit mints decodes with an unrelated
//! Kerberos ASN.1 implementation (`rasn-kerberos`), and re-encoding that
//! decode with rasn's DER encoder gives the same bytes, so the output is
//! standard DER Kerberos (RFC 4120 section 5) and not merely self-consistent.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kerbgate_crypto::Enctype;
use kerbgate_testkit::consts::{self, gss_flags};
use kerbgate_testkit::*;
use rasn::types::Integer;
use rasn_kerberos as k;

fn roundtrip<T: rasn::Decode + rasn::Encode>(what: &str, der: &[u8]) -> T {
    let v: T = rasn::der::decode(der).unwrap_or_else(|e| panic!("{what}: rasn cannot decode: {e}"));
    let again = rasn::der::encode(&v).unwrap();
    assert_eq!(again, der, "{what}: rasn re-encodes differently");
    v
}

fn unix(t: &k::KerberosTime) -> i64 {
    t.0.timestamp()
}

fn names(p: &k::PrincipalName) -> Vec<String> {
    p.string
        .iter()
        .map(|s| String::from_utf8(s.to_vec()).unwrap())
        .collect()
}

#[test]
fn minted_ap_req_is_standard_kerberos_der() {
    let mut s = Scenario::default();
    let tgt = s.kdc.tgt(SCENARIO_CLIENT).unwrap().build().unwrap();
    let cred = KrbCredBuilder::forwarded_tgt(tgt, s.ticket.session_key.clone())
        .nonce(Some(7))
        .build()
        .unwrap();
    let gss = GssChecksum {
        flags: gss_flags::DELEG | gss_flags::MUTUAL | gss_flags::INTEG,
        bindings: Bindings::Channel(ChannelBindings::application(b"tls-unique:x")),
        delegation: Some((1, cred.der.clone())),
        ..GssChecksum::default()
    };
    let a = s
        .ap_req_builder()
        .time(s.now, 424_242)
        .subkey_enctype(Enctype::Aes256CtsHmacSha196)
        .seq_number(Some(0x8000_0001))
        .seq_encoding(SeqEncoding::Der) // rasn's UInt32 accepts only the DER form
        .authorization_data(Some(vec![AuthData::enctype_negotiation(&[18, 17])]))
        .checksum(AuthChecksum::Gss(gss))
        .build()
        .unwrap();

    // AP-REQ and the Ticket inside it.
    let ap: k::ApReq = roundtrip("AP-REQ", &a.der);
    assert_eq!(ap.pvno, Integer::from(5));
    assert_eq!(ap.msg_type, Integer::from(14));
    assert_eq!(ap.ap_options.0.len(), 32);
    assert!(ap.ap_options.0[2], "mutual-required is bit 2");
    assert_eq!(ap.ticket.tkt_vno, Integer::from(5));
    assert_eq!(ap.ticket.realm.to_vec(), b"EXAMPLE.COM");
    assert_eq!(names(&ap.ticket.sname), ["imap", "mail.example.com"]);
    assert_eq!(ap.ticket.enc_part.kvno, Some(2));
    assert_eq!(ap.authenticator.etype, 18);
    assert_eq!(ap.authenticator.kvno, None);

    // EncTicketPart under the service key.
    let plain = s
        .service_key
        .decrypt(consts::KU_TICKET, &ap.ticket.enc_part.cipher)
        .unwrap();
    let etp: k::EncTicketPart = roundtrip("EncTicketPart", &plain);
    assert_eq!(
        etp.key.value.to_vec(),
        s.ticket.session_key.expose_secret_bytes()
    );
    assert_eq!(names(&etp.cname), ["alice"]);
    assert_eq!(unix(&etp.auth_time), FIXED_TIME.unix());
    assert_eq!(unix(&etp.end_time), FIXED_TIME.unix() + DEFAULT_LIFETIME);
    assert!(
        etp.flags.0[1] && etp.flags.0[9] && etp.flags.0[10],
        "forwardable, initial, pre-authent"
    );

    // Authenticator under the session key.
    let plain = s
        .ticket
        .session_key
        .decrypt(consts::KU_AP_REQ_AUTH, &ap.authenticator.cipher)
        .unwrap();
    let auth: k::Authenticator = roundtrip("Authenticator", &plain);
    assert_eq!(auth.crealm.to_vec(), b"EXAMPLE.COM");
    assert_eq!(auth.cusec, Integer::from(424_242));
    assert_eq!(unix(&auth.ctime), s.now.unix());
    assert_eq!(auth.seq_number, Some(0x8000_0001));
    assert_eq!(
        auth.subkey.unwrap().value.to_vec(),
        a.subkey.as_ref().unwrap().expose_secret_bytes()
    );
    let cksum = auth.cksum.unwrap();
    assert_eq!(cksum.r#type, 0x8003);
    let ad = auth.authorization_data.unwrap();
    assert_eq!(ad[0].r#type, 1);
    let inner: k::AuthorizationData = roundtrip("AD-IF-RELEVANT", &ad[0].data);
    assert_eq!(inner[0].r#type, 129);
    let etypes: Vec<i32> = roundtrip("EtypeList", &inner[0].data);
    assert_eq!(etypes, [18, 17]);

    // The delegated KRB-CRED in the checksum.
    let dlgth = usize::from(u16::from_le_bytes([cksum.checksum[26], cksum.checksum[27]]));
    let cred_der = &cksum.checksum[28..28 + dlgth];
    let kc: k::KrbCred = roundtrip("KRB-CRED", cred_der);
    assert_eq!(kc.msg_type, Integer::from(22));
    assert_eq!(kc.tickets.len(), 1);
    assert_eq!(names(&kc.tickets[0].sname), ["krbtgt", "EXAMPLE.COM"]);
    let plain = s
        .ticket
        .session_key
        .decrypt(consts::KU_KRB_CRED_ENCPART, &kc.enc_part.cipher)
        .unwrap();
    let ekc: k::EncKrbCredPart = roundtrip("EncKrbCredPart", &plain);
    assert_eq!(ekc.nonce, Some(7));
    let info = &ekc.ticket_info[0];
    assert_eq!(names(info.pname.as_ref().unwrap()), ["alice"]);
    assert_eq!(
        names(info.sname.as_ref().unwrap()),
        ["krbtgt", "EXAMPLE.COM"]
    );
}

#[test]
fn minted_ap_rep_and_krb_error_are_standard_kerberos_der() {
    let s = Scenario::default();
    let a = s.ap_req(ApReqOpts::default()).unwrap();
    let mut rng = Rng::seeded(4);
    let mut rep = ApRepBuilder::for_request(&a);
    rep.seq_number = Some(12345);
    rep.subkey = Some(fresh_key(Enctype::Aes128CtsHmacSha196, &mut rng).unwrap());
    let raw = rep.build(&a.session_key, &mut rng).unwrap();
    let ar: k::ApRep = roundtrip("AP-REP", &raw);
    let plain = a
        .session_key
        .decrypt(consts::KU_AP_REP_ENCPART, &ar.enc_part.cipher)
        .unwrap();
    let part: k::EncApRepPart = roundtrip("EncAPRepPart", &plain);
    assert_eq!(unix(&part.ctime), a.ctime.unix());
    assert_eq!(part.seq_number, Some(12345));

    let e: k::KrbError = roundtrip("KRB-ERROR", &krb_error(37, s.now, Some("skew")));
    assert_eq!(e.error_code, 37);
}
