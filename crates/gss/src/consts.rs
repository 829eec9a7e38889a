//! Numbered constants: message types, key usages, error codes, GSS status
//! codes, flag bits, name and address types, OIDs.
//!
//! Sources: RFC 4120 sections 5.2-5.10, 7.5; RFC 4121 sections 2 and 4.1.1;
//! RFC 2744 section 3.9.1 (GSS status codes); RFC 4537; MS-KILE 2.2.

/// Kerberos protocol version (RFC 4120 5.2: pvno, tkt-vno, authenticator-vno).
pub const PVNO: i64 = 5;

/// Message types (RFC 4120 7.5.7); equal to the APPLICATION tag of the message.
pub mod msg_type {
    /// AS-REQ.
    pub const AS_REQ: i64 = 10;
    /// AS-REP.
    pub const AS_REP: i64 = 11;
    /// TGS-REQ.
    pub const TGS_REQ: i64 = 12;
    /// TGS-REP.
    pub const TGS_REP: i64 = 13;
    /// AP-REQ.
    pub const AP_REQ: i64 = 14;
    /// AP-REP.
    pub const AP_REP: i64 = 15;
    /// KRB-SAFE.
    pub const KRB_SAFE: i64 = 20;
    /// KRB-PRIV.
    pub const KRB_PRIV: i64 = 21;
    /// KRB-CRED.
    pub const KRB_CRED: i64 = 22;
    /// KRB-ERROR.
    pub const KRB_ERROR: i64 = 30;
}

/// APPLICATION tag numbers of the messages and encrypted parts (RFC 4120 5).
pub mod app_tag {
    /// Ticket.
    pub const TICKET: u8 = 1;
    /// Authenticator.
    pub const AUTHENTICATOR: u8 = 2;
    /// EncTicketPart.
    pub const ENC_TICKET_PART: u8 = 3;
    /// AP-REQ.
    pub const AP_REQ: u8 = 14;
    /// AP-REP.
    pub const AP_REP: u8 = 15;
    /// KRB-CRED.
    pub const KRB_CRED: u8 = 22;
    /// EncAPRepPart.
    pub const ENC_AP_REP_PART: u8 = 27;
    /// EncKrbCredPart.
    pub const ENC_KRB_CRED_PART: u8 = 29;
    /// KRB-ERROR.
    pub const KRB_ERROR: u8 = 30;
}

/// Key usage numbers (RFC 4120 7.5.1, RFC 4121 2, MS-PAC 2.8).
pub mod key_usage {
    /// AS-REQ PA-ENC-TIMESTAMP padata timestamp.
    pub const AS_REQ_PA_ENC_TIMESTAMP: u32 = 1;
    /// Ticket enc-part (EncTicketPart), encrypted with the service key.
    pub const TICKET: u32 = 2;
    /// AS-REP enc-part.
    pub const AS_REP_ENC_PART: u32 = 3;
    /// TGS-REQ authorization-data, session key.
    pub const TGS_REQ_AD_SESSION_KEY: u32 = 4;
    /// TGS-REQ authorization-data, subkey.
    pub const TGS_REQ_AD_SUBKEY: u32 = 5;
    /// TGS-REQ PA-TGS-REQ authenticator checksum.
    pub const TGS_REQ_AUTH_CKSUM: u32 = 6;
    /// TGS-REQ PA-TGS-REQ authenticator.
    pub const TGS_REQ_AUTH: u32 = 7;
    /// TGS-REP enc-part, session key.
    pub const TGS_REP_ENC_PART_SESSION_KEY: u32 = 8;
    /// TGS-REP enc-part, subkey.
    pub const TGS_REP_ENC_PART_SUBKEY: u32 = 9;
    /// AP-REQ authenticator checksum.
    pub const AP_REQ_AUTH_CKSUM: u32 = 10;
    /// AP-REQ authenticator.
    pub const AP_REQ_AUTH: u32 = 11;
    /// AP-REP enc-part (EncAPRepPart).
    pub const AP_REP_ENC_PART: u32 = 12;
    /// KRB-PRIV enc-part.
    pub const KRB_PRIV_ENC_PART: u32 = 13;
    /// KRB-CRED enc-part (EncKrbCredPart).
    pub const KRB_CRED_ENC_PART: u32 = 14;
    /// KRB-SAFE checksum.
    pub const KRB_SAFE_CKSUM: u32 = 15;
    /// KERB_NON_KERB_CKSUM_SALT: PAC signatures (MS-PAC 2.8).
    pub const KERB_NON_KERB_CKSUM_SALT: u32 = 17;
    /// AD-KDC-ISSUED checksum.
    pub const AD_KDC_ISSUED_CKSUM: u32 = 19;
    /// RFC 4121: acceptor seal (wrap with confidentiality, from the acceptor).
    pub const ACCEPTOR_SEAL: u32 = 22;
    /// RFC 4121: acceptor sign.
    pub const ACCEPTOR_SIGN: u32 = 23;
    /// RFC 4121: initiator seal.
    pub const INITIATOR_SEAL: u32 = 24;
    /// RFC 4121: initiator sign.
    pub const INITIATOR_SIGN: u32 = 25;
}

