//! A ready-made fixture: one realm, one IMAP service, one user, fixed time.

use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Principal;

use crate::ap_req::{ApReq, ApReqBuilder, AuthChecksum};
use crate::error::Error;
use crate::gss_checksum::GssChecksum;
use crate::kdc::{Kdc, ServiceKeyOpts};
use crate::rng::Rng;
use crate::ticket::{Ticket, FIXED_TIME};
use crate::time::KerberosTime;

/// The scenario's realm.
pub const SCENARIO_REALM: &str = "EXAMPLE.COM";
/// The scenario's service principal.
pub const SCENARIO_SERVICE: &str = "imap/mail.example.com@EXAMPLE.COM";
/// The password the scenario's service key is derived from (default salt).
pub const SCENARIO_SERVICE_PASSWORD: &str = "imap-service-password";
/// The scenario's service key version.
pub const SCENARIO_KVNO: u32 = 2;
/// The scenario's client principal.
pub const SCENARIO_CLIENT: &str = "alice@EXAMPLE.COM";

/// Options for [`Scenario::ap_req`]; the default is a plain MIT-like
/// AP-REQ: GSS checksum with mutual, replay, sequence, conf and integ, no
/// subkey, no sequence number, ctime one minute after [`FIXED_TIME`].
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ApReqOpts {
    /// ctime (cusec is separate).
    pub ctime: KerberosTime,
    /// cusec.
    pub cusec: u32,
    /// Send a fresh subkey of this enctype.
    pub subkey: Option<Enctype>,
    /// Send this sequence number.
    pub seq_number: Option<u32>,
    /// The authenticator checksum.
    pub checksum: AuthChecksum,
    /// Seed for confounders and subkey.
    pub seed: u64,
}

impl Default for ApReqOpts {
    fn default() -> Self {
        Self {
            ctime: FIXED_TIME.plus(60),
            cusec: 0,
            subkey: None,
            seq_number: None,
            checksum: AuthChecksum::Gss(GssChecksum::default()),
            seed: 1,
        }
    }
}

impl ApReqOpts {
    /// Sets the subkey enctype.
    #[must_use]
    pub fn subkey(mut self, enctype: Enctype) -> Self {
        self.subkey = Some(enctype);
        self
    }

    /// Sets the sequence number.
    #[must_use]
    pub fn seq_number(mut self, seq: u32) -> Self {
        self.seq_number = Some(seq);
        self
    }

    /// Sets ctime and cusec.
    #[must_use]
    pub fn time(mut self, ctime: KerberosTime, cusec: u32) -> Self {
        self.ctime = ctime;
        self.cusec = cusec;
        self
    }

    /// Sets the checksum.
    #[must_use]
    pub fn checksum(mut self, cksum: AuthChecksum) -> Self {
        self.checksum = cksum;
        self
    }

    /// Sets the seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Realm EXAMPLE.COM, service `imap/mail.example.com@EXAMPLE.COM` with an
/// aes256-cts-hmac-sha1-96 key of kvno 2, client `alice@EXAMPLE.COM`, a
/// ticket issued at [`FIXED_TIME`]; everything reproducible.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The KDC holding the service key.
    pub kdc: Kdc,
    /// The service principal.
    pub service: Principal,
    /// The client principal.
    pub client: Principal,
    /// The service key.
    pub service_key: Key,
    /// The client's ticket to the service.
    pub ticket: Ticket,
    /// The scenario's "now": one minute after the ticket's authtime.
    pub now: KerberosTime,
}

impl Scenario {
    /// Builds the scenario.
    ///
    /// # Errors
    /// [`Error::Crypto`] if kerbgate-crypto cannot derive or use the keys.
    pub fn new() -> Result<Self, Error> {
        let mut kdc = Kdc::new(SCENARIO_REALM);
        let opts = ServiceKeyOpts::password(
            Enctype::Aes256CtsHmacSha196,
            SCENARIO_KVNO,
            SCENARIO_SERVICE_PASSWORD,
        );
        let service_key = kdc.add_service(SCENARIO_SERVICE, opts)?;
        let ticket = kdc.ticket(SCENARIO_CLIENT, SCENARIO_SERVICE)?.build()?;
        Ok(Self {
            service: ticket.service.clone(),
            client: ticket.client.clone(),
            kdc,
            service_key,
            ticket,
            now: FIXED_TIME.plus(60),
        })
    }

    /// An AP-REQ for the scenario's ticket.
    ///
    /// # Errors
    /// [`Error::Crypto`] or [`Error::Random`].
    pub fn ap_req(&self, opts: ApReqOpts) -> Result<ApReq, Error> {
        let mut b = self
            .ap_req_builder()
            .time(opts.ctime, opts.cusec)
            .seq_number(opts.seq_number)
            .checksum(opts.checksum)
            .rng(Rng::seeded(opts.seed));
        if let Some(e) = opts.subkey {
            b = b.subkey_enctype(e);
        }
        b.build()
    }

    /// A builder for full control over the AP-REQ.
    #[must_use]
    pub fn ap_req_builder(&self) -> ApReqBuilder<'_> {
        ApReqBuilder::new(&self.ticket).rng(Rng::seeded(1))
    }

    /// The service keytab in MIT file format.
    ///
    /// # Errors
    /// [`Error::Keytab`] when it cannot be encoded.
    pub fn keytab_bytes(&self) -> Result<Vec<u8>, Error> {
        self.kdc.keytab_bytes()
    }
}

impl Default for Scenario {
    /// As [`Scenario::new`].
    ///
    /// # Panics
    /// Only if kerbgate-crypto fails on its fixed, valid inputs, which
    /// means that crate is broken.
    fn default() -> Self {
        #[allow(clippy::expect_used)] // fixed valid inputs; failure is a bug in kerbgate-crypto
        Self::new().expect("kerbgate-crypto failed on the fixed testkit scenario")
    }
}
