//! KRB-ERROR ([APPLICATION 30]), RFC 4120 section 5.9.1.

use crate::consts::{app_tag, msg_type, KrbErrorCode, PVNO};
use crate::der::{application, DecodeError, Writer};
use crate::messages::common::{decode_top, Element, PrincipalName};

/// A KRB-ERROR message. Debug shows the e-data length only.
#[derive(Clone, Copy, PartialEq)]
pub struct KrbError<'a> {
    /// ctime: the client time, if known from the request.
    pub ctime: Option<i64>,
    /// cusec: the client microseconds, if known.
    pub cusec: Option<u32>,
    /// stime: the server time, Unix seconds.
    pub stime: i64,
    /// susec: the server microseconds.
    pub susec: u32,
    /// error-code.
    pub error_code: KrbErrorCode,
    /// crealm: the client's realm, if known.
    pub crealm: Option<&'a str>,
    /// cname: the client's name, if known.
    pub cname: Option<PrincipalName<'a>>,
    /// realm: the service realm.
    pub realm: &'a str,
    /// sname: the service name.
    pub sname: PrincipalName<'a>,
    /// e-text: human-readable text for the peer.
    pub e_text: Option<&'a str>,
    /// e-data: typed error data (e.g. METHOD-DATA).
    pub e_data: Option<&'a [u8]>,
}

impl<'a> KrbError<'a> {
    /// Encodes the KRB-ERROR as DER.
    #[must_use]
    pub fn to_der(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(128 + self.e_data.map_or(0, <[u8]>::len));
        w.constructed(application(app_tag::KRB_ERROR), |w| {
            w.sequence(|w| {
                w.explicit(0, |w| w.integer(PVNO));
                w.explicit(1, |w| w.integer(msg_type::KRB_ERROR));
                if let Some(t) = self.ctime {
                    w.explicit(2, |w| w.kerberos_time(t));
                }
                if let Some(us) = self.cusec {
                    w.explicit(3, |w| w.integer(i64::from(us)));
                }
                w.explicit(4, |w| w.kerberos_time(self.stime));
                w.explicit(5, |w| w.integer(i64::from(self.susec)));
                w.explicit(6, |w| w.integer(i64::from(self.error_code.0)));
                if let Some(r) = self.crealm {
                    w.explicit(7, |w| w.kerberos_string(r));
                }
                if let Some(n) = &self.cname {
                    w.explicit(8, |w| n.encode(w));
                }
                w.explicit(9, |w| w.kerberos_string(self.realm));
                w.explicit(10, |w| self.sname.encode(w));
                if let Some(t) = self.e_text {
                    w.explicit(11, |w| w.kerberos_string(t));
                }
                if let Some(d) = self.e_data {
                    w.explicit(12, |w| w.octet_string(d));
                }
            });
        });
        w.into_bytes()
    }

    /// Decodes a DER KRB-ERROR filling `data` exactly.
    ///
    /// # Errors
    /// When malformed, pvno is not 5, msg-type is not 30, or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "KRB-ERROR", app_tag::KRB_ERROR, |s| {
            // RFC 4120 5.9.1: pvno 5, msg-type KRB_ERROR (30).
            s.explicit(0, "pvno", |r| r.read_fixed("pvno", PVNO))?;
            s.explicit(1, "msg-type", |r| {
                r.read_fixed("msg-type", msg_type::KRB_ERROR)
            })?;
            let ctime = s.optional(2, "ctime", |r| r.read_kerberos_time("ctime"))?;
            let cusec = s.optional(3, "cusec", |r| r.read_microseconds("cusec"))?;
            let stime = s.explicit(4, "stime", |r| r.read_kerberos_time("stime"))?;
            let susec = s.explicit(5, "susec", |r| r.read_microseconds("susec"))?;
            let code = s.explicit(6, "error-code", |r| r.read_i32("error-code"))?;
            let crealm = s.optional(7, "crealm", |r| r.read_kerberos_string("crealm"))?;
            let cname = s.optional(8, "cname", PrincipalName::decode)?;
            let realm = s.explicit(9, "realm", |r| r.read_kerberos_string("realm"))?;
            let sname = s.explicit(10, "sname", PrincipalName::decode)?;
            let e_text = s.optional(11, "e-text", |r| r.read_kerberos_string("e-text"))?;
            let e_data = s.optional(12, "e-data", |r| r.read_octet_string("e-data"))?;
            s.skip_extensions(12, "KRB-ERROR")?;
            Ok(Self {
                ctime,
                cusec,
                stime,
                susec,
                error_code: KrbErrorCode(code),
                crealm,
                cname,
                realm,
                sname,
                e_text,
                e_data,
            })
        })
    }
}

impl std::fmt::Debug for KrbError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KrbError")
            .field("ctime", &self.ctime)
            .field("cusec", &self.cusec)
            .field("stime", &self.stime)
            .field("susec", &self.susec)
            .field("error_code", &self.error_code)
            .field("crealm", &self.crealm)
            .field("cname", &self.cname)
            .field("realm", &self.realm)
            .field("sname", &self.sname)
            .field("e_text", &self.e_text)
            .field("e_data_len", &self.e_data.map(<[u8]>::len))
            .finish()
    }
}
