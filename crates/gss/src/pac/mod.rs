//! The Microsoft Privilege Attribute Certificate (MS-PAC): decoding and signature checks.
//!
//! A Windows KDC puts a PAC in each ticket, inside AD-IF-RELEVANT as an AD-WIN2K-PAC
//! element (ad-type 128, MS-PAC 2.1). It carries the user's SID, groups, names and
//! two signatures: the server signature (keyed with the service's own key, so an
//! acceptor can check it) and the KDC signature (keyed with the krbtgt key).
//!
//! ```no_run
//! # fn f(ctx: &kerbgate::SecurityContext, key: &kerbgate_crypto::Key)
//! #     -> Result<(), kerbgate::pac::PacError> {
//! use kerbgate::pac::Pac;
//! if let Some(pac) = Pac::from_authorization_data(ctx.authorization_data())? {
//!     pac.verify_server_signature(key)?;
//!     pac.check_client_info(&ctx.client().to_string(), ctx.authtime())?;
//!     for sid in pac.group_sids() {
//!         println!("{sid} {}", sid.well_known_name().unwrap_or(""));
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The KDC, ticket (MS-PAC 2.8.3) and full-PAC (2.8.5) signatures need the krbtgt key,
//! which only the KDC holds; they are verified when a caller supplies it
//! ([`Pac::check_signatures`], [`Pac::verify_ticket_signature`] with the decrypted
//! EncTicketPart).
//!
//! # Limitations
//! - The acceptor does not keep the decrypted EncTicketPart, so the ticket signature
//!   can be checked only by callers that decrypt the ticket themselves.
//! - Claims, credentials and device buffers are kept as bytes, not decoded.

mod buffers;
mod error;
mod logon_info;
mod ndr;
mod policy;
mod report;
mod sid;
mod ticket_sig;
mod verify;

use crate::context::AuthzElement;

pub use buffers::{
    signature_len, AttributesInfo, ClientInfo, DelegationInfo, SignatureData, UpnDnsInfo,
};
pub use error::PacError;
pub use logon_info::{group_attrs, GroupMembership, LogonInfo, SidAndAttributes};
pub use policy::{check_ticket_pac, PacPolicy};
pub use report::{SignatureCheck, SignatureKeys, SignatureReport};
pub use sid::{domain_rid_name, Sid, MAX_SUB_AUTHORITIES};
pub use ticket_sig::{ticket_signature_input, TicketSignatureInput};
pub use verify::KERB_NON_KERB_CKSUM_SALT;

use ndr::Cursor;

/// AD-WIN2K-PAC, the authorization-data type of a PAC (MS-PAC 2.1).
pub const AD_WIN2K_PAC: i32 = 128;

/// PAC_INFO_BUFFER ulType values (MS-PAC 2.4).
pub mod buffer_type {
    /// KERB_VALIDATION_INFO.
    pub const LOGON_INFO: u32 = 1;
    /// PAC_CREDENTIAL_INFO.
    pub const CREDENTIALS: u32 = 2;
    /// Server checksum.
    pub const SERVER_CHECKSUM: u32 = 6;
    /// KDC (privilege server) checksum.
    pub const KDC_CHECKSUM: u32 = 7;
    /// PAC_CLIENT_INFO.
    pub const CLIENT_INFO: u32 = 10;
    /// S4U_DELEGATION_INFO.
    pub const DELEGATION_INFO: u32 = 11;
    /// UPN_DNS_INFO.
    pub const UPN_DNS_INFO: u32 = 12;
    /// PAC_CLIENT_CLAIMS_INFO.
    pub const CLIENT_CLAIMS: u32 = 13;
    /// PAC_DEVICE_INFO.
    pub const DEVICE_INFO: u32 = 14;
    /// PAC_DEVICE_CLAIMS_INFO.
    pub const DEVICE_CLAIMS: u32 = 15;
    /// Ticket checksum.
    pub const TICKET_CHECKSUM: u32 = 16;
    /// PAC_ATTRIBUTES_INFO.
    pub const ATTRIBUTES_INFO: u32 = 17;
    /// PAC_REQUESTOR.
    pub const REQUESTOR: u32 = 18;
    /// Extended KDC (full PAC) checksum.
    pub const FULL_PAC_CHECKSUM: u32 = 19;
}

