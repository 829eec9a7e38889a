//! Everything the testkit mints decrypts with the right key and usage and
//! reads back through the testkit's own DER reader.
// Test helpers outside #[test] functions: a failure should panic with context.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common as vectors;

use kerbgate_crypto::{ChecksumType, Enctype, Key};
use kerbgate_keytab::{Keytab, Principal};
use kerbgate_testkit::consts::{self, ad_type, gss_flags, ticket_flags};
use kerbgate_testkit::der::{self, Reader};
use kerbgate_testkit::*;

fn app_seq<'a>(input: &'a [u8], app: u8) -> Reader<'a> {
    let outer = Reader::new(input).expect(0x60 | app, "app").unwrap();
    let seq = Reader::inside(&outer)
        .expect(der::TAG_SEQUENCE, "seq")
        .unwrap();
    Reader::inside(&seq)
}

/// Decodes an AP-REQ with the testkit reader:
/// (ap-options, ticket DER, authenticator etype, kvno, cipher).
fn split_ap_req(ap_req: &[u8]) -> (u32, Vec<u8>, i32, Option<u32>, Vec<u8>) {
    let mut f = app_seq(ap_req, 14);
    assert_eq!(f.field(0, "pvno").unwrap().integer().unwrap(), 5);
    assert_eq!(f.field(1, "msg-type").unwrap().integer().unwrap(), 14);
    let options = f.field(2, "ap-options").unwrap().kerberos_flags().unwrap();
    let ticket = f.field(3, "ticket").unwrap().remaining().to_vec();
    let enc = read_encrypted_data(&mut f.field(4, "authenticator").unwrap()).unwrap();
    f.finish("trailing").unwrap();
    (options, ticket, enc.etype, enc.kvno, enc.cipher.to_vec())
}

struct Authenticator {
    crealm: String,
    cname: (i32, Vec<String>),
    cksum: Option<(i32, Vec<u8>)>,
    cusec: u32,
    ctime: KerberosTime,
    subkey: Option<Key>,
    seq: Option<u32>,
    seq_der: Option<Vec<u8>>,
    ad: Option<Vec<u8>>,
}

fn read_authenticator(plain: &[u8]) -> Authenticator {
    let mut f = app_seq(plain, 2);
    assert_eq!(f.field(0, "vno").unwrap().integer().unwrap(), 5);
    let crealm = f.field(1, "crealm").unwrap().general_string().unwrap();
    let cname = read_principal_name(&mut f.field(2, "cname").unwrap()).unwrap();
    let cksum = f.optional_field(3, "cksum").unwrap().map(|mut r| {
        let seq = r.expect(der::TAG_SEQUENCE, "Checksum").unwrap();
        let mut c = Reader::inside(&seq);
        let t = c.field(0, "type").unwrap().int32().unwrap();
        let b = c
            .field(1, "bytes")
            .unwrap()
            .octet_string()
            .unwrap()
            .to_vec();
        (t, b)
    });
    let cusec = f.field(4, "cusec").unwrap().uint32_lenient().unwrap();
    let ctime = f.field(5, "ctime").unwrap().kerberos_time().unwrap();
    let subkey = f
        .optional_field(6, "subkey")
        .unwrap()
        .map(|mut r| read_encryption_key(&mut r).unwrap());
    let (seq, seq_der) = match f.optional_field(7, "seq").unwrap() {
        Some(r) => {
            let raw = r.remaining().to_vec();
            (Some(r.clone().uint32_lenient().unwrap()), Some(raw))
        }
        None => (None, None),
    };
    let ad = f
        .optional_field(8, "ad")
        .unwrap()
        .map(|r| r.remaining().to_vec());
    f.finish("trailing").unwrap();
    Authenticator {
        crealm,
        cname,
        cksum,
        cusec,
        ctime,
        subkey,
        seq,
        seq_der,
        ad,
    }
}

fn decrypt_ticket(ticket_der: &[u8], key: &Key) -> (Option<u32>, i32, Vec<u8>) {
    let outer = read_ticket(&mut Reader::new(ticket_der)).unwrap();
    let plain = key
        .decrypt(consts::KU_TICKET, outer.enc_part.cipher)
        .unwrap();
    (outer.enc_part.kvno, outer.enc_part.etype, plain)
}

