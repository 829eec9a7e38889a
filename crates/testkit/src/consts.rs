//! Numbered constants: key usages, message types, flags, OIDs.

/// RFC 4120 7.5.1 key usage: EncTicketPart, encrypted with the service key.
pub const KU_TICKET: u32 = 2;
/// RFC 4120 7.5.1 key usage: AP-REQ Authenticator checksum (non-GSS use).
pub const KU_AP_REQ_AUTH_CKSUM: u32 = 10;
/// RFC 4120 7.5.1 key usage: AP-REQ Authenticator, encrypted with the session key.
pub const KU_AP_REQ_AUTH: u32 = 11;
/// RFC 4120 7.5.1 key usage: EncAPRepPart, encrypted with the session key.
pub const KU_AP_REP_ENCPART: u32 = 12;
/// RFC 4120 7.5.1 key usage: EncKrbCredPart.
pub const KU_KRB_CRED_ENCPART: u32 = 14;

/// RFC 4120 5.10 message type of AP-REQ.
pub const MSG_AP_REQ: i64 = 14;
/// RFC 4120 5.10 message type of AP-REP.
pub const MSG_AP_REP: i64 = 15;
/// RFC 4120 5.10 message type of KRB-CRED.
pub const MSG_KRB_CRED: i64 = 22;
/// RFC 4120 5.10 message type of KRB-ERROR.
pub const MSG_KRB_ERROR: i64 = 30;
/// The protocol version number, pvno (RFC 4120 5.1).
pub const PVNO: i64 = 5;

/// ASN.1 APPLICATION tag numbers (RFC 4120 5.1).
pub mod app {
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

/// TicketFlags bits (RFC 4120 5.3), as masks over the 32-bit KerberosFlags
/// where bit 0 is the most significant bit.
pub mod ticket_flags {
    /// forwardable (1).
    pub const FORWARDABLE: u32 = 1 << 30;
    /// forwarded (2).
    pub const FORWARDED: u32 = 1 << 29;
    /// proxiable (3).
    pub const PROXIABLE: u32 = 1 << 28;
    /// proxy (4).
    pub const PROXY: u32 = 1 << 27;
    /// may-postdate (5).
    pub const MAY_POSTDATE: u32 = 1 << 26;
    /// postdated (6).
    pub const POSTDATED: u32 = 1 << 25;
    /// invalid (7).
    pub const INVALID: u32 = 1 << 24;
    /// renewable (8).
    pub const RENEWABLE: u32 = 1 << 23;
    /// initial (9).
    pub const INITIAL: u32 = 1 << 22;
    /// pre-authent (10).
    pub const PRE_AUTHENT: u32 = 1 << 21;
    /// hw-authent (11).
    pub const HW_AUTHENT: u32 = 1 << 20;
    /// transited-policy-checked (12).
    pub const TRANSITED_POLICY_CHECKED: u32 = 1 << 19;
    /// ok-as-delegate (13).
    pub const OK_AS_DELEGATE: u32 = 1 << 18;
}

/// APOptions bits (RFC 4120 5.5.1).
pub mod ap_options {
    /// use-session-key (1).
    pub const USE_SESSION_KEY: u32 = 1 << 30;
    /// mutual-required (2).
    pub const MUTUAL_REQUIRED: u32 = 1 << 29;
}

/// GSS checksum flags (RFC 4121 4.1.1.1, RFC 4757 for DCE style).
pub mod gss_flags {
    /// GSS_C_DELEG_FLAG.
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
    /// GSS_C_DCE_STYLE.
    pub const DCE_STYLE: u32 = 0x1000;
}

/// Checksum type of the RFC 4121 4.1.1 authenticator checksum.
pub const CKSUMTYPE_GSSAPI: i32 = 0x8003;

/// Authorization data types (RFC 4120 7.5.4, RFC 4537).
pub mod ad_type {
    /// AD-IF-RELEVANT.
    pub const IF_RELEVANT: i32 = 1;
    /// AD-KDC-ISSUED.
    pub const KDC_ISSUED: i32 = 4;
    /// AD-AND-OR.
    pub const AND_OR: i32 = 5;
    /// AD-MANDATORY-FOR-KDC.
    pub const MANDATORY_FOR_KDC: i32 = 8;
    /// AD-WIN2K-PAC.
    pub const WIN2K_PAC: i32 = 128;
    /// KERB-AD-ENCTYPE-NEGOTIATION (RFC 4537).
    pub const ENCTYPE_NEGOTIATION: i32 = 129;
}

/// Host address types (RFC 4120 7.5.3).
pub mod addr_type {
    /// IPv4.
    pub const IPV4: i32 = 2;
    /// IPv6.
    pub const IPV6: i32 = 24;
    /// NetBios.
    pub const NETBIOS: i32 = 20;
}

/// Principal name types (RFC 4120 6.2).
pub mod name_type {
    /// KRB5_NT_PRINCIPAL.
    pub const PRINCIPAL: i32 = 1;
    /// KRB5_NT_SRV_INST.
    pub const SRV_INST: i32 = 2;
    /// KRB5_NT_SRV_HST.
    pub const SRV_HST: i32 = 3;
}

/// Transited encoding type DOMAIN-X500-COMPRESS (RFC 4120 3.3.3.2).
pub const TR_DOMAIN_X500_COMPRESS: i32 = 1;

/// GSS token IDs (RFC 4121 4.1).
pub mod token_id {
    /// KRB_AP_REQ.
    pub const AP_REQ: [u8; 2] = [0x01, 0x00];
    /// KRB_AP_REP.
    pub const AP_REP: [u8; 2] = [0x02, 0x00];
    /// KRB_ERROR.
    pub const KRB_ERROR: [u8; 2] = [0x03, 0x00];
}

/// DER content octets of the Kerberos V5 mechanism OID 1.2.840.113554.1.2.2 (RFC 1964).
pub const KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER content octets of Microsoft's Kerberos OID 1.2.840.48018.1.2.2.
pub const MS_KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
