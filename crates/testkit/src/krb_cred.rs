//! KRB-CRED (RFC 4120 5.8) carrying a forwarded TGT, as an initiator puts it
//! in the delegation field of the RFC 4121 4.1.1 checksum.

use core::fmt;

use kerbgate_crypto::Key;

use crate::consts::{app, KU_KRB_CRED_ENCPART, MSG_KRB_CRED, PVNO};
use crate::der::{self, Fields};
use crate::error::Error;
use crate::rng::Rng;
use crate::ticket::Ticket;
use crate::types::{self, HostAddress};

/// How EncKrbCredPart is protected.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum CredEncryption {
    /// Encrypted with this key at key usage 14. MIT and Heimdal GSS
    /// initiators use the AP-REQ ticket's session key, not the subkey.
    Key(Key),
    /// etype 0 with the plaintext EncKrbCredPart in `cipher`, as some
    /// initiators (and MIT when it has no key) send.
    Plain,
}

/// Deliberately broken KRB-CRED variants.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredBreakage {
    /// An empty `tickets` list (and no KrbCredInfo).
    NoTickets,
    /// The tickets are sent but `ticket-info` is empty.
    NoTicketInfo,
    /// The final DER cut to this many octets.
    Truncated(usize),
}

/// Builds a KRB-CRED forwarding one or more tickets (usually a TGT).
#[derive(Clone, Debug)]
pub struct KrbCredBuilder {
    tickets: Vec<Ticket>,
    encryption: CredEncryption,
    nonce: Option<u32>,
    caddr_in_info: Option<Vec<HostAddress>>,
    breakage: Option<CredBreakage>,
    rng: Rng,
}

impl KrbCredBuilder {
    /// Forwards `tgt` (e.g. from [`crate::Kdc::tgt`]), encrypted with `key`
    /// (the AP-REQ ticket's session key, as MIT does).
    #[must_use]
    pub fn forwarded_tgt(tgt: Ticket, key: Key) -> Self {
        Self {
            tickets: vec![tgt],
            encryption: CredEncryption::Key(key),
            nonce: None,
            caddr_in_info: None,
            breakage: None,
            rng: Rng::os(),
        }
    }

    /// Adds another ticket (with its KrbCredInfo).
    #[must_use]
    pub fn add_ticket(mut self, ticket: Ticket) -> Self {
        self.tickets.push(ticket);
        self
    }

    /// Chooses the protection of EncKrbCredPart.
    #[must_use]
    pub fn encryption(mut self, enc: CredEncryption) -> Self {
        self.encryption = enc;
        self
    }

    /// Sets the nonce field.
    #[must_use]
    pub fn nonce(mut self, nonce: Option<u32>) -> Self {
        self.nonce = nonce;
        self
    }

    /// Puts these addresses in every KrbCredInfo's caddr.
    #[must_use]
    pub fn caddr(mut self, addrs: Option<Vec<HostAddress>>) -> Self {
        self.caddr_in_info = addrs;
        self
    }

    /// Breaks the output on purpose.
    #[must_use]
    pub fn broken(mut self, how: CredBreakage) -> Self {
        self.breakage = Some(how);
        self
    }

    /// Sets the randomness for the confounder.
    #[must_use]
    pub fn rng(mut self, rng: Rng) -> Self {
        self.rng = rng;
        self
    }

    /// Encodes the KRB-CRED.
    ///
    /// # Errors
    /// [`Error::Crypto`] or [`Error::Random`].
    pub fn build(&self) -> Result<KrbCred, Error> {
        let mut rng = self.rng.clone();
        let tickets: &[Ticket] = match self.breakage {
            Some(CredBreakage::NoTickets) => &[],
            _ => &self.tickets,
        };
        let infos: Vec<Vec<u8>> = match self.breakage {
            Some(CredBreakage::NoTicketInfo) => Vec::new(),
            _ => tickets.iter().map(|t| self.cred_info(t)).collect(),
        };

        // RFC 4120 5.8.1: EncKrbCredPart.
        let nonce = self.nonce.map(der::uint32);
        let plain = Fields::new()
            .field(0, &der::sequence_of(&infos))
            .optional(1, nonce.as_deref())
            .application(app::ENC_KRB_CRED_PART);

        // RFC 4120 5.8.1: enc-part at key usage 14; etype 0 carries plaintext.
        let enc_part = match &self.encryption {
            CredEncryption::Key(k) => {
                let cipher = types::encrypt(k, KU_KRB_CRED_ENCPART, &plain, &mut rng)?;
                types::encrypted_data(k.enctype().to_i32(), None, &cipher)
            }
            CredEncryption::Plain => types::encrypted_data(0, None, &plain),
        };
        let mut der = Fields::new()
            .field(0, &der::integer(PVNO))
            .field(1, &der::integer(MSG_KRB_CRED))
            .field(2, &der::sequence_of(tickets.iter().map(|t| &t.der)))
            .field(3, &enc_part)
            .application(app::KRB_CRED);
        if let Some(CredBreakage::Truncated(n)) = self.breakage {
            der.truncate(n);
        }
        Ok(KrbCred {
            der,
            enc_part_plain: plain,
        })
    }

    /// KrbCredInfo (RFC 4120 5.8.1) describing `t`.
    fn cred_info(&self, t: &Ticket) -> Vec<u8> {
        let starttime = t.starttime.map(der::kerberos_time);
        let renew_till = t.renew_till.map(der::kerberos_time);
        let caddr = self.caddr_in_info.as_deref().map(types::host_addresses);
        Fields::new()
            .field(0, &types::encryption_key(&t.session_key))
            .field(1, &der::general_string(t.client.realm()))
            .field(2, &types::principal_name(&t.client))
            .field(3, &der::kerberos_flags(t.flags))
            .field(4, &der::kerberos_time(t.authtime))
            .optional(5, starttime.as_deref())
            .field(6, &der::kerberos_time(t.endtime))
            .optional(7, renew_till.as_deref())
            .field(8, &der::general_string(t.service.realm()))
            .field(9, &types::principal_name(&t.service))
            .optional(10, caddr.as_deref())
            .sequence()
    }
}

/// A minted KRB-CRED.
#[derive(Clone)]
pub struct KrbCred {
    /// The KRB-CRED DER (`[APPLICATION 22]`), possibly broken on request.
    pub der: Vec<u8>,
    /// The plaintext EncKrbCredPart (holds session keys: tests only).
    pub enc_part_plain: Vec<u8>,
}

impl fmt::Debug for KrbCred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KrbCred")
            .field("der_len", &self.der.len())
            .finish_non_exhaustive()
    }
}