#[test]
fn ticket_decrypts_with_service_key_at_usage_2_and_reads_back() {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    let key = kdc
        .add_service(
            "HTTP/www.example.com",
            ServiceKeyOpts::random(Enctype::Aes128CtsHmacSha256128, 7),
        )
        .unwrap();
    let t = kdc
        .ticket("bob", "HTTP/www.example.com")
        .unwrap()
        .session_enctype(Enctype::Aes256CtsHmacSha384192)
        .flags(ticket_flags::FORWARDABLE | ticket_flags::INVALID)
        .starttime(Some(FIXED_TIME.plus(5)))
        .renew_till(Some(FIXED_TIME.plus(86_400)))
        .caddr(Some(vec![HostAddress::ipv4([192, 0, 2, 1])]))
        .transited(1, b"EXAMPLE.ORG,")
        .authorization_data(Some(vec![AuthData::if_relevant(&[AuthData::raw(
            ad_type::WIN2K_PAC,
            b"pac",
        )])]))
        .build()
        .unwrap();
    assert_eq!(t.session_key.enctype(), Enctype::Aes256CtsHmacSha384192);

    let outer = read_ticket(&mut Reader::new(&t.der)).unwrap();
    assert_eq!(outer.realm, "EXAMPLE.COM");
    assert_eq!(
        outer.sname,
        (1, vec!["HTTP".to_owned(), "www.example.com".to_owned()])
    );
    assert_eq!(outer.enc_part.kvno, Some(7));
    assert_eq!(outer.enc_part.etype, 19);
    assert!(
        key.decrypt(consts::KU_AP_REQ_AUTH, outer.enc_part.cipher)
            .is_err(),
        "wrong usage must fail"
    );
    let plain = key
        .decrypt(consts::KU_TICKET, outer.enc_part.cipher)
        .unwrap();
    assert_eq!(plain, t.enc_ticket_part);

    let mut f = app_seq(&plain, 3);
    assert_eq!(
        f.field(0, "flags").unwrap().kerberos_flags().unwrap(),
        ticket_flags::FORWARDABLE | ticket_flags::INVALID
    );
    let sk = read_encryption_key(&mut f.field(1, "key").unwrap()).unwrap();
    assert_eq!(
        sk.expose_secret_bytes(),
        t.session_key.expose_secret_bytes()
    );
    assert_eq!(
        f.field(2, "crealm").unwrap().general_string().unwrap(),
        "EXAMPLE.COM"
    );
    assert_eq!(
        read_principal_name(&mut f.field(3, "cname").unwrap()).unwrap(),
        (1, vec!["bob".to_owned()])
    );
    let mut tr = f.field(4, "transited").unwrap();
    let tr_seq = tr.expect(der::TAG_SEQUENCE, "tr").unwrap();
    let mut trf = Reader::inside(&tr_seq);
    assert_eq!(trf.field(0, "t").unwrap().integer().unwrap(), 1);
    assert_eq!(
        trf.field(1, "c").unwrap().octet_string().unwrap(),
        b"EXAMPLE.ORG,"
    );
    assert_eq!(
        f.field(5, "authtime").unwrap().kerberos_time().unwrap(),
        FIXED_TIME
    );
    assert_eq!(
        f.field(6, "starttime").unwrap().kerberos_time().unwrap(),
        FIXED_TIME.plus(5)
    );
    assert_eq!(
        f.field(7, "endtime").unwrap().kerberos_time().unwrap(),
        FIXED_TIME.plus(DEFAULT_LIFETIME)
    );
    assert_eq!(
        f.field(8, "renew").unwrap().kerberos_time().unwrap(),
        FIXED_TIME.plus(86_400)
    );
    assert_eq!(
        f.field(9, "caddr").unwrap().remaining(),
        host_addresses(&[HostAddress::ipv4([192, 0, 2, 1])])
    );
    let ad = f.field(10, "ad").unwrap().remaining().to_vec();
    f.finish("trailing").unwrap();
    // AD-IF-RELEVANT holding the PAC element.
    let mut list = Reader::new(&ad);
    let l = list.expect(der::TAG_SEQUENCE, "ad").unwrap();
    let mut items = Reader::inside(&l);
    let e = items.expect(der::TAG_SEQUENCE, "el").unwrap();
    let mut el = Reader::inside(&e);
    assert_eq!(
        el.field(0, "t").unwrap().int32().unwrap(),
        ad_type::IF_RELEVANT
    );
    let inner = el.field(1, "d").unwrap().octet_string().unwrap().to_vec();
    assert_eq!(inner, authorization_data(&[AuthData::raw(128, b"pac")]));
}

