//! The authenticator checksum (RFC 4121 4.1.1): absent, Samba's keyed form, malformed
//! 0x8003, channel bindings (4.1.1.2) and delegation (4.1.1.1, KRB-CRED RFC 4120 5.8).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::mint::{accept, acceptor, ap_req, builder, refuse, scenario};
use kerbgate::consts::GssMajor;
use kerbgate::{AcceptError, Acceptor, BindingsMismatch, ChannelBindings};
use kerbgate_testkit::consts::{ap_options, gss_flags};
use kerbgate_testkit::{
    AuthChecksum, Bindings, CredBreakage, CredEncryption, GssChecksum, KrbCredBuilder, Rng,
    Scenario, Ticket,
};

const CB_DATA: &[u8] = b"tls-server-end-point:0123456789abcdef";

fn gss(c: GssChecksum) -> AuthChecksum {
    AuthChecksum::Gss(c)
}

fn with_checksum(t: &Ticket, c: AuthChecksum) -> Vec<u8> {
    ap_req(t).checksum(c).build().unwrap().gss_token()
}

#[test]
fn accepts_missing_checksum_with_flags_from_ap_options() {
    let s = scenario();
    let mutual = accept(&acceptor(&s), &with_checksum(&s.ticket, AuthChecksum::None));
    assert_eq!(mutual.context.flags().names(), ["mutual"]);
    assert!(mutual.output_token.is_some());

    let req = ap_req(&s.ticket)
        .checksum(AuthChecksum::None)
        .ap_options(0)
        .build()
        .unwrap();
    let plain = accept(&acceptor(&s), &req.gss_token());
    assert!(plain.context.flags().names().is_empty());
    assert!(plain.output_token.is_none());
}

fn keyed(data: &[u8]) -> AuthChecksum {
    AuthChecksum::Keyed {
        cksumtype: None,
        usage: None,
        with_subkey: false,
        data: data.to_vec(),
    }
}

#[test]
fn accepts_samba_keyed_checksum_over_empty_data() {
    let s = scenario();
    let done = accept(&acceptor(&s), &with_checksum(&s.ticket, keyed(b"")));
    assert_eq!(done.context.flags().names(), ["mutual"]);
}

#[test]
fn rejects_wrong_keyed_checksum() {
    let s = scenario();
    let tok = with_checksum(&s.ticket, keyed(b"not empty"));
    let r = refuse(&acceptor(&s), &tok, "KRB_AP_ERR_MODIFIED");
    assert_eq!(*r.error, AcceptError::ChecksumMismatch);
}

#[test]
fn rejects_unknown_checksum_type() {
    let s = scenario();
    let raw = AuthChecksum::Raw {
        cksumtype: 0x7777,
        bytes: vec![0; 12],
    };
    refuse(
        &acceptor(&s),
        &with_checksum(&s.ticket, raw),
        "KRB_AP_ERR_INAPP_CKSUM",
    );
}

#[test]
fn rejects_gss_checksum_with_bad_lgth() {
    let s = scenario();
    for lgth in [0, 15, 17, 0xffff_ffff] {
        let c = GssChecksum {
            bnd_length: lgth,
            ..GssChecksum::default()
        };
        let r = refuse(
            &acceptor(&s),
            &with_checksum(&s.ticket, gss(c)),
            "GSS_S_DEFECTIVE_TOKEN",
        );
        assert_eq!(r.error.gss_major(), GssMajor::DefectiveToken);
    }
}

#[test]
fn rejects_gss_checksum_shorter_than_24_bytes() {
    let s = scenario();
    let full = GssChecksum::default().to_bytes();
    for len in 0..24 {
        let raw = AuthChecksum::Raw {
            cksumtype: 0x8003,
            bytes: full[..len].to_vec(),
        };
        refuse(
            &acceptor(&s),
            &with_checksum(&s.ticket, raw),
            "GSS_S_DEFECTIVE_TOKEN",
        );
    }
}

fn cb_acceptor(s: &Scenario, strict: bool) -> Acceptor {
    builder(&s.kdc.keytab())
        .channel_bindings(ChannelBindings::from_application_data(CB_DATA))
        .strict_channel_bindings(strict)
        .build()
        .unwrap()
}

