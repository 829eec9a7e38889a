//! Criterion benches live in `benches/benches/`, examples in `benches/examples/`; this
//! library holds the setup they share.
#![forbid(unsafe_code)]

use kerbgate_crypto::Enctype;
use kerbgate_testkit::{AuthData, Error, Kdc, ServiceKeyOpts, Ticket};

/// The service every bench logs in to.
pub const SERVICE: &str = "imap/mail.example.com";

/// A KDC holding [`SERVICE`] (aes256-cts-hmac-sha1-96, kvno 2, password "secret") and a
/// ticket for alice to it whose authorization data is one AD-IF-RELEVANT element of
/// `ad_len` opaque bytes (ad-type 142). With 195 bytes an AP-REQ is 705 bytes, the size
/// of MIT 1.20's aes256 tokens with their PAC.
///
/// # Errors
/// From the test KDC (none for these fixed inputs).
pub fn imap_ticket(ad_len: usize) -> Result<(Kdc, Ticket), Error> {
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        SERVICE,
        ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha196, 2, "secret"),
    )?;
    let opaque = vec![0x5a; ad_len];
    let ad = AuthData::if_relevant(&[AuthData::raw(142, &opaque)]);
    let ticket = kdc
        .ticket("alice", SERVICE)?
        .authorization_data(Some(vec![ad]))
        .build()?;
    Ok((kdc, ticket))
}