#[test]
fn ticket_kvno_and_etype_fields_can_be_absent_or_wrong() {
    let s = Scenario::default();
    let base = s
        .kdc
        .clone()
        .ticket(SCENARIO_CLIENT, SCENARIO_SERVICE)
        .unwrap();
    let absent = base.clone().kvno_field(KvnoField::Absent).build().unwrap();
    assert_eq!(
        read_ticket(&mut Reader::new(&absent.der))
            .unwrap()
            .enc_part
            .kvno,
        None
    );
    let wrong = base
        .clone()
        .kvno_field(KvnoField::Value(99))
        .etype_field(17)
        .build()
        .unwrap();
    let outer = read_ticket(&mut Reader::new(&wrong.der)).unwrap();
    assert_eq!((outer.enc_part.kvno, outer.enc_part.etype), (Some(99), 17));
    // Still encrypted with the real aes256 service key.
    s.service_key
        .decrypt(consts::KU_TICKET, outer.enc_part.cipher)
        .unwrap();
}

#[test]
fn kdc_keeps_several_kvnos_and_exports_a_keytab() {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    let svc = "host/h.example.com";
    let k1 = kdc
        .add_service(
            svc,
            ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha196, 1, "old"),
        )
        .unwrap();
    let k2 = kdc
        .add_service(
            svc,
            ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha196, 2, "new"),
        )
        .unwrap();
    let k2b = kdc
        .add_service(svc, ServiceKeyOpts::random(Enctype::Aes128CtsHmacSha196, 2))
        .unwrap();
    let p = kdc.principal(svc).unwrap();
    assert_eq!(kdc.service_key(&p, None, None).unwrap().0, 2);
    assert_eq!(
        kdc.service_key(&p, None, None)
            .unwrap()
            .1
            .expose_secret_bytes(),
        k2.expose_secret_bytes()
    );
    assert_eq!(
        kdc.service_key(&p, Some(1), None)
            .unwrap()
            .1
            .expose_secret_bytes(),
        k1.expose_secret_bytes()
    );
    let (_, k) = kdc
        .service_key(&p, None, Some(Enctype::Aes128CtsHmacSha196))
        .unwrap();
    assert_eq!(k.expose_secret_bytes(), k2b.expose_secret_bytes());

    // Password keys equal kerbgate-keytab's (MIT-compatible) derivation.
    let same = kerbgate_keytab::key_from_password(&p, b"new", 18, None, None).unwrap();
    assert_eq!(same.expose_secret_bytes(), k2.expose_secret_bytes());

    let kt = Keytab::from_bytes(&kdc.keytab_bytes().unwrap()).unwrap();
    assert_eq!(kt.len(), 3);
    let found: Vec<_> = kt.find(&p, Some(2), Some(17), false).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].key().unwrap().expose_secret_bytes(),
        k2b.expose_secret_bytes()
    );

    // A ticket minted with kvno 1 decrypts with the kvno 1 keytab key.
    let t = kdc
        .ticket_with("alice", svc, Some(1), None)
        .unwrap()
        .build()
        .unwrap();
    let (kvno, etype, _) = decrypt_ticket(
        &t.der,
        &kt.find(&p, Some(1), Some(18), false)
            .next()
            .unwrap()
            .key()
            .unwrap(),
    );
    assert_eq!((kvno, etype), (Some(1), 18));
    assert!(matches!(
        kdc.ticket("alice", "nobody/x").unwrap_err(),
        Error::NoServiceKey { .. }
    ));
}