fn with_bindings(t: &Ticket, b: Bindings) -> Vec<u8> {
    let c = GssChecksum {
        bindings: b,
        ..GssChecksum::default()
    };
    with_checksum(t, gss(c))
}

#[test]
fn accepts_matching_channel_bindings() {
    let s = scenario();
    let cb = kerbgate_testkit::ChannelBindings::application(CB_DATA);
    accept(
        &cb_acceptor(&s, true),
        &with_bindings(&s.ticket, Bindings::Channel(cb)),
    );
}

#[test]
fn rejects_different_channel_bindings() {
    let s = scenario();
    let cb = kerbgate_testkit::ChannelBindings::application(b"tls-server-end-point:other");
    let r = refuse(
        &cb_acceptor(&s, false),
        &with_bindings(&s.ticket, Bindings::Channel(cb)),
        "GSS_S_BAD_BINDINGS",
    );
    assert_eq!(
        *r.error,
        AcceptError::ChannelBindings {
            reason: BindingsMismatch::Different
        }
    );
}

#[test]
fn accepts_initiator_without_bindings_by_default() {
    let s = scenario();
    accept(
        &cb_acceptor(&s, false),
        &with_bindings(&s.ticket, Bindings::None),
    );
}

#[test]
fn rejects_initiator_without_bindings_in_strict_mode() {
    let s = scenario();
    let r = refuse(
        &cb_acceptor(&s, true),
        &with_bindings(&s.ticket, Bindings::None),
        "GSS_S_BAD_BINDINGS",
    );
    assert_eq!(
        *r.error,
        AcceptError::ChannelBindings {
            reason: BindingsMismatch::MissingFromInitiator
        }
    );
}

#[test]
fn accepts_initiator_bindings_when_acceptor_has_none() {
    let s = scenario();
    let cb = kerbgate_testkit::ChannelBindings::application(CB_DATA);
    accept(
        &acceptor(&s),
        &with_bindings(&s.ticket, Bindings::Channel(cb)),
    );
}

/// The 0x8003 checksum with the deleg flag and this KRB-CRED.
fn deleg_checksum(cred: Vec<u8>) -> AuthChecksum {
    let mut c = GssChecksum::default();
    c.flags |= gss_flags::DELEG;
    c.delegation = Some((1, cred));
    gss(c)
}

fn forwarded_tgt(s: &Scenario) -> KrbCredBuilder {
    let mut kdc = s.kdc.clone();
    let tgt = kdc.tgt("alice").unwrap().build().unwrap();
    KrbCredBuilder::forwarded_tgt(tgt, s.ticket.session_key.clone()).rng(Rng::seeded(3))
}

#[test]
fn accepts_delegated_tgt_and_writes_ccache_klist_reads() {
    let s = scenario();
    let cred = forwarded_tgt(&s).build().unwrap();
    let done = accept(
        &acceptor(&s),
        &with_checksum(&s.ticket, deleg_checksum(cred.der)),
    );
    assert!(done.context.flags().names().contains(&"deleg"));
    let deleg = done.context.delegated().expect("delegated credentials");
    assert_eq!(deleg.credentials.len(), 1);
    let tgt = &deleg.credentials[0];
    assert_eq!(tgt.server.to_string(), "krbtgt/EXAMPLE.COM@EXAMPLE.COM");
    assert_eq!(tgt.client.to_string(), "alice@EXAMPLE.COM");

    let bytes = deleg.to_ccache_bytes().unwrap();
    klist_lists(&bytes, "krbtgt/EXAMPLE.COM@EXAMPLE.COM");
}