macro_rules! error_codes {
    ($($name:ident = $v:expr;)*) => {
        impl KrbErrorCode {
            $(
                #[doc = concat!("`", stringify!($name), "` (", stringify!($v), ").")]
                pub const $name: KrbErrorCode = KrbErrorCode($v);
            )*

            /// The RFC 4120 name, e.g. "KRB_AP_ERR_SKEW", or `None` if unknown.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($v => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

/// A Kerberos protocol error code (RFC 4120 7.5.9), as sent in KRB-ERROR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KrbErrorCode(pub i32);

mod error_code_table {
    use super::KrbErrorCode;

    error_codes! {
        KDC_ERR_NONE = 0;
        KDC_ERR_NAME_EXP = 1;
        KDC_ERR_SERVICE_EXP = 2;
        KDC_ERR_BAD_PVNO = 3;
        KDC_ERR_C_OLD_MAST_KVNO = 4;
        KDC_ERR_S_OLD_MAST_KVNO = 5;
        KDC_ERR_C_PRINCIPAL_UNKNOWN = 6;
        KDC_ERR_S_PRINCIPAL_UNKNOWN = 7;
        KDC_ERR_PRINCIPAL_NOT_UNIQUE = 8;
        KDC_ERR_NULL_KEY = 9;
        KDC_ERR_CANNOT_POSTDATE = 10;
        KDC_ERR_NEVER_VALID = 11;
        KDC_ERR_POLICY = 12;
        KDC_ERR_BADOPTION = 13;
        KDC_ERR_ETYPE_NOSUPP = 14;
        KDC_ERR_SUMTYPE_NOSUPP = 15;
        KDC_ERR_PADATA_TYPE_NOSUPP = 16;
        KDC_ERR_TRTYPE_NOSUPP = 17;
        KDC_ERR_CLIENT_REVOKED = 18;
        KDC_ERR_SERVICE_REVOKED = 19;
        KDC_ERR_TGT_REVOKED = 20;
        KDC_ERR_CLIENT_NOTYET = 21;
        KDC_ERR_SERVICE_NOTYET = 22;
        KDC_ERR_KEY_EXPIRED = 23;
        KDC_ERR_PREAUTH_FAILED = 24;
        KDC_ERR_PREAUTH_REQUIRED = 25;
        KDC_ERR_SERVER_NOMATCH = 26;
        KDC_ERR_MUST_USE_USER2USER = 27;
        KDC_ERR_PATH_NOT_ACCEPTED = 28;
        KDC_ERR_SVC_UNAVAILABLE = 29;
        KRB_AP_ERR_BAD_INTEGRITY = 31;
        KRB_AP_ERR_TKT_EXPIRED = 32;
        KRB_AP_ERR_TKT_NYV = 33;
        KRB_AP_ERR_REPEAT = 34;
        KRB_AP_ERR_NOT_US = 35;
        KRB_AP_ERR_BADMATCH = 36;
        KRB_AP_ERR_SKEW = 37;
        KRB_AP_ERR_BADADDR = 38;
        KRB_AP_ERR_BADVERSION = 39;
        KRB_AP_ERR_MSG_TYPE = 40;
        KRB_AP_ERR_MODIFIED = 41;
        KRB_AP_ERR_BADORDER = 42;
        KRB_AP_ERR_BADKEYVER = 44;
        KRB_AP_ERR_NOKEY = 45;
        KRB_AP_ERR_MUT_FAIL = 46;
        KRB_AP_ERR_BADDIRECTION = 47;
        KRB_AP_ERR_METHOD = 48;
        KRB_AP_ERR_BADSEQ = 49;
        KRB_AP_ERR_INAPP_CKSUM = 50;
        KRB_AP_PATH_NOT_ACCEPTED = 51;
        KRB_ERR_RESPONSE_TOO_BIG = 52;
        KRB_ERR_GENERIC = 60;
        KRB_ERR_FIELD_TOOLONG = 61;
        KDC_ERROR_CLIENT_NOT_TRUSTED = 62;
        KDC_ERROR_KDC_NOT_TRUSTED = 63;
        KDC_ERROR_INVALID_SIG = 64;
        KDC_ERR_KEY_TOO_WEAK = 65;
        KDC_ERR_CERTIFICATE_MISMATCH = 66;
        KRB_AP_ERR_NO_TGT = 67;
        KDC_ERR_WRONG_REALM = 68;
        KRB_AP_ERR_USER_TO_USER_REQUIRED = 69;
        KDC_ERR_CANT_VERIFY_CERTIFICATE = 70;
        KDC_ERR_INVALID_CERTIFICATE = 71;
        KDC_ERR_REVOKED_CERTIFICATE = 72;
        KDC_ERR_REVOCATION_STATUS_UNKNOWN = 73;
        KDC_ERR_REVOCATION_STATUS_UNAVAILABLE = 74;
        KDC_ERR_CLIENT_NAME_MISMATCH = 75;
        KDC_ERR_KDC_NAME_MISMATCH = 76;
    }
}

impl std::fmt::Display for KrbErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Kerberos error {}", self.0),
        }
    }
}