#[test]
fn ap_req_authenticator_decrypts_with_session_key_at_usage_11() {
    let s = Scenario::default();
    let cb = ChannelBindings::application(b"tls-server-end-point:abc");
    let mut g =
        GssChecksum::with_flags(gss_flags::MUTUAL | gss_flags::INTEG | gss_flags::DCE_STYLE);
    g.bindings = Bindings::Channel(cb.clone());
    let a = s
        .ap_req_builder()
        .time(FIXED_TIME.plus(30), 123_456)
        .subkey_enctype(Enctype::Aes128CtsHmacSha196)
        .seq_number(Some(0xdead_beef))
        .ap_options(consts::ap_options::MUTUAL_REQUIRED | consts::ap_options::USE_SESSION_KEY)
        .authorization_data(Some(vec![AuthData::enctype_negotiation(&[18, 17])]))
        .checksum(AuthChecksum::Gss(g.clone()))
        .build()
        .unwrap();

    let (options, ticket, etype, kvno, cipher) = split_ap_req(&a.der);
    assert_eq!(
        options,
        consts::ap_options::MUTUAL_REQUIRED | consts::ap_options::USE_SESSION_KEY
    );
    assert_eq!(ticket, s.ticket.der);
    assert_eq!((etype, kvno), (18, None));
    let plain = s
        .ticket
        .session_key
        .decrypt(consts::KU_AP_REQ_AUTH, &cipher)
        .unwrap();
    assert_eq!(plain, a.authenticator);

    let auth = read_authenticator(&plain);
    assert_eq!(auth.crealm, "EXAMPLE.COM");
    assert_eq!(auth.cname, (1, vec!["alice".to_owned()]));
    assert_eq!((auth.ctime, auth.cusec), (FIXED_TIME.plus(30), 123_456));
    let sub = auth.subkey.unwrap();
    assert_eq!(sub.enctype(), Enctype::Aes128CtsHmacSha196);
    assert_eq!(
        sub.expose_secret_bytes(),
        a.subkey.as_ref().unwrap().expose_secret_bytes()
    );
    assert_eq!(auth.seq, Some(0xdead_beef));
    assert_eq!(
        auth.seq_der.unwrap(),
        [2, 4, 0xde, 0xad, 0xbe, 0xef],
        "MIT negative form by default"
    );

    let (ctype, bytes) = auth.cksum.unwrap();
    assert_eq!(ctype, 0x8003);
    assert_eq!(bytes.len(), 24);
    assert_eq!(&bytes[..4], &16u32.to_le_bytes());
    assert_eq!(&bytes[4..20], &cb.md5());
    assert_eq!(&bytes[20..24], &0x1022u32.to_le_bytes());

    // KERB-AD-ENCTYPE-NEGOTIATION inside AD-IF-RELEVANT (RFC 4537).
    let expected_ad = authorization_data(&[AuthData::if_relevant(&[AuthData::raw(
        ad_type::ENCTYPE_NEGOTIATION,
        &der::sequence_of([der::integer(18), der::integer(17)]),
    )])]);
    assert_eq!(auth.ad.unwrap(), expected_ad);
}

#[test]
fn ap_req_sequence_number_encodings() {
    let s = Scenario::default();
    for (seq, enc, expected) in [
        (
            0x8000_0000u32,
            SeqEncoding::Der,
            vec![2, 5, 0, 0x80, 0, 0, 0],
        ),
        (
            0x8000_0000,
            SeqEncoding::MitNegative,
            vec![2, 4, 0x80, 0, 0, 0],
        ),
        (5, SeqEncoding::MitNegative, vec![2, 1, 5]),
        (u32::MAX, SeqEncoding::MitNegative, vec![2, 1, 0xff]),
    ] {
        let a = s
            .ap_req_builder()
            .seq_number(Some(seq))
            .seq_encoding(enc)
            .build()
            .unwrap();
        let auth = read_authenticator(&a.authenticator);
        assert_eq!(auth.seq_der.unwrap(), expected, "{seq:#x} {enc:?}");
        assert_eq!(auth.seq, Some(seq));
    }
}

