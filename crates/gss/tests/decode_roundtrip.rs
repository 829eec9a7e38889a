//! Every encoder through our decoder and through rasn-kerberos, and
//! rasn-encoded decode-only messages (KRB-CRED, EncKrbCredPart) through ours.
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

use kerbgate::consts::KrbErrorCode;
use kerbgate::der::{format_generalized_time, parse_generalized_time, Reader, Writer};
use kerbgate::messages::{
    ApRep, EncApRepPart, EncKrbCredPart, EncryptedData, EncryptionKey, KrbCred, KrbError,
    PrincipalName,
};
use kerbgate_keytab::Principal;
use rasn::types::{GeneralString, OctetString};
use support::*;

#[test]
fn ap_rep_round_trips() {
    for kvno in [None, Some(0), Some(u32::MAX)] {
        let rep = ApRep {
            enc_part: EncryptedData {
                etype: 18,
                kvno,
                cipher: &[7; 300],
            },
        };
        let der = rep.to_der();
        assert_eq!(ApRep::from_der(&der).unwrap(), rep);
        let theirs: rasn_kerberos::ApRep = rasn::der::decode(&der).unwrap();
        same_enc(&rep.enc_part, &theirs.enc_part, "AP-REP");
        assert_eq!(rasn::der::encode(&theirs).unwrap(), der);
    }
}

#[test]
fn enc_ap_rep_part_round_trips() {
    let key = [9u8; 32];
    for (subkey, seq) in [
        (None, None),
        (
            Some(EncryptionKey {
                keytype: 18,
                keyvalue: &key,
            }),
            Some(0x8000_0000),
        ),
        (None, Some(1)),
    ] {
        let part = EncApRepPart {
            ctime: 1_700_000_000,
            cusec: 999_999,
            subkey,
            seq_number: seq,
        };
        let der = part.to_der();
        assert_eq!(EncApRepPart::from_der(&der).unwrap(), part);
        let theirs: rasn_kerberos::EncApRepPart = rasn::der::decode(&der).unwrap();
        assert_eq!(time(&theirs.ctime), part.ctime);
        assert_eq!(int(&theirs.cusec), i64::from(part.cusec));
        assert_eq!(theirs.seq_number, part.seq_number);
        assert_eq!(theirs.subkey.is_some(), part.subkey.is_some());
        if let (Some(a), Some(b)) = (&part.subkey, &theirs.subkey) {
            same_key(a, b, "EncAPRepPart");
        }
    }
}

#[test]
fn krb_error_round_trips() {
    let service = Principal::new(
        3,
        vec!["HTTP".into(), "www.example.com".into()],
        "EXAMPLE.COM",
    );
    let client = ["alice"];
    let full = KrbError {
        ctime: Some(1_600_000_000),
        cusec: Some(12),
        stime: 1_600_000_300,
        susec: 0,
        error_code: KrbErrorCode::KRB_AP_ERR_SKEW,
        crealm: Some("EXAMPLE.COM"),
        cname: Some(PrincipalName::from_strs(1, &client)),
        realm: service.realm(),
        sname: PrincipalName::from_principal(&service),
        e_text: Some("clock skew too great"),
        e_data: Some(&[0x30, 0x00]),
    };
    let minimal = KrbError {
        ctime: None,
        cusec: None,
        crealm: None,
        cname: None,
        e_text: None,
        e_data: None,
        error_code: KrbErrorCode::KRB_AP_ERR_MODIFIED,
        ..full
    };
    for e in [full, minimal] {
        let der = e.to_der();
        let back = KrbError::from_der(&der).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.sname.to_principal(back.realm), service);
        let t: rasn_kerberos::KrbError = rasn::der::decode(&der).unwrap();
        assert_eq!(t.error_code, e.error_code.0);
        assert_eq!(time(&t.stime), e.stime);
        assert_eq!(t.ctime.as_ref().map(time), e.ctime);
        assert_eq!(gs(&t.realm), e.realm);
        same_name(&e.sname, &t.sname, "KRB-ERROR");
        assert_eq!(t.e_text.as_ref().map(gs), e.e_text);
        assert_eq!(t.e_data.as_deref(), e.e_data);
        assert_eq!(rasn::der::encode(&t).unwrap(), der);
    }
}

fn rasn_name(t: i32, parts: &[&str]) -> rasn_kerberos::PrincipalName {
    rasn_kerberos::PrincipalName {
        r#type: t,
        string: parts
            .iter()
            .map(|p| GeneralString::from_bytes(p.as_bytes()).unwrap())
            .collect(),
    }
}

fn rasn_time(unix: i64) -> rasn_kerberos::KerberosTime {
    let s = String::from_utf8(format_generalized_time(unix).to_vec()).unwrap();
    let dt = chrono_parse(&s);
    rasn_kerberos::KerberosTime(dt)
}

fn chrono_parse(s: &str) -> rasn::types::GeneralizedTime {
    // Decode a DER GeneralizedTime with rasn itself to avoid a chrono dependency.
    let mut der = vec![0x18, s.len() as u8];
    der.extend_from_slice(s.as_bytes());
    rasn::der::decode(&der).unwrap()
}

