//! KRB-CRED ([APPLICATION 22]), EncKrbCredPart ([APPLICATION 29]) and
//! KrbCredInfo, RFC 4120 section 5.8. Decode only: kerbgate receives
//! delegated credentials but never forwards any.

use kerbgate_keytab::Principal;

use crate::consts::{app_tag, msg_type, PVNO};
use crate::der::DecodeError;
use crate::messages::common::{
    decode_addresses, decode_top, Element, EncryptedData, EncryptionKey, HostAddress,
    HostAddresses, KerberosFlags, PrincipalName, SeqOf,
};
use crate::messages::ticket::Ticket;

/// Most tickets (and KrbCredInfo entries) accepted in one KRB-CRED.
pub const MAX_CRED_TICKETS: usize = 256;

/// A KRB-CRED: delegated tickets plus their encrypted session keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KrbCred<'a> {
    /// tickets, at most [`MAX_CRED_TICKETS`].
    pub tickets: SeqOf<'a, Ticket<'a>>,
    /// enc-part: EncKrbCredPart in the session or subkey (usage 14), or
    /// unencrypted with etype 0 as some MIT and Windows peers send it.
    pub enc_part: EncryptedData<'a>,
}

impl<'a> KrbCred<'a> {
    /// Decodes a DER KRB-CRED filling `data` exactly.
    ///
    /// # Errors
    /// When malformed, pvno is not 5, msg-type is not 22, or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "KRB-CRED", app_tag::KRB_CRED, |s| {
            // RFC 4120 5.8.1: pvno 5, msg-type KRB_CRED (22).
            s.explicit(0, "pvno", |r| r.read_fixed("pvno", PVNO))?;
            s.explicit(1, "msg-type", |r| {
                r.read_fixed("msg-type", msg_type::KRB_CRED)
            })?;
            let tickets = s.explicit(2, "tickets", |r| {
                SeqOf::decode(r, "tickets", MAX_CRED_TICKETS)
            })?;
            let enc_part = s.explicit(3, "enc-part", EncryptedData::decode)?;
            s.skip_extensions(3, "KRB-CRED")?;
            Ok(Self { tickets, enc_part })
        })
    }
}

/// EncKrbCredPart: the decrypted body of a KRB-CRED. Borrows the plaintext,
/// which holds session keys: zeroize it once done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncKrbCredPart<'a> {
    /// ticket-info: one entry per ticket, in the same order.
    pub ticket_info: SeqOf<'a, KrbCredInfo<'a>>,
    /// nonce.
    pub nonce: Option<u32>,
    /// timestamp, Unix seconds.
    pub timestamp: Option<i64>,
    /// usec.
    pub usec: Option<u32>,
    /// s-address: the sender's address.
    pub s_address: Option<HostAddress<'a>>,
    /// r-address: the recipient's addresses.
    pub r_address: Option<HostAddresses<'a>>,
}

impl<'a> EncKrbCredPart<'a> {
    /// Decodes a decrypted EncKrbCredPart filling `data` exactly.
    ///
    /// # Errors
    /// When malformed or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "EncKrbCredPart", app_tag::ENC_KRB_CRED_PART, |s| {
            let ticket_info = s.explicit(0, "ticket-info", |r| {
                SeqOf::decode(r, "ticket-info", MAX_CRED_TICKETS)
            })?;
            let nonce = s.optional(1, "nonce", |r| r.read_u32("nonce"))?;
            let timestamp = s.optional(2, "timestamp", |r| r.read_kerberos_time("timestamp"))?;
            let usec = s.optional(3, "usec", |r| r.read_microseconds("usec"))?;
            let s_address = s.optional(4, "s-address", HostAddress::decode)?;
            let r_address = s.optional(5, "r-address", decode_addresses)?;
            s.skip_extensions(5, "EncKrbCredPart")?;
            Ok(Self {
                ticket_info,
                nonce,
                timestamp,
                usec,
                s_address,
                r_address,
            })
        })
    }
}

/// KrbCredInfo: the session key and metadata of one delegated ticket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KrbCredInfo<'a> {
    /// key: the ticket's session key.
    pub key: EncryptionKey<'a>,
    /// prealm: the client's realm.
    pub prealm: Option<&'a str>,
    /// pname: the client's name.
    pub pname: Option<PrincipalName<'a>>,
    /// flags: TicketFlags.
    pub flags: Option<KerberosFlags>,
    /// authtime.
    pub authtime: Option<i64>,
    /// starttime.
    pub starttime: Option<i64>,
    /// endtime.
    pub endtime: Option<i64>,
    /// renew-till.
    pub renew_till: Option<i64>,
    /// srealm: the service realm.
    pub srealm: Option<&'a str>,
    /// sname: the service name.
    pub sname: Option<PrincipalName<'a>>,
    /// caddr.
    pub caddr: Option<HostAddresses<'a>>,
}

impl KrbCredInfo<'_> {
    /// The delegated client principal, when both pname and prealm are present.
    #[must_use]
    pub fn client_principal(&self) -> Option<Principal> {
        Some(self.pname?.to_principal(self.prealm?))
    }
}

impl<'a> Element<'a> for KrbCredInfo<'a> {
    fn decode(r: &mut crate::der::Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("KrbCredInfo")?;
        let key = s.explicit(0, "key", EncryptionKey::decode)?;
        let prealm = s.optional(1, "prealm", |r| r.read_kerberos_string("prealm"))?;
        let pname = s.optional(2, "pname", PrincipalName::decode)?;
        let flags = s.optional(3, "flags", |r| r.read_kerberos_flags("flags"))?;
        let authtime = s.optional(4, "authtime", |r| r.read_kerberos_time("authtime"))?;
        let starttime = s.optional(5, "starttime", |r| r.read_kerberos_time("starttime"))?;
        let endtime = s.optional(6, "endtime", |r| r.read_kerberos_time("endtime"))?;
        let renew_till = s.optional(7, "renew-till", |r| r.read_kerberos_time("renew-till"))?;
        let srealm = s.optional(8, "srealm", |r| r.read_kerberos_string("srealm"))?;
        let sname = s.optional(9, "sname", PrincipalName::decode)?;
        let caddr = s.optional(10, "caddr", decode_addresses)?;
        s.skip_extensions(10, "KrbCredInfo")?;
        Ok(Self {
            key,
            prealm,
            pname,
            flags: flags.map(KerberosFlags),
            authtime,
            starttime,
            endtime,
            renew_till,
            srealm,
            sname,
            caddr,
        })
    }
}