#[test]
fn ap_req_checksum_variants() {
    let s = Scenario::default();
    let none = s
        .ap_req(ApReqOpts::default().checksum(AuthChecksum::None))
        .unwrap();
    assert!(read_authenticator(&none.authenticator).cksum.is_none());

    let keyed = AuthChecksum::Keyed {
        cksumtype: None,
        usage: None,
        with_subkey: false,
        data: b"app data".to_vec(),
    };
    let a = s.ap_req(ApReqOpts::default().checksum(keyed)).unwrap();
    let (ctype, bytes) = read_authenticator(&a.authenticator).cksum.unwrap();
    assert_eq!(ctype, 16);
    s.ticket
        .session_key
        .verify_checksum(
            ChecksumType::HmacSha196Aes256,
            consts::KU_AP_REQ_AUTH_CKSUM,
            b"app data",
            &bytes,
        )
        .unwrap();

    let keyed_sub = AuthChecksum::Keyed {
        cksumtype: None,
        usage: Some(99),
        with_subkey: true,
        data: b"x".to_vec(),
    };
    let a = s
        .ap_req(
            ApReqOpts::default()
                .subkey(Enctype::Aes128CtsHmacSha196)
                .checksum(keyed_sub.clone()),
        )
        .unwrap();
    let (ctype, bytes) = read_authenticator(&a.authenticator).cksum.unwrap();
    assert_eq!(ctype, 15);
    a.subkey
        .unwrap()
        .verify_checksum(ChecksumType::HmacSha196Aes128, 99, b"x", &bytes)
        .unwrap();
    assert!(matches!(
        s.ap_req(ApReqOpts::default().checksum(keyed_sub)),
        Err(Error::Missing { .. })
    ));

    let raw = AuthChecksum::Raw {
        cksumtype: 7,
        bytes: vec![1, 2, 3],
    };
    let a = s.ap_req(ApReqOpts::default().checksum(raw)).unwrap();
    assert_eq!(
        read_authenticator(&a.authenticator).cksum.unwrap(),
        (7, vec![1, 2, 3])
    );

    let g = GssChecksum {
        bindings: Bindings::Hash([0; 16]),
        bnd_length: 15,
        extensions: vec![0, 0, 0, 1, 0, 0, 0, 0],
        ..GssChecksum::default()
    };
    let a = s
        .ap_req(ApReqOpts::default().checksum(AuthChecksum::Gss(g.clone())))
        .unwrap();
    assert_eq!(
        read_authenticator(&a.authenticator).cksum.unwrap(),
        (0x8003, g.to_bytes())
    );
}

#[test]
fn delegation_carries_a_krb_cred_encrypted_at_usage_14() {
    let mut s = Scenario::default();
    let tgt = s.kdc.tgt(SCENARIO_CLIENT).unwrap().build().unwrap();
    assert_eq!(tgt.service.to_string(), "krbtgt/EXAMPLE.COM@EXAMPLE.COM");
    let cred = KrbCredBuilder::forwarded_tgt(tgt.clone(), s.ticket.session_key.clone())
        .nonce(Some(42))
        .build()
        .unwrap();

    let mut g = GssChecksum::with_flags(gss_flags::DELEG | gss_flags::MUTUAL);
    g.delegation = Some((1, cred.der.clone()));
    let a = s
        .ap_req(ApReqOpts::default().checksum(AuthChecksum::Gss(g)))
        .unwrap();
    let (_, bytes) = read_authenticator(&a.authenticator).cksum.unwrap();
    assert_eq!(&bytes[20..24], &3u32.to_le_bytes());
    assert_eq!(&bytes[24..26], &1u16.to_le_bytes());
    let dlgth = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
    assert_eq!(&bytes[28..28 + dlgth], cred.der.as_slice());

    // KRB-CRED: pvno 5, msg-type 22, the TGT, enc-part under the session key.
    let mut f = app_seq(&cred.der, 22);
    assert_eq!(f.field(0, "pvno").unwrap().integer().unwrap(), 5);
    assert_eq!(f.field(1, "msg-type").unwrap().integer().unwrap(), 22);
    let mut tickets = f.field(2, "tickets").unwrap();
    let list = tickets.expect(der::TAG_SEQUENCE, "tickets").unwrap();
    assert_eq!(list.content, tgt.der.as_slice());
    let enc = read_encrypted_data(&mut f.field(3, "enc-part").unwrap()).unwrap();
    assert_eq!(enc.etype, 18);
    let plain = s
        .ticket
        .session_key
        .decrypt(consts::KU_KRB_CRED_ENCPART, enc.cipher)
        .unwrap();
    assert_eq!(plain, cred.enc_part_plain);
    let mut ep = app_seq(&plain, 29);
    let mut infos = ep.field(0, "ticket-info").unwrap();
    let infos_seq = infos.expect(der::TAG_SEQUENCE, "infos").unwrap();
    let mut info_r = Reader::inside(&infos_seq);
    let info = info_r.expect(der::TAG_SEQUENCE, "info").unwrap();
    assert!(info_r.is_empty());
    let mut i = Reader::inside(&info);
    let k = read_encryption_key(&mut i.field(0, "key").unwrap()).unwrap();
    assert_eq!(
        k.expose_secret_bytes(),
        tgt.session_key.expose_secret_bytes()
    );
    assert_eq!(
        i.field(1, "prealm").unwrap().general_string().unwrap(),
        "EXAMPLE.COM"
    );
    assert_eq!(
        read_principal_name(&mut i.field(2, "pname").unwrap())
            .unwrap()
            .1,
        vec!["alice".to_owned()]
    );
    let flags = i.field(3, "flags").unwrap().kerberos_flags().unwrap();
    assert_ne!(flags & ticket_flags::FORWARDED, 0);
    assert_eq!(ep.field(1, "nonce").unwrap().integer().unwrap(), 42);
}

