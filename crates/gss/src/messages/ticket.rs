//! Ticket ([APPLICATION 1]) and EncTicketPart ([APPLICATION 3]),
//! RFC 4120 section 5.3.

use kerbgate_keytab::Principal;

use crate::consts::{app_tag, PVNO};
use crate::der::{DecodeError, Reader};
use crate::messages::authz::AuthorizationData;
use crate::messages::common::{
    decode_addresses, decode_app, decode_top, Element, EncryptedData, EncryptionKey, HostAddresses,
    KerberosFlags, PrincipalName, TransitedEncoding,
};

/// A Ticket, borrowing from the token it arrived in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ticket<'a> {
    /// The exact DER of the Ticket, for re-emitting (e.g. in a ccache).
    pub raw: &'a [u8],
    /// realm: the service's realm.
    pub realm: &'a str,
    /// sname: the service's name.
    pub sname: PrincipalName<'a>,
    /// enc-part: the EncTicketPart encrypted in the service key (usage 2).
    pub enc_part: EncryptedData<'a>,
}

impl<'a> Ticket<'a> {
    /// Decodes a DER Ticket filling `data` exactly.
    ///
    /// # Errors
    /// When malformed, tkt-vno is not 5, or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, "Ticket");
        let t = Self::decode(&mut r)?;
        r.finish("Ticket")?;
        Ok(t)
    }

    /// The service principal: sname with realm.
    #[must_use]
    pub fn server_principal(&self) -> Principal {
        self.sname.to_principal(self.realm)
    }
}

impl<'a> Element<'a> for Ticket<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let before = r.remaining();
        let (realm, sname, enc_part) = decode_app(r, "Ticket", app_tag::TICKET, |s| {
            // RFC 4120 5.3: tkt-vno MUST be 5.
            s.explicit(0, "tkt-vno", |r| r.read_fixed("tkt-vno", PVNO))?;
            let realm = s.explicit(1, "realm", |r| r.read_kerberos_string("realm"))?;
            let sname = s.explicit(2, "sname", PrincipalName::decode)?;
            let enc_part = s.explicit(3, "enc-part", EncryptedData::decode)?;
            s.skip_extensions(3, "Ticket")?;
            Ok((realm, sname, enc_part))
        })?;
        let used = before.len() - r.remaining().len();
        let raw = before.get(..used).unwrap_or_default();
        Ok(Self {
            raw,
            realm,
            sname,
            enc_part,
        })
    }
}

/// EncTicketPart: the decrypted ticket body. Borrows the plaintext, which
/// holds the session key: zeroize it once done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncTicketPart<'a> {
    /// flags: TicketFlags (see [`crate::consts::ticket_flags`]).
    pub flags: KerberosFlags,
    /// key: the session key.
    pub key: EncryptionKey<'a>,
    /// crealm: the client's realm.
    pub crealm: &'a str,
    /// cname: the client's name.
    pub cname: PrincipalName<'a>,
    /// transited: realms crossed.
    pub transited: TransitedEncoding<'a>,
    /// authtime, Unix seconds.
    pub authtime: i64,
    /// starttime, Unix seconds; authtime applies when absent.
    pub starttime: Option<i64>,
    /// endtime, Unix seconds.
    pub endtime: i64,
    /// renew-till, Unix seconds.
    pub renew_till: Option<i64>,
    /// caddr: addresses the ticket may be used from.
    pub caddr: Option<HostAddresses<'a>>,
    /// authorization-data (e.g. the PAC inside AD-IF-RELEVANT).
    pub authorization_data: Option<AuthorizationData<'a>>,
}

impl<'a> EncTicketPart<'a> {
    /// Decodes a decrypted EncTicketPart filling `data` exactly.
    ///
    /// # Errors
    /// When malformed or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "EncTicketPart", app_tag::ENC_TICKET_PART, |s| {
            let flags = s.explicit(0, "flags", |r| r.read_kerberos_flags("flags"))?;
            let key = s.explicit(1, "key", EncryptionKey::decode)?;
            let crealm = s.explicit(2, "crealm", |r| r.read_kerberos_string("crealm"))?;
            let cname = s.explicit(3, "cname", PrincipalName::decode)?;
            let transited = s.explicit(4, "transited", TransitedEncoding::decode)?;
            let authtime = s.explicit(5, "authtime", |r| r.read_kerberos_time("authtime"))?;
            let starttime = s.optional(6, "starttime", |r| r.read_kerberos_time("starttime"))?;
            let endtime = s.explicit(7, "endtime", |r| r.read_kerberos_time("endtime"))?;
            let renew_till = s.optional(8, "renew-till", |r| r.read_kerberos_time("renew-till"))?;
            let caddr = s.optional(9, "caddr", decode_addresses)?;
            let authorization_data =
                s.optional(10, "authorization-data", AuthorizationData::decode)?;
            s.skip_extensions(10, "EncTicketPart")?;
            Ok(Self {
                flags: KerberosFlags(flags),
                key,
                crealm,
                cname,
                transited,
                authtime,
                starttime,
                endtime,
                renew_till,
                caddr,
                authorization_data,
            })
        })
    }

    /// The client principal: cname with crealm.
    #[must_use]
    pub fn client_principal(&self) -> Principal {
        self.cname.to_principal(self.crealm)
    }
}