/// GSS-API major status codes (RFC 2743 1.2.1.1, values from RFC 2744 3.9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GssMajor {
    /// GSS_S_COMPLETE.
    Complete,
    /// GSS_S_CONTINUE_NEEDED (supplementary).
    ContinueNeeded,
    /// GSS_S_BAD_MECH.
    BadMech,
    /// GSS_S_BAD_NAME.
    BadName,
    /// GSS_S_BAD_NAMETYPE.
    BadNameType,
    /// GSS_S_BAD_BINDINGS.
    BadBindings,
    /// GSS_S_BAD_STATUS.
    BadStatus,
    /// GSS_S_BAD_SIG, also called GSS_S_BAD_MIC.
    BadMic,
    /// GSS_S_NO_CRED.
    NoCred,
    /// GSS_S_NO_CONTEXT.
    NoContext,
    /// GSS_S_DEFECTIVE_TOKEN.
    DefectiveToken,
    /// GSS_S_DEFECTIVE_CREDENTIAL.
    DefectiveCredential,
    /// GSS_S_CREDENTIALS_EXPIRED.
    CredentialsExpired,
    /// GSS_S_CONTEXT_EXPIRED.
    ContextExpired,
    /// GSS_S_FAILURE.
    Failure,
    /// GSS_S_BAD_QOP.
    BadQop,
    /// GSS_S_UNAUTHORIZED.
    Unauthorized,
    /// GSS_S_UNAVAILABLE.
    Unavailable,
    /// GSS_S_DUPLICATE_ELEMENT.
    DuplicateElement,
    /// GSS_S_NAME_NOT_MN.
    NameNotMn,
    /// GSS_S_DUPLICATE_TOKEN (supplementary).
    DuplicateToken,
    /// GSS_S_OLD_TOKEN (supplementary).
    OldToken,
    /// GSS_S_UNSEQ_TOKEN (supplementary).
    UnseqToken,
    /// GSS_S_GAP_TOKEN (supplementary).
    GapToken,
}

impl GssMajor {
    /// The RFC 2744 name, e.g. "GSS_S_DEFECTIVE_TOKEN".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Complete => "GSS_S_COMPLETE",
            Self::ContinueNeeded => "GSS_S_CONTINUE_NEEDED",
            Self::BadMech => "GSS_S_BAD_MECH",
            Self::BadName => "GSS_S_BAD_NAME",
            Self::BadNameType => "GSS_S_BAD_NAMETYPE",
            Self::BadBindings => "GSS_S_BAD_BINDINGS",
            Self::BadStatus => "GSS_S_BAD_STATUS",
            Self::BadMic => "GSS_S_BAD_MIC",
            Self::NoCred => "GSS_S_NO_CRED",
            Self::NoContext => "GSS_S_NO_CONTEXT",
            Self::DefectiveToken => "GSS_S_DEFECTIVE_TOKEN",
            Self::DefectiveCredential => "GSS_S_DEFECTIVE_CREDENTIAL",
            Self::CredentialsExpired => "GSS_S_CREDENTIALS_EXPIRED",
            Self::ContextExpired => "GSS_S_CONTEXT_EXPIRED",
            Self::Failure => "GSS_S_FAILURE",
            Self::BadQop => "GSS_S_BAD_QOP",
            Self::Unauthorized => "GSS_S_UNAUTHORIZED",
            Self::Unavailable => "GSS_S_UNAVAILABLE",
            Self::DuplicateElement => "GSS_S_DUPLICATE_ELEMENT",
            Self::NameNotMn => "GSS_S_NAME_NOT_MN",
            Self::DuplicateToken => "GSS_S_DUPLICATE_TOKEN",
            Self::OldToken => "GSS_S_OLD_TOKEN",
            Self::UnseqToken => "GSS_S_UNSEQ_TOKEN",
            Self::GapToken => "GSS_S_GAP_TOKEN",
        }
    }

    /// The numeric OM_uint32 value from RFC 2744 3.9.1 (routine errors are
    /// shifted left 16 bits, supplementary bits are in the low 16).
    #[must_use]
    pub fn code(self) -> u32 {
        let routine = |n: u32| n << 16;
        match self {
            Self::Complete => 0,
            Self::ContinueNeeded => 1,
            Self::DuplicateToken => 1 << 1,
            Self::OldToken => 1 << 2,
            Self::UnseqToken => 1 << 3,
            Self::GapToken => 1 << 4,
            Self::BadMech => routine(1),
            Self::BadName => routine(2),
            Self::BadNameType => routine(3),
            Self::BadBindings => routine(4),
            Self::BadStatus => routine(5),
            Self::BadMic => routine(6),
            Self::NoCred => routine(7),
            Self::NoContext => routine(8),
            Self::DefectiveToken => routine(9),
            Self::DefectiveCredential => routine(10),
            Self::CredentialsExpired => routine(11),
            Self::ContextExpired => routine(12),
            Self::Failure => routine(13),
            Self::BadQop => routine(14),
            Self::Unauthorized => routine(15),
            Self::Unavailable => routine(16),
            Self::DuplicateElement => routine(17),
            Self::NameNotMn => routine(18),
        }
    }
}

