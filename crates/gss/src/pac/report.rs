//! Which of a PAC's signatures were checked, and how each came out: for `accept
//! --json`, `inspect --keytab` and the doctor.

use kerbgate_crypto::Key;

use super::buffers::SignatureData;
use super::{Pac, PacError};

/// The outcome of one PAC signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureCheck {
    /// The signature verified.
    Verified,
    /// The signature did not verify, or could not be checked with the key given.
    Failed(PacError),
    /// Not checked; the reason names what was missing (e.g. the krbtgt key).
    NotChecked(&'static str),
}

impl SignatureCheck {
    /// `verified`, `failed` or `not-checked`, for JSON and scripts.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            SignatureCheck::Verified => "verified",
            SignatureCheck::Failed(_) => "failed",
            SignatureCheck::NotChecked(_) => "not-checked",
        }
    }
}

/// One signature present in a PAC and its check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureReport {
    /// `server` (MS-PAC 2.8.1), `kdc` (2.8.2), `ticket` (2.8.3) or `full_pac` (2.8.5).
    pub which: &'static str,
    /// The checksum type number.
    pub cksumtype: i32,
    /// The RODCIdentifier, for signatures of read-only DCs.
    pub rodc_id: Option<u16>,
    /// How the check came out.
    pub check: SignatureCheck,
}

/// The keys a caller has for checking a PAC's signatures; any may be absent.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct SignatureKeys<'a> {
    /// The service key that decrypted the ticket (server signature).
    pub service: Option<&'a Key>,
    /// The KDC's krbtgt key (KDC, ticket and full-PAC signatures).
    pub krbtgt: Option<&'a Key>,
    /// The decrypted EncTicketPart the PAC came in (ticket signature).
    pub enc_ticket_part: Option<&'a [u8]>,
}

impl<'a> SignatureKeys<'a> {
    /// No keys: only what the acceptor already verified is reported as verified.
    #[must_use]
    pub fn none() -> Self {
        SignatureKeys::default()
    }

    /// With the service key.
    #[must_use]
    pub fn service(mut self, key: &'a Key) -> Self {
        self.service = Some(key);
        self
    }

    /// With the krbtgt key.
    #[must_use]
    pub fn krbtgt(mut self, key: &'a Key) -> Self {
        self.krbtgt = Some(key);
        self
    }

    /// With the decrypted EncTicketPart.
    #[must_use]
    pub fn enc_ticket_part(mut self, der: &'a [u8]) -> Self {
        self.enc_ticket_part = Some(der);
        self
    }
}

const NEEDS_KRBTGT: &str = "needs the KDC's krbtgt key, which a service does not hold";

fn outcome(r: Result<(), PacError>) -> SignatureCheck {
    match r {
        Ok(()) => SignatureCheck::Verified,
        Err(e) => SignatureCheck::Failed(e),
    }
}

fn report(which: &'static str, sig: &SignatureData, check: SignatureCheck) -> SignatureReport {
    SignatureReport {
        which,
        cksumtype: sig.cksumtype,
        rodc_id: sig.rodc_id,
        check,
    }
}

impl Pac {
    /// Checks every signature the PAC carries with the keys given, in MS-PAC order
    /// (server, KDC, ticket, full PAC). Without a service key the server signature
    /// is reported as verified when the acceptor verified it.
    #[must_use]
    pub fn check_signatures(&self, keys: &SignatureKeys<'_>) -> Vec<SignatureReport> {
        let mut out = Vec::with_capacity(4);
        if let Some(sig) = self.server_signature() {
            let check = match keys.service {
                Some(k) => outcome(self.verify_server_signature(k)),
                None if self.server_verified => SignatureCheck::Verified,
                None => SignatureCheck::NotChecked("the acceptor's policy skipped it"),
            };
            out.push(report("server", sig, check));
        }
        let krbtgt = keys.krbtgt;
        if let Some(sig) = self.kdc_signature() {
            let check = krbtgt.map_or(SignatureCheck::NotChecked(NEEDS_KRBTGT), |k| {
                outcome(self.verify_kdc_signature(k))
            });
            out.push(report("kdc", sig, check));
        }
        if let Some(sig) = self.ticket_signature() {
            let check = match (krbtgt, keys.enc_ticket_part) {
                (Some(k), Some(t)) => outcome(self.verify_ticket_signature(k, t)),
                (Some(_), None) => SignatureCheck::NotChecked("needs the decrypted ticket"),
                (None, _) => SignatureCheck::NotChecked(NEEDS_KRBTGT),
            };
            out.push(report("ticket", sig, check));
        }
        if let Some(sig) = self.full_pac_signature() {
            let check = krbtgt.map_or(SignatureCheck::NotChecked(NEEDS_KRBTGT), |k| {
                outcome(self.verify_full_pac_signature(k))
            });
            out.push(report("full_pac", sig, check));
        }
        out
    }

    /// Whether the acceptor verified the server signature (MS-PAC 2.8.1) before
    /// handing out this PAC; false when its policy skipped the check, and for PACs
    /// parsed by the caller.
    #[must_use]
    pub fn server_signature_verified(&self) -> bool {
        self.server_verified
    }
}