#[test]
fn krb_cred_plaintext_and_broken_variants() {
    let mut s = Scenario::default();
    let tgt = s.kdc.tgt(SCENARIO_CLIENT).unwrap().build().unwrap();
    let b = KrbCredBuilder::forwarded_tgt(tgt, s.ticket.session_key.clone());

    let plain = b.clone().encryption(CredEncryption::Plain).build().unwrap();
    let mut f = app_seq(&plain.der, 22);
    f.field(0, "pvno").unwrap();
    f.field(1, "msg-type").unwrap();
    f.field(2, "tickets").unwrap();
    let enc = read_encrypted_data(&mut f.field(3, "enc-part").unwrap()).unwrap();
    assert_eq!(enc.etype, 0);
    assert_eq!(enc.cipher, plain.enc_part_plain.as_slice());

    let none = b.clone().broken(CredBreakage::NoTickets).build().unwrap();
    let mut f = app_seq(&none.der, 22);
    f.field(0, "pvno").unwrap();
    f.field(1, "msg-type").unwrap();
    let mut t = f.field(2, "tickets").unwrap();
    assert!(t
        .expect(der::TAG_SEQUENCE, "tickets")
        .unwrap()
        .content
        .is_empty());

    let whole = b.clone().build().unwrap();
    let cut = b.broken(CredBreakage::Truncated(40)).build().unwrap();
    assert_eq!(cut.der.len(), 40);
    assert_eq!(cut.der.as_slice(), &whole.der[..40]);
    assert!(Reader::new(&cut.der).read().is_err());
}

#[test]
fn gss_initial_token_framing() {
    let s = Scenario::default();
    let a = s.ap_req(ApReqOpts::default()).unwrap();
    let tok = a.gss_token();
    let mut r = Reader::new(&tok);
    let outer = r.expect(0x60, "token").unwrap();
    r.finish("trailing").unwrap();
    let mut inner = Reader::inside(&outer);
    let oid = inner.expect(der::TAG_OID, "oid").unwrap();
    assert_eq!(oid.content, consts::KRB5_OID);
    let rest = inner.remaining();
    assert_eq!(&rest[..2], &[1, 0]);
    assert_eq!(&rest[2..], a.der.as_slice());
    // Long-form length (the token is over 127 octets), then the OID.
    assert_eq!(tok[1], 0x82);
    assert_eq!(
        usize::from(u16::from_be_bytes([tok[2], tok[3]])),
        tok.len() - 4
    );
    assert_eq!(
        &tok[4..15],
        &[6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 1, 2, 2]
    );
    let ms = gss_initial_token(consts::MS_KRB5_OID, &a.der);
    assert_eq!(&ms[6..15], &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 1, 2, 2]);
    let short = gss_initial_token(consts::KRB5_OID, &[0x6e, 0]);
    assert_eq!(
        short,
        [0x60, 15, 6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 1, 2, 2, 1, 0, 0x6e, 0]
    );
}

#[test]
fn channel_binding_hashes_match_vectors() {
    for case in vectors::load("channel-bindings.txt") {
        let word = |n: &str| u32::from_be_bytes(case.get(n).try_into().unwrap());
        let cb = ChannelBindings {
            initiator_addrtype: word("initiator_addrtype"),
            initiator_address: case.get("initiator_address").to_vec(),
            acceptor_addrtype: word("acceptor_addrtype"),
            acceptor_address: case.get("acceptor_address").to_vec(),
            application_data: case.get("application_data").to_vec(),
        };
        assert_eq!(cb.md5().as_slice(), case.get("md5"), "{}", case.at());
    }
}