impl std::fmt::Display for GssMajor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// TicketFlags bit numbers (RFC 4120 5.3); bit 0 is the most significant.
pub mod ticket_flags {
    /// forwardable.
    pub const FORWARDABLE: u8 = 1;
    /// forwarded.
    pub const FORWARDED: u8 = 2;
    /// proxiable.
    pub const PROXIABLE: u8 = 3;
    /// proxy.
    pub const PROXY: u8 = 4;
    /// may-postdate.
    pub const MAY_POSTDATE: u8 = 5;
    /// postdated.
    pub const POSTDATED: u8 = 6;
    /// invalid.
    pub const INVALID: u8 = 7;
    /// renewable.
    pub const RENEWABLE: u8 = 8;
    /// initial.
    pub const INITIAL: u8 = 9;
    /// pre-authent.
    pub const PRE_AUTHENT: u8 = 10;
    /// hw-authent.
    pub const HW_AUTHENT: u8 = 11;
    /// transited-policy-checked.
    pub const TRANSITED_POLICY_CHECKED: u8 = 12;
    /// ok-as-delegate.
    pub const OK_AS_DELEGATE: u8 = 13;
}

/// APOptions bit numbers (RFC 4120 5.5.1).
pub mod ap_options {
    /// use-session-key: the ticket is encrypted in the session key of the
    /// server's TGT (user-to-user).
    pub const USE_SESSION_KEY: u8 = 1;
    /// mutual-required: the client wants an AP-REP.
    pub const MUTUAL_REQUIRED: u8 = 2;
}

/// GSS context flags in the 0x8003 checksum (RFC 4121 4.1.1.1, MS-KILE 3.2.5.2).
pub mod gss_flags {
    /// GSS_C_DELEG_FLAG: delegated credentials follow.
    pub const DELEG: u32 = 1;
    /// GSS_C_MUTUAL_FLAG.
    pub const MUTUAL: u32 = 2;
    /// GSS_C_REPLAY_FLAG.
    pub const REPLAY: u32 = 4;
    /// GSS_C_SEQUENCE_FLAG.
    pub const SEQUENCE: u32 = 8;
    /// GSS_C_CONF_FLAG.
    pub const CONF: u32 = 16;
    /// GSS_C_INTEG_FLAG.
    pub const INTEG: u32 = 32;
    /// GSS_C_ANON_FLAG.
    pub const ANON: u32 = 64;
    /// GSS_C_DCE_STYLE (MS-KILE).
    pub const DCE_STYLE: u32 = 0x1000;
    /// GSS_C_IDENTIFY_FLAG (MS-KILE).
    pub const IDENTIFY: u32 = 0x2000;
    /// GSS_C_EXTENDED_ERROR_FLAG (MS-KILE).
    pub const EXTENDED_ERROR: u32 = 0x4000;
}

/// The authenticator checksum type carrying GSS data (RFC 4121 4.1.1).
pub const CKSUMTYPE_GSSAPI: i32 = 0x8003;