/// Most buffers a PAC may list; real ones have under 20.
pub const MAX_BUFFERS: u32 = 256;

/// One PAC_INFO_BUFFER: its type and where its bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferInfo {
    /// ulType.
    pub ul_type: u32,
    /// Offset from the PAC start.
    pub offset: usize,
    /// cbBufferSize.
    pub size: usize,
}

/// A decoded PAC. Construction checks structure only; signatures are checked by the
/// `verify_*` methods.
#[derive(Clone)]
pub struct Pac {
    raw: Vec<u8>,
    buffers: Vec<BufferInfo>,
    logon_info: Option<LogonInfo>,
    client_info: Option<ClientInfo>,
    upn_dns: Option<UpnDnsInfo>,
    attributes: Option<AttributesInfo>,
    requestor: Option<Sid>,
    delegation: Option<DelegationInfo>,
    server_sig: Option<SignatureData>,
    kdc_sig: Option<SignatureData>,
    ticket_sig: Option<SignatureData>,
    full_sig: Option<SignatureData>,
    /// Set by [`check_ticket_pac`] once the server signature verified.
    server_verified: bool,
}

impl std::fmt::Debug for Pac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pac")
            .field("len", &self.raw.len())
            .field("buffers", &self.buffers)
            .field("user_sid", &self.user_sid())
            .finish_non_exhaustive()
    }
}

/// Buffer types that may appear at most once.
fn unique_type(t: u32) -> bool {
    use buffer_type::*;
    matches!(
        t,
        LOGON_INFO
            | CREDENTIALS
            | SERVER_CHECKSUM
            | KDC_CHECKSUM
            | CLIENT_INFO
            | DELEGATION_INFO
            | UPN_DNS_INFO
            | CLIENT_CLAIMS
            | DEVICE_INFO
            | DEVICE_CLAIMS
            | TICKET_CHECKSUM
            | ATTRIBUTES_INFO
            | REQUESTOR
            | FULL_PAC_CHECKSUM
    )
}

fn read_table(bytes: &[u8]) -> Result<Vec<BufferInfo>, PacError> {
    let mut c = Cursor::new(bytes);
    let count = c.u32_le("PACTYPE cBuffers")?;
    let version = c.u32_le("PACTYPE Version")?;
    // MS-PAC 2.3: Version must be 0.
    if version != 0 {
        return Err(PacError::BadVersion { version });
    }
    // CVE-2022-42898: cap the count by the bytes present before allocating.
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if count > MAX_BUFFERS || n.saturating_mul(16) > c.remaining() {
        return Err(PacError::CountTooLarge {
            what: "PAC buffer",
            count: count.into(),
        });
    }
    let header_end = 8 + 16 * n;

    let mut out: Vec<BufferInfo> = Vec::with_capacity(n);
    for _ in 0..n {
        let ul_type = c.u32_le("PAC_INFO_BUFFER ulType")?;
        let size = c.u32_le("PAC_INFO_BUFFER cbBufferSize")?;
        let offset = c.u64_le("PAC_INFO_BUFFER Offset")?;
        // MS-PAC 2.4: 8-byte aligned, after the table, inside the PAC.
        let bad = PacError::BadBufferBounds {
            ul_type,
            offset,
            size,
        };
        let Ok(off) = usize::try_from(offset) else {
            return Err(bad);
        };
        let sz = usize::try_from(size).unwrap_or(usize::MAX);
        if off % 8 != 0 || off < header_end || off.checked_add(sz).is_none_or(|e| e > bytes.len()) {
            return Err(bad);
        }
        if unique_type(ul_type) && out.iter().any(|b| b.ul_type == ul_type) {
            return Err(PacError::DuplicateBuffer { ul_type });
        }
        out.push(BufferInfo {
            ul_type,
            offset: off,
            size: sz,
        });
    }

    // No two buffers may share bytes (overlap would let one signed field alias another).
    let mut sorted: Vec<&BufferInfo> = out.iter().filter(|b| b.size > 0).collect();
    sorted.sort_by_key(|b| b.offset);
    for w in sorted.windows(2) {
        if let [a, b] = w {
            if a.offset + a.size > b.offset {
                return Err(PacError::OverlappingBuffers {
                    first: a.ul_type,
                    second: b.ul_type,
                });
            }
        }
    }
    Ok(out)
}

