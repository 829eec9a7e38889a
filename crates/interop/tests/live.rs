//! Proves the harness against MIT itself: for every enctype, the MIT
//! initiator's AP-REQ is accepted by the MIT acceptor and mutual
//! authentication completes. Each test runs its own realm on its own port.

#![allow(
    clippy::unwrap_used,
    reason = "integration tests may unwrap; helpers are not #[test] fns"
)]

mod common;

use common::{realm_with_service, CLIENT, SERVICE, TARGET};
use kerbgate_interop::{
    enctypes, live, ChannelBindings, GssFlag, InitRequest, Initiator, Mech, MitAcceptor, MitRealm,
    RealmOptions,
};

const ALL_FLAGS: &[GssFlag] = &[
    GssFlag::Mutual,
    GssFlag::Conf,
    GssFlag::Integ,
    GssFlag::Replay,
    GssFlag::Sequence,
];

/// Runs init -> accept -> step and a wrap/MIC round trip both ways.
fn handshake(enctype: i32, mech: Mech, cb: Option<ChannelBindings>) {
    let name = enctypes::name(enctype).unwrap();
    let Some((realm, ccache, keytab)) = realm_with_service(&[name]) else {
        return;
    };
    assert_eq!(realm.keys(SERVICE).unwrap(), vec![(1, enctype)]);

    let mut init = live(Initiator::spawn(&realm, &ccache)).unwrap();
    let mut acc = live(MitAcceptor::spawn(&realm, &keytab)).unwrap();
    let mut req = InitRequest::new(TARGET).mech(mech).flags(ALL_FLAGS);
    if let Some(cb) = cb.clone() {
        req = req.channel_bindings(cb);
    }

    let first = init.init(&req).unwrap();
    assert!(!first.complete, "mutual auth needs a second leg");
    let ap_req = first.token.unwrap();
    let accepted = acc.accept(&ap_req, cb.as_ref()).unwrap();
    assert!(accepted.complete);
    assert_eq!(accepted.initiator.as_deref(), Some("alice@KERBGATE.TEST"));
    let done = init.step(&accepted.token.unwrap()).unwrap();
    assert!(done.complete);

    // The KDC used the service's only key for the ticket.
    let kt = realm.ticket_enctypes(SERVICE, &ccache).unwrap();
    assert_eq!(kt.ticket, enctype, "ticket enctype");

    let info = init.driver().info().unwrap();
    assert!(info.flags.iter().any(|f| f == "mutual"), "{info:?}");
    let (wrapped, conf) = init.driver().wrap(b"a1 LOGIN", true).unwrap();
    assert!(conf);
    assert_eq!(
        acc.driver().unwrap(&wrapped).unwrap(),
        (b"a1 LOGIN".to_vec(), true)
    );
    let mic = acc.driver().get_mic(b"server says").unwrap();
    init.driver().verify_mic(b"server says", &mic).unwrap();
    assert!(init.driver().verify_mic(b"server lies", &mic).is_err());
    drop(realm);
    let _ = CLIENT;
}

macro_rules! per_enctype {
    ($($test:ident => $n:expr),* $(,)?) => {$(
        #[test]
        fn $test() {
            handshake($n, Mech::Krb5, None);
        }
    )*};
}

per_enctype! {
    mit_accepts_mit_aes128_cts_hmac_sha1_96 => 17,
    mit_accepts_mit_aes256_cts_hmac_sha1_96 => 18,
    mit_accepts_mit_aes128_cts_hmac_sha256_128 => 19,
    mit_accepts_mit_aes256_cts_hmac_sha384_192 => 20,
    mit_accepts_mit_arcfour_hmac => 23,
    mit_accepts_mit_camellia128_cts_cmac => 25,
    mit_accepts_mit_camellia256_cts_cmac => 26,
}

#[test]
fn mit_accepts_microsoft_oid() {
    handshake(18, Mech::MsKrb5, None);
}

#[test]
fn mit_accepts_spnego() {
    handshake(18, Mech::Spnego, None);
}

#[test]
fn mit_accepts_matching_channel_bindings() {
    let cb = ChannelBindings::with_application_data(b"tls-server-end-point:abc")
        .initiator_address(2, &[127, 0, 0, 1])
        .acceptor_address(2, &[127, 0, 0, 1]);
    handshake(18, Mech::Krb5, Some(cb));
}

#[test]
fn mit_rejects_mismatched_channel_bindings() {
    let Some((realm, ccache, keytab)) = realm_with_service(&["aes256-cts-hmac-sha1-96"]) else {
        return;
    };
    let mut init = live(Initiator::spawn(&realm, &ccache)).unwrap();
    let mut acc = live(MitAcceptor::spawn(&realm, &keytab)).unwrap();
    let cb = ChannelBindings::with_application_data(b"one");
    let req = InitRequest::new(TARGET).channel_bindings(cb);
    let token = init.init(&req).unwrap().token.unwrap();
    let other = ChannelBindings::with_application_data(b"two");
    assert!(acc.accept(&token, Some(&other)).is_err());
}

#[test]
fn realm_starts_on_loopback_and_cleans_up() {
    let Some(realm) = live(MitRealm::start(RealmOptions::default())) else {
        return;
    };
    let dir = realm.dir().to_path_buf();
    let pid = realm.kdc_pid();
    assert!(realm.port() > 0);
    let conf = std::fs::read_to_string(dir.join("krb5.conf")).unwrap();
    assert!(conf.contains(&format!("kdc = 127.0.0.1:{}", realm.port())));
    assert!(conf.contains("dns_lookup_kdc = false"));
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(realm);
    assert!(!dir.exists());
    // The pid may be reused later, but not by our KDC: it was reaped.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    assert!(!status.contains("krb5kdc"), "krb5kdc {pid} survived drop");
}