#[test]
fn ap_rep_is_verified_as_an_initiator_would() {
    let s = Scenario::default();
    let a = s
        .ap_req(
            ApReqOpts::default()
                .subkey(Enctype::Aes256CtsHmacSha196)
                .time(s.now, 777),
        )
        .unwrap();
    let mut rng = Rng::seeded(9);
    let acceptor_subkey = fresh_key(Enctype::Aes256CtsHmacSha196, &mut rng).unwrap();

    // Plain AP-REP, raw and framed: the context key is the initiator subkey.
    let rep = ApRepBuilder::for_request(&a);
    for token in [
        rep.build(&a.session_key, &mut rng).unwrap(),
        rep.build_token(&a.session_key, &mut rng).unwrap(),
    ] {
        let info = verify_ap_rep_for(&token, &a).unwrap();
        assert!(info.subkey.is_none() && info.seq_number.is_none());
        assert_eq!(
            info.context_key(&a).expose_secret_bytes(),
            a.subkey.as_ref().unwrap().expose_secret_bytes()
        );
    }

    // With an acceptor subkey and a high sequence number.
    let mut rep2 = ApRepBuilder::for_request(&a);
    rep2.subkey = Some(acceptor_subkey.clone());
    rep2.seq_number = Some(0xffff_fff0);
    let info = verify_ap_rep(
        &rep2.build_token(&a.session_key, &mut rng).unwrap(),
        &a.session_key,
        s.now,
        777,
    )
    .unwrap();
    assert_eq!(info.seq_number, Some(0xffff_fff0));
    assert!(info.acceptor_subkey());
    assert_eq!(
        info.context_key(&a).expose_secret_bytes(),
        acceptor_subkey.expose_secret_bytes()
    );

    // Wrong times, wrong key, wrong token id.
    let mut stale = ApRepBuilder::for_request(&a);
    stale.cusec = 778;
    let err = verify_ap_rep_for(&stale.build(&a.session_key, &mut rng).unwrap(), &a).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TimeMismatch {
                found_cusec: 778,
                ..
            }
        ),
        "{err}"
    );
    let other = fresh_key(Enctype::Aes256CtsHmacSha196, &mut rng).unwrap();
    let err = verify_ap_rep_for(&rep.build(&other, &mut rng).unwrap(), &a).unwrap_err();
    assert!(matches!(err, Error::Crypto(_)), "{err}");
    let raw = rep.build(&a.session_key, &mut rng).unwrap();
    let err = verify_ap_rep_for(&gss_framed(consts::KRB5_OID, [1, 0], &raw), &a).unwrap_err();
    assert!(
        matches!(err, Error::BadTokenId { found: [1, 0], .. }),
        "{err}"
    );
    let err = verify_ap_rep_for(&gss_framed(&[0x2b, 6, 1], [2, 0], &raw), &a).unwrap_err();
    assert!(matches!(err, Error::UnknownMechanism), "{err}");

    // Truncation anywhere is an error, never a panic.
    let tok = rep.build_token(&a.session_key, &mut rng).unwrap();
    for n in 0..tok.len() {
        assert!(verify_ap_rep_for(&tok[..n], &a).is_err(), "prefix {n}");
    }
}

#[test]
fn context_key_prefers_acceptor_then_initiator_subkey() {
    let mut rng = Rng::seeded(3);
    let [a, i, s] = [0, 1, 2].map(|_| fresh_key(Enctype::Aes128CtsHmacSha196, &mut rng).unwrap());
    assert_eq!(
        context_key(Some(&a), Some(&i), &s).expose_secret_bytes(),
        a.expose_secret_bytes()
    );
    assert_eq!(
        context_key(None, Some(&i), &s).expose_secret_bytes(),
        i.expose_secret_bytes()
    );
    assert_eq!(
        context_key(None, None, &s).expose_secret_bytes(),
        s.expose_secret_bytes()
    );
}

#[test]
fn krb_error_is_reported_with_code_and_text() {
    let s = Scenario::default();
    let a = s.ap_req(ApReqOpts::default()).unwrap();
    let e = krb_error(37, s.now, Some("clock skew too great"));
    assert_eq!(
        parse_krb_error(&e).unwrap(),
        (37, Some("clock skew too great".to_owned()))
    );
    let framed = gss_framed(consts::KRB5_OID, [3, 0], &e);
    assert_eq!(parse_krb_error(&framed).unwrap().0, 37);
    for tok in [e.clone(), framed] {
        let err = verify_ap_rep_for(&tok, &a).unwrap_err();
        assert!(matches!(err, Error::KrbError { code: 37, .. }), "{err}");
    }
    assert_eq!(
        parse_krb_error(&krb_error(41, s.now, None)).unwrap(),
        (41, None)
    );
    assert!(matches!(
        parse_krb_error(&gss_framed(consts::KRB5_OID, [2, 0], &e)),
        Err(Error::BadTokenId { .. })
    ));
}