/// Principal name types (RFC 4120 6.2, RFC 6806).
pub mod name_type {
    /// NT-UNKNOWN.
    pub const UNKNOWN: i32 = 0;
    /// NT-PRINCIPAL.
    pub const PRINCIPAL: i32 = 1;
    /// NT-SRV-INST.
    pub const SRV_INST: i32 = 2;
    /// NT-SRV-HST.
    pub const SRV_HST: i32 = 3;
    /// NT-SRV-XHST.
    pub const SRV_XHST: i32 = 4;
    /// NT-UID.
    pub const UID: i32 = 5;
    /// NT-X500-PRINCIPAL.
    pub const X500_PRINCIPAL: i32 = 6;
    /// NT-SMTP-NAME.
    pub const SMTP_NAME: i32 = 7;
    /// NT-ENTERPRISE (RFC 6806).
    pub const ENTERPRISE: i32 = 10;
    /// NT-WELLKNOWN (RFC 6111).
    pub const WELLKNOWN: i32 = 11;
    /// NT-SRV-HST-DOMAIN.
    pub const SRV_HST_DOMAIN: i32 = 12;
}

/// Host address types (RFC 4120 7.5.3).
pub mod addr_type {
    /// IPv4.
    pub const IPV4: i32 = 2;
    /// Directional (RFC 4120 8.1).
    pub const DIRECTIONAL: i32 = 3;
    /// ChaosNet.
    pub const CHAOSNET: i32 = 5;
    /// XNS.
    pub const XNS: i32 = 6;
    /// ISO.
    pub const ISO: i32 = 7;
    /// DECNET Phase IV.
    pub const DECNET: i32 = 12;
    /// AppleTalk DDP.
    pub const APPLETALK: i32 = 16;
    /// NetBIOS.
    pub const NETBIOS: i32 = 20;
    /// IPv6.
    pub const IPV6: i32 = 24;
}

/// Authorization data types (RFC 4120 7.5.4, RFC 4537, MS-KILE 3.1.1.4).
pub mod ad_type {
    /// AD-IF-RELEVANT: a nested AuthorizationData.
    pub const IF_RELEVANT: i32 = 1;
    /// AD-KDCIssued.
    pub const KDC_ISSUED: i32 = 4;
    /// AD-AND-OR.
    pub const AND_OR: i32 = 5;
    /// AD-MANDATORY-FOR-KDC.
    pub const MANDATORY_FOR_KDC: i32 = 8;
    /// AD-WIN2K-PAC (MS-PAC).
    pub const WIN2K_PAC: i32 = 128;
    /// AD-ETYPE-NEGOTIATION (RFC 4537).
    pub const ETYPE_NEGOTIATION: i32 = 129;
    /// KERB-AD-RESTRICTION-ENTRY.
    pub const KERB_AD_RESTRICTION_ENTRY: i32 = 141;
    /// KERB-LOCAL.
    pub const KERB_LOCAL: i32 = 142;
    /// AD-AUTH-DATA-AP-OPTIONS.
    pub const AUTH_DATA_AP_OPTIONS: i32 = 143;
    /// AD-TARGET-PRINCIPAL.
    pub const TARGET_PRINCIPAL: i32 = 144;
}

/// OBJECT IDENTIFIER contents octets (without tag and length).
pub mod oid {
    /// Kerberos V5, 1.2.840.113554.1.2.2 (RFC 1964).
    pub const KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    /// Microsoft's Kerberos V5 OID, 1.2.840.48018.1.2.2.
    pub const MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
    /// Kerberos V5 user-to-user, 1.2.840.113554.1.2.2.3.
    pub const KRB5_U2U: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03];
    /// SPNEGO, 1.3.6.1.5.5.2 (RFC 4178).
    pub const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    /// NTLMSSP, 1.3.6.1.4.1.311.2.2.10.
    pub const NTLM: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    /// NEGOEX, 1.3.6.1.4.1.311.2.2.30.
    pub const NEGOEX: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_names() {
        assert_eq!(KrbErrorCode::KRB_AP_ERR_SKEW.0, 37);
        assert_eq!(KrbErrorCode(37).name(), Some("KRB_AP_ERR_SKEW"));
        assert_eq!(KrbErrorCode(41).to_string(), "KRB_AP_ERR_MODIFIED");
        assert_eq!(KrbErrorCode(9999).to_string(), "Kerberos error 9999");
    }

    #[test]
    fn gss_major_codes() {
        assert_eq!(GssMajor::DefectiveToken.code(), 0x0009_0000);
        assert_eq!(GssMajor::ContinueNeeded.code(), 1);
        assert_eq!(GssMajor::BadMic.name(), "GSS_S_BAD_MIC");
    }
}