/// Runs MIT `klist -c FILE` on the ccache and checks it names `expected`.
fn klist_lists(ccache: &[u8], expected: &str) {
    let dir = std::env::temp_dir().join(format!("kerbgate-neg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ccache");
    std::fs::write(&path, ccache).unwrap();
    let run = std::process::Command::new("klist")
        .arg("-c")
        .arg(format!("FILE:{}", path.display()))
        .env("KRB5_CONFIG", "/dev/null")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match run {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "klist (MIT krb5-user) is required in CI"
            );
            eprintln!("skipped: klist not installed, ccache not checked with MIT");
            return;
        }
        Err(e) => panic!("running klist: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "klist failed: {stdout}{stderr}");
    assert!(stdout.contains("alice@EXAMPLE.COM"), "{stdout}");
    assert!(stdout.contains(expected), "{stdout}");
}

#[test]
fn accepts_plaintext_krb_cred() {
    let s = scenario();
    let cred = forwarded_tgt(&s)
        .encryption(CredEncryption::Plain)
        .build()
        .unwrap();
    let done = accept(
        &acceptor(&s),
        &with_checksum(&s.ticket, deleg_checksum(cred.der)),
    );
    let deleg = done.context.delegated().expect("delegated credentials");
    assert_eq!(
        deleg.credentials[0].server.to_string(),
        "krbtgt/EXAMPLE.COM@EXAMPLE.COM"
    );
}

fn refuse_delegation(s: &Scenario, cred: Vec<u8>) -> String {
    let tok = with_checksum(&s.ticket, deleg_checksum(cred));
    let r = refuse(&acceptor(s), &tok, "GSS_S_DEFECTIVE_CREDENTIAL");
    assert_eq!(r.error.gss_major(), GssMajor::DefectiveCredential);
    r.error.to_string()
}

#[test]
fn rejects_empty_krb_cred() {
    let s = scenario();
    let msg = refuse_delegation(&s, Vec::new());
    assert!(msg.contains("empty"), "{msg}");
}

#[test]
fn rejects_krb_cred_without_tickets() {
    let s = scenario();
    let cred = forwarded_tgt(&s)
        .broken(CredBreakage::NoTickets)
        .build()
        .unwrap();
    let msg = refuse_delegation(&s, cred.der);
    assert!(msg.contains("no tickets"), "{msg}");
}

#[test]
fn rejects_krb_cred_without_ticket_info() {
    let s = scenario();
    let cred = forwarded_tgt(&s)
        .broken(CredBreakage::NoTicketInfo)
        .build()
        .unwrap();
    let msg = refuse_delegation(&s, cred.der);
    assert!(msg.contains("ticket-info"), "{msg}");
}

#[test]
fn rejects_krb_cred_under_other_key() {
    let s = scenario();
    let other = kerbgate_crypto::Key::random_to_key(
        kerbgate_crypto::Enctype::Aes256CtsHmacSha196,
        &[7; 32],
    )
    .unwrap();
    let cred = forwarded_tgt(&s)
        .encryption(CredEncryption::Key(other))
        .build()
        .unwrap();
    let msg = refuse_delegation(&s, cred.der);
    assert!(msg.contains("does not decrypt"), "{msg}");
}

#[test]
fn rejects_krb_cred_truncated_at_every_length() {
    let s = scenario();
    let full = forwarded_tgt(&s).build().unwrap().der;
    for n in 0..full.len() {
        let cred = forwarded_tgt(&s)
            .broken(CredBreakage::Truncated(n))
            .build()
            .unwrap();
        assert_eq!(cred.der.len(), n);
        let tok = with_checksum(&s.ticket, deleg_checksum(cred.der));
        let r = acceptor(&s).accept(&tok).expect_err(&format!("length {n}"));
        assert_eq!(
            r.error.code_name(),
            "GSS_S_DEFECTIVE_CREDENTIAL",
            "length {n}: {}",
            r.error
        );
    }
}

#[test]
fn mutual_required_option_sets_mutual_without_gss_flag() {
    let s = scenario();
    let c = GssChecksum::with_flags(gss_flags::INTEG);
    let req = ap_req(&s.ticket)
        .checksum(gss(c))
        .ap_options(ap_options::MUTUAL_REQUIRED)
        .build()
        .unwrap();
    let done = accept(&acceptor(&s), &req.gss_token());
    assert!(done.context.flags().names().contains(&"mutual"));
    assert!(done.output_token.is_some());
}