#[test]
fn seeded_output_is_reproducible_and_varies_by_seed() {
    let a = Scenario::default();
    let b = Scenario::default();
    assert_eq!(a.ticket.der, b.ticket.der);
    assert_eq!(a.keytab_bytes().unwrap(), b.keytab_bytes().unwrap());
    let o = ApReqOpts::default()
        .subkey(Enctype::Aes256CtsHmacSha196)
        .seq_number(9);
    assert_eq!(
        a.ap_req(o.clone()).unwrap().der,
        b.ap_req(o.clone()).unwrap().der
    );
    assert_ne!(
        a.ap_req(o.clone()).unwrap().der,
        a.ap_req(o.seed(2)).unwrap().der
    );

    let mut m1 = ApReqMinter::new(a.ticket.clone(), 5).with_subkeys(Enctype::Aes128CtsHmacSha196);
    let mut m2 = ApReqMinter::new(a.ticket.clone(), 5).with_subkeys(Enctype::Aes128CtsHmacSha196);
    let mut seen = std::collections::HashSet::new();
    for i in 0..200u32 {
        let x = m1.mint(a.now, i, Some(i)).unwrap();
        assert_eq!(x.der, m2.mint(a.now, i, Some(i)).unwrap().der);
        assert!(seen.insert(x.der.clone()));
        let plain = a
            .ticket
            .session_key
            .decrypt(consts::KU_AP_REQ_AUTH, &split_ap_req(&x.der).4)
            .unwrap();
        assert_eq!(plain, x.authenticator);
        assert_eq!(read_authenticator(&plain).cusec, i);
    }
}

#[test]
fn minter_fast_path_equals_builder_output() {
    let s = Scenario::default();
    let mut plain = ApReqMinter::new(s.ticket.clone(), 5);
    let mut with_sub =
        ApReqMinter::new(s.ticket.clone(), 6).with_subkeys(Enctype::Aes256CtsHmacSha384192);
    for i in [0u32, 1, 0x8000_0000] {
        let fast = plain.mint(s.now, i, Some(i)).unwrap();
        let slow = ApReqBuilder::new(&s.ticket)
            .time(s.now, i)
            .seq_number(Some(i))
            .rng(Rng::seeded(5))
            .build()
            .unwrap();
        if i == 0 {
            assert_eq!(fast.der, slow.der);
        }
        assert_eq!(fast.authenticator, slow.authenticator);
    }
    let fast = with_sub.mint(s.now, 3, None).unwrap();
    let slow = ApReqBuilder::new(&s.ticket)
        .time(s.now, 3)
        .subkey_enctype(Enctype::Aes256CtsHmacSha384192)
        .rng(Rng::seeded(6))
        .build()
        .unwrap();
    assert_eq!(fast.der, slow.der);
}

#[test]
fn scenario_matches_its_documented_values() {
    let s = Scenario::default();
    assert_eq!(s.service.to_string(), "imap/mail.example.com@EXAMPLE.COM");
    assert_eq!(s.client.to_string(), "alice@EXAMPLE.COM");
    assert_eq!(s.service_key.enctype(), Enctype::Aes256CtsHmacSha196);
    let kt = Keytab::from_bytes(&s.keytab_bytes().unwrap()).unwrap();
    let p = Principal::parse(SCENARIO_SERVICE).unwrap();
    let e = kt.find(&p, None, None, false).next().unwrap();
    assert_eq!((e.kvno(), e.enctype()), (2, 18));
    assert_eq!(
        e.key().unwrap().expose_secret_bytes(),
        s.service_key.expose_secret_bytes()
    );
    let (kvno, _, plain) = decrypt_ticket(&s.ticket.der, &e.key().unwrap());
    assert_eq!(kvno, Some(2));
    assert_eq!(plain, s.ticket.enc_ticket_part);
}

#[test]
fn debug_output_shows_no_secrets() {
    let s = Scenario::default();
    let a = s
        .ap_req(ApReqOpts::default().subkey(Enctype::Aes256CtsHmacSha196))
        .unwrap();
    let shown = format!("{:?} {:?} {:?}", s.ticket, a, s);
    for secret in [
        s.ticket.session_key.expose_secret_bytes(),
        a.subkey.as_ref().unwrap().expose_secret_bytes(),
    ] {
        assert!(!shown.contains(&format!("{:?}", secret)), "{shown}");
        assert!(!shown.to_lowercase().contains(&hex::encode(secret)));
    }
}
