//! The PAC error type.

use std::fmt;

/// Why a PAC was refused: malformed, inconsistent with the ticket, or badly signed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacError {
    /// Fewer bytes than a structure needs.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A count is larger than the bytes left could hold.
    CountTooLarge {
        /// What was being counted.
        what: &'static str,
        /// The count as sent.
        count: u64,
    },
    /// A PAC_INFO_BUFFER points outside the PAC or at an unaligned offset.
    BadBufferBounds {
        /// The buffer type.
        ul_type: u32,
        /// The offset as sent.
        offset: u64,
        /// The size as sent.
        size: u32,
    },
    /// Two PAC buffers overlap.
    OverlappingBuffers {
        /// One buffer type.
        first: u32,
        /// The other buffer type.
        second: u32,
    },
    /// A buffer type that may appear once appears twice.
    DuplicateBuffer {
        /// The buffer type.
        ul_type: u32,
    },
    /// The PACTYPE version is not 0.
    BadVersion {
        /// The version as sent.
        version: u32,
    },
    /// A field is malformed.
    Malformed {
        /// What was wrong.
        what: &'static str,
    },
    /// A required buffer is missing.
    MissingBuffer {
        /// The buffer type.
        ul_type: u32,
    },
    /// The signature's checksum type cannot be used with the key given.
    UnusableChecksum {
        /// Which signature.
        which: &'static str,
        /// The checksum type in the PAC.
        cksumtype: i32,
        /// The key's enctype.
        enctype: i32,
    },
    /// A signature did not verify.
    BadSignature {
        /// Which signature.
        which: &'static str,
    },
    /// PAC_CLIENT_INFO does not match the ticket.
    ClientInfoMismatch {
        /// Which field differed: "name" or "authtime".
        field: &'static str,
    },
    /// PAC_REQUESTOR's SID is not the logon info's user SID.
    RequestorMismatch,
    /// No AD-WIN2K-PAC (ad-type 128) in the authorization data.
    NoPac,
    /// More than one AD-WIN2K-PAC in the ticket.
    MultiplePacs,
    /// The EncTicketPart given for the ticket signature carries another PAC.
    PacNotInTicket,
}

impl fmt::Display for PacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "malformed PAC: {what} needs {needed} bytes, {available} left; \
                 check the KDC or the ticket source"
            ),
            Self::CountTooLarge { what, count } => write!(
                f,
                "malformed PAC: {what} count {count} exceeds the bytes present; \
                 the PAC is corrupt or hostile"
            ),
            Self::BadBufferBounds {
                ul_type,
                offset,
                size,
            } => write!(
                f,
                "malformed PAC: buffer type {ul_type} at offset {offset} size {size} is \
                 outside the PAC or not 8-byte aligned (MS-PAC 2.4)"
            ),
            Self::OverlappingBuffers { first, second } => write!(
                f,
                "malformed PAC: buffers of types {first} and {second} overlap"
            ),
            Self::DuplicateBuffer { ul_type } => {
                write!(
                    f,
                    "malformed PAC: buffer type {ul_type} appears more than once"
                )
            }
            Self::BadVersion { version } => {
                write!(
                    f,
                    "malformed PAC: PACTYPE version {version}, expected 0 (MS-PAC 2.3)"
                )
            }
            Self::Malformed { what } => write!(f, "malformed PAC: {what}"),
            Self::MissingBuffer { ul_type } => {
                write!(
                    f,
                    "PAC has no buffer of type {ul_type}; check the KDC's PAC settings"
                )
            }
            Self::UnusableChecksum {
                which,
                cksumtype,
                enctype,
            } => write!(
                f,
                "PAC {which} signature type {cksumtype} cannot be checked with an enctype \
                 {enctype} key; check which key the KDC used"
            ),
            Self::BadSignature { which } => write!(
                f,
                "PAC {which} signature does not verify (KRB_AP_ERR_MODIFIED); \
                 check the keytab matches the KDC or the PAC was altered"
            ),
            Self::ClientInfoMismatch { field } => write!(
                f,
                "PAC_CLIENT_INFO {field} does not match the ticket (MS-PAC 2.7); \
                 the PAC belongs to another ticket"
            ),
            Self::RequestorMismatch => write!(
                f,
                "PAC_REQUESTOR SID does not match the logon info user SID (MS-PAC 2.15)"
            ),
            Self::NoPac => write!(f, "ticket carries no PAC (AD-WIN2K-PAC, ad-type 128)"),
            Self::MultiplePacs => write!(f, "ticket carries more than one PAC"),
            Self::PacNotInTicket => write!(
                f,
                "the EncTicketPart given carries another PAC; pass the ticket this PAC came in"
            ),
        }
    }
}

impl std::error::Error for PacError {}