impl Pac {
    /// Decodes a PACTYPE and every buffer kerbgate understands (MS-PAC 2.3 to 2.15).
    ///
    /// # Errors
    /// [`PacError`] for any malformed count, offset or buffer, a duplicated buffer
    /// type, or a PAC_REQUESTOR SID that is not the logon info's user SID.
    pub fn parse(bytes: &[u8]) -> Result<Pac, PacError> {
        let buffers = read_table(bytes)?;
        let mut pac = Pac {
            raw: bytes.to_vec(),
            buffers,
            logon_info: None,
            client_info: None,
            upn_dns: None,
            attributes: None,
            requestor: None,
            delegation: None,
            server_sig: None,
            kdc_sig: None,
            ticket_sig: None,
            full_sig: None,
            server_verified: false,
        };

        for b in pac.buffers.clone() {
            let data = bytes.get(b.offset..b.offset + b.size).unwrap_or_default();
            use buffer_type::*;
            match b.ul_type {
                LOGON_INFO => pac.logon_info = Some(LogonInfo::parse(data)?),
                CLIENT_INFO => pac.client_info = Some(ClientInfo::parse(data)?),
                UPN_DNS_INFO => pac.upn_dns = Some(UpnDnsInfo::parse(data)?),
                ATTRIBUTES_INFO => pac.attributes = Some(AttributesInfo::parse(data)?),
                REQUESTOR => pac.requestor = Some(Sid::from_bytes(data)?),
                DELEGATION_INFO => pac.delegation = Some(DelegationInfo::parse(data)?),
                SERVER_CHECKSUM => pac.server_sig = Some(SignatureData::parse(data, b.offset)?),
                KDC_CHECKSUM => pac.kdc_sig = Some(SignatureData::parse(data, b.offset)?),
                TICKET_CHECKSUM => pac.ticket_sig = Some(SignatureData::parse(data, b.offset)?),
                FULL_PAC_CHECKSUM => pac.full_sig = Some(SignatureData::parse(data, b.offset)?),
                _ => {}
            }
        }

        // MS-PAC 2.15: the requestor SID must be the user's SID.
        if let (Some(req), Some(user)) = (&pac.requestor, pac.user_sid()) {
            if *req != user {
                return Err(PacError::RequestorMismatch);
            }
        }
        Ok(pac)
    }

