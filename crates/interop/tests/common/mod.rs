//! Shared set-up for the live MIT tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::PathBuf;

use kerbgate_interop::{live, KeytabMode, MitRealm, PrincipalKey, RealmOptions};

pub(crate) const CLIENT: &str = "alice";
pub(crate) const CLIENT_PASSWORD: &str = "alice-Passw0rd";
pub(crate) const SERVICE: &str = "imap/mail.kerbgate.test";
pub(crate) const TARGET: &str = "imap@mail.kerbgate.test";

/// A realm with alice (password, all enctypes) logged in to `alice.cc`, and
/// the imap service holding keys of exactly `service_enctypes`, exported to
/// `imap.keytab`. `None` when the live-test policy says skip.
pub(crate) fn realm_with_service(
    service_enctypes: &[&str],
) -> Option<(MitRealm, PathBuf, PathBuf)> {
    let realm = live(MitRealm::start(RealmOptions::default()))?;
    realm
        .add_principal(CLIENT, PrincipalKey::Password(CLIENT_PASSWORD), &[])
        .unwrap();
    realm
        .add_principal(SERVICE, PrincipalKey::Random, service_enctypes)
        .unwrap();
    let keytab = realm.dir().join("imap.keytab");
    realm
        .export_keytab(&[SERVICE], &keytab, KeytabMode::Replace)
        .unwrap();
    let ccache = realm.dir().join("alice.cc");
    realm.kinit(CLIENT, CLIENT_PASSWORD, &ccache, true).unwrap();
    Some((realm, ccache, keytab))
}
