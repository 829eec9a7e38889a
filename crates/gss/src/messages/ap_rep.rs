//! AP-REP ([APPLICATION 15]) and EncAPRepPart ([APPLICATION 27]),
//! RFC 4120 section 5.5.2: encoders for the acceptor, decoders for tests
//! and initiators.

use zeroize::Zeroizing;

use crate::consts::{app_tag, msg_type, PVNO};
use crate::der::{application, DecodeError, Writer};
use crate::messages::common::{decode_top, Element, EncryptedData, EncryptionKey};

/// An AP-REP: the acceptor's answer for mutual authentication.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApRep<'a> {
    /// enc-part: EncAPRepPart encrypted in the session key (usage 12).
    pub enc_part: EncryptedData<'a>,
}

impl<'a> ApRep<'a> {
    /// Encodes the AP-REP as DER.
    #[must_use]
    pub fn to_der(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.enc_part.cipher.len() + 32);
        w.constructed(application(app_tag::AP_REP), |w| {
            w.sequence(|w| {
                w.explicit(0, |w| w.integer(PVNO));
                w.explicit(1, |w| w.integer(msg_type::AP_REP));
                w.explicit(2, |w| self.enc_part.encode(w));
            });
        });
        w.into_bytes()
    }

    /// Decodes a DER AP-REP filling `data` exactly.
    ///
    /// # Errors
    /// When malformed, pvno is not 5, msg-type is not 15, or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "AP-REP", app_tag::AP_REP, |s| {
            // RFC 4120 5.5.2: pvno 5, msg-type KRB_AP_REP (15).
            s.explicit(0, "pvno", |r| r.read_fixed("pvno", PVNO))?;
            s.explicit(1, "msg-type", |r| {
                r.read_fixed("msg-type", msg_type::AP_REP)
            })?;
            let enc_part = s.explicit(2, "enc-part", EncryptedData::decode)?;
            s.skip_extensions(2, "AP-REP")?;
            Ok(Self { enc_part })
        })
    }
}

/// EncAPRepPart: echoes the client's time and may carry the acceptor's
/// subkey and initial sequence number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncApRepPart<'a> {
    /// ctime: the client time from the Authenticator, Unix seconds.
    pub ctime: i64,
    /// cusec: the client microseconds from the Authenticator.
    pub cusec: u32,
    /// subkey: the acceptor's subkey, if it chose one.
    pub subkey: Option<EncryptionKey<'a>>,
    /// seq-number: the acceptor's initial sequence number.
    pub seq_number: Option<u32>,
}

impl<'a> EncApRepPart<'a> {
    /// Encodes as DER; zeroized on drop since it may hold the subkey.
    #[must_use]
    pub fn to_der(&self) -> Zeroizing<Vec<u8>> {
        // Sized up front so the buffer is never reallocated (no stray
        // copies of the subkey in freed memory).
        let key_len = self.subkey.map_or(0, |k| k.keyvalue.len());
        let mut w = Writer::with_capacity(96 + 2 * key_len);
        w.constructed(application(app_tag::ENC_AP_REP_PART), |w| {
            w.sequence(|w| {
                w.explicit(0, |w| w.kerberos_time(self.ctime));
                w.explicit(1, |w| w.integer(i64::from(self.cusec)));
                if let Some(k) = &self.subkey {
                    w.explicit(2, |w| k.encode(w));
                }
                if let Some(seq) = self.seq_number {
                    w.explicit(3, |w| w.integer(i64::from(seq)));
                }
            });
        });
        Zeroizing::new(w.into_bytes())
    }

    /// Decodes a decrypted EncAPRepPart filling `data` exactly.
    ///
    /// # Errors
    /// When malformed or bytes follow.
    pub fn from_der(data: &'a [u8]) -> Result<Self, DecodeError> {
        decode_top(data, "EncAPRepPart", app_tag::ENC_AP_REP_PART, |s| {
            let ctime = s.explicit(0, "ctime", |r| r.read_kerberos_time("ctime"))?;
            let cusec = s.explicit(1, "cusec", |r| r.read_microseconds("cusec"))?;
            let subkey = s.optional(2, "subkey", EncryptionKey::decode)?;
            let seq_number = s.optional(3, "seq-number", |r| r.read_u32("seq-number"))?;
            s.skip_extensions(3, "EncAPRepPart")?;
            Ok(Self {
                ctime,
                cusec,
                subkey,
                seq_number,
            })
        })
    }
}