    /// Finds and decodes the PAC in a context's authorization data: an AD-WIN2K-PAC
    /// (ad-type 128) element from the ticket, inside AD-IF-RELEVANT (MS-PAC 2.1).
    /// Elements from the authenticator are ignored: the client chose them.
    ///
    /// Returns `Ok(None)` when the ticket has no PAC.
    ///
    /// # Errors
    /// [`PacError::MultiplePacs`] if the ticket has more than one, or any error of
    /// [`Pac::parse`].
    pub fn from_authorization_data(ad: &[AuthzElement]) -> Result<Option<Pac>, PacError> {
        let mut found = ad
            .iter()
            .filter(|e| e.ad_type == AD_WIN2K_PAC && e.from_ticket && e.if_relevant);
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(PacError::MultiplePacs);
        }
        Pac::parse(&first.data).map(Some)
    }

    /// The PAC as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The buffer table, in PAC order.
    pub fn buffers(&self) -> &[BufferInfo] {
        &self.buffers
    }

    /// The raw bytes of the first buffer of `ul_type` (e.g. claims or credentials).
    pub fn buffer(&self, ul_type: u32) -> Option<&[u8]> {
        let b = self.buffers.iter().find(|b| b.ul_type == ul_type)?;
        self.raw.get(b.offset..b.offset + b.size)
    }

    /// KERB_VALIDATION_INFO, if present.
    pub fn logon_info(&self) -> Option<&LogonInfo> {
        self.logon_info.as_ref()
    }

    /// PAC_CLIENT_INFO, if present.
    pub fn client_info(&self) -> Option<&ClientInfo> {
        self.client_info.as_ref()
    }

    /// UPN_DNS_INFO, if present.
    pub fn upn_dns_info(&self) -> Option<&UpnDnsInfo> {
        self.upn_dns.as_ref()
    }

    /// PAC_ATTRIBUTES_INFO, if present.
    pub fn attributes_info(&self) -> Option<&AttributesInfo> {
        self.attributes.as_ref()
    }

    /// The PAC_REQUESTOR SID, if present.
    pub fn requestor(&self) -> Option<&Sid> {
        self.requestor.as_ref()
    }

    /// S4U_DELEGATION_INFO, if present.
    pub fn delegation_info(&self) -> Option<&DelegationInfo> {
        self.delegation.as_ref()
    }

    /// The server signature (type 6).
    pub fn server_signature(&self) -> Option<&SignatureData> {
        self.server_sig.as_ref()
    }

    /// The KDC signature (type 7).
    pub fn kdc_signature(&self) -> Option<&SignatureData> {
        self.kdc_sig.as_ref()
    }

    /// The ticket signature (type 16).
    pub fn ticket_signature(&self) -> Option<&SignatureData> {
        self.ticket_sig.as_ref()
    }

    /// The full PAC signature (type 19).
    pub fn full_pac_signature(&self) -> Option<&SignatureData> {
        self.full_sig.as_ref()
    }

    /// The user's SID: logon domain SID plus UserId; else the extended UPN_DNS_INFO SID.
    pub fn user_sid(&self) -> Option<Sid> {
        self.logon_info
            .as_ref()
            .and_then(LogonInfo::user_sid)
            .or_else(|| self.upn_dns.as_ref().and_then(|u| u.sid))
    }

    /// Every group SID (domain groups, extra SIDs, resource groups); empty without
    /// logon info.
    pub fn group_sids(&self) -> Vec<Sid> {
        self.logon_info
            .as_ref()
            .map(LogonInfo::group_sids)
            .unwrap_or_default()
    }

    /// The UPN from UPN_DNS_INFO.
    pub fn upn(&self) -> Option<&str> {
        self.upn_dns.as_ref().map(|u| u.upn.as_str())
    }

    /// The NetBIOS logon domain name from the logon info.
    pub fn logon_domain(&self) -> Option<&str> {
        self.logon_info
            .as_ref()
            .map(|l| l.logon_domain_name.as_str())
    }

    /// Checks PAC_CLIENT_INFO against the ticket (MS-PAC 2.7): the name must equal
    /// `client_name` (with or without its `@REALM` suffix) and ClientId the authtime
    /// (Unix seconds).
    ///
    /// # Errors
    /// [`PacError::MissingBuffer`] or [`PacError::ClientInfoMismatch`].
    pub fn check_client_info(&self, client_name: &str, authtime: i64) -> Result<(), PacError> {
        let Some(ci) = &self.client_info else {
            return Err(PacError::MissingBuffer {
                ul_type: buffer_type::CLIENT_INFO,
            });
        };
        if ci.authtime_unix() != Some(authtime) {
            return Err(PacError::ClientInfoMismatch { field: "authtime" });
        }
        let without_realm = client_name.rsplit_once('@').map(|(n, _)| n);
        if ci.name != client_name && Some(ci.name.as_str()) != without_realm {
            return Err(PacError::ClientInfoMismatch { field: "name" });
        }
        Ok(())
    }
}