#[test]
fn krb_cred_decodes_like_rasn() {
    let ticket = rasn_kerberos::Ticket {
        tkt_vno: 5.into(),
        realm: GeneralString::from_bytes(b"EXAMPLE.COM").unwrap(),
        sname: rasn_name(2, &["krbtgt", "EXAMPLE.COM"]),
        enc_part: rasn_kerberos::EncryptedData {
            etype: 18,
            kvno: Some(3),
            cipher: OctetString::from(vec![1u8; 200]),
        },
    };
    let info = rasn_kerberos::KrbCredInfo {
        key: rasn_kerberos::EncryptionKey {
            r#type: 18,
            value: OctetString::from(vec![5u8; 32]),
        },
        prealm: Some(GeneralString::from_bytes(b"EXAMPLE.COM").unwrap()),
        pname: Some(rasn_name(1, &["alice"])),
        flags: None,
        auth_time: Some(rasn_time(1_700_000_000)),
        start_time: Some(rasn_time(1_700_000_001)),
        end_time: Some(rasn_time(1_700_036_000)),
        renew_till: None,
        srealm: Some(GeneralString::from_bytes(b"EXAMPLE.COM").unwrap()),
        sname: Some(rasn_name(2, &["krbtgt", "EXAMPLE.COM"])),
        caddr: Some(vec![rasn_kerberos::HostAddress {
            addr_type: 2,
            address: OctetString::from(vec![127, 0, 0, 1]),
        }]),
    };
    let part = rasn_kerberos::EncKrbCredPart {
        ticket_info: vec![info],
        nonce: Some(0xdead_beef),
        timestamp: Some(rasn_time(1_700_000_002)),
        usec: Some(5.into()),
        sender_address: None,
        recipient_address: None,
    };
    let part_der = rasn::der::encode(&part).unwrap();
    let cred = rasn_kerberos::KrbCred {
        pvno: 5.into(),
        msg_type: 22.into(),
        tickets: vec![ticket.clone(), ticket],
        enc_part: rasn_kerberos::EncryptedData {
            etype: 0,
            kvno: None,
            cipher: OctetString::from(part_der.clone()),
        },
    };
    let der = rasn::der::encode(&cred).unwrap();

    let ours = KrbCred::from_der(&der).unwrap();
    assert_eq!(ours.tickets.len(), 2);
    for (a, b) in ours.tickets.iter().zip(&cred.tickets) {
        same_ticket(&a, b, "KRB-CRED ticket");
        assert_eq!(a.raw, &rasn::der::encode(b).unwrap()[..]);
    }
    same_enc(&ours.enc_part, &cred.enc_part, "KRB-CRED");

    let p = EncKrbCredPart::from_der(ours.enc_part.cipher).unwrap();
    assert_eq!(p.nonce, Some(0xdead_beef));
    assert_eq!(p.timestamp, Some(1_700_000_002));
    assert_eq!(p.usec, Some(5));
    let i = p.ticket_info.iter().next().unwrap();
    same_key(&i.key, &part.ticket_info[0].key, "KrbCredInfo");
    assert_eq!(
        i.client_principal().unwrap().to_string(),
        "alice@EXAMPLE.COM"
    );
    assert_eq!(
        (i.authtime, i.starttime, i.endtime),
        (
            Some(1_700_000_000),
            Some(1_700_000_001),
            Some(1_700_036_000)
        )
    );
    assert_eq!(i.flags, None);
    let addr = i.caddr.unwrap().iter().next().unwrap();
    assert_eq!((addr.addr_type, addr.address), (2, &[127, 0, 0, 1][..]));
    same_name(
        &i.sname.unwrap(),
        part.ticket_info[0].sname.as_ref().unwrap(),
        "sname",
    );
}

#[test]
fn time_format_round_trips() {
    for t in [
        0,
        1,
        86_399,
        951_782_400,
        1_700_000_000,
        4_102_444_800,
        253_402_300_799,
        -86_400,
    ] {
        let s = format_generalized_time(t);
        assert_eq!(
            parse_generalized_time(&s),
            Some(t),
            "{}",
            String::from_utf8_lossy(&s)
        );
    }
    assert_eq!(&format_generalized_time(951_782_400), b"20000229000000Z");
}

#[test]
fn integers_round_trip_minimally() {
    for v in [
        0i64,
        1,
        127,
        128,
        255,
        256,
        -1,
        -128,
        -129,
        i64::from(i32::MAX),
        i64::from(i32::MIN),
        i64::from(u32::MAX),
        i64::MAX,
        i64::MIN,
    ] {
        let mut w = Writer::default();
        w.integer(v);
        let der = w.into_bytes();
        assert_eq!(Reader::new(&der, "t").read_i64("v").unwrap(), v);
        let theirs: rasn::types::Integer = rasn::der::decode(&der).unwrap();
        assert_eq!(rasn::der::encode(&theirs).unwrap(), der, "{v}: not minimal");
    }
}
