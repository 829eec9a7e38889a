//! Why a SPNEGO exchange failed.

use std::fmt;

use crate::consts::GssMajor;
use crate::der::DecodeError;
use crate::error::AcceptError;
use crate::wrap::WrapError;

/// Longest list of offered mechanisms kept for a message.
const MAX_NAMED: usize = 8;

/// A SPNEGO (RFC 4178) failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpnegoError {
    /// The negotiation token is malformed.
    Defective(DecodeError),
    /// The client offered NTLM and no Kerberos mechanism, or sent a raw NTLMSSP message.
    NtlmOnly {
        /// True for a raw NTLMSSP message (no SPNEGO around it).
        raw: bool,
    },
    /// The client offered neither Kerberos nor NTLM.
    NoCommonMech {
        /// The offered mechanism OIDs in dotted form (at most eight).
        offered: Vec<String>,
    },
    /// A token that does not fit the exchange's state.
    UnexpectedToken {
        /// What arrived or what was missing.
        what: &'static str,
    },
    /// The Kerberos token inside was refused.
    Accept(Box<AcceptError>),
    /// RFC 4178 5: a mechListMIC was required with the initiator's last token but
    /// none came.
    MicMissing,
    /// The initiator's mechListMIC did not verify.
    BadMic(WrapError),
    /// Our own mechListMIC could not be made.
    MicFailed(WrapError),
}

impl SpnegoError {
    /// The GSS-API major status (RFC 2743 1.2.1.1).
    #[must_use]
    pub fn gss_major(&self) -> GssMajor {
        match self {
            Self::Defective(d) => d.gss_major(),
            Self::NtlmOnly { .. } | Self::NoCommonMech { .. } => GssMajor::BadMech,
            Self::UnexpectedToken { .. } | Self::MicMissing => GssMajor::DefectiveToken,
            Self::Accept(e) => e.gss_major(),
            Self::BadMic(_) => GssMajor::BadMic,
            Self::MicFailed(_) => GssMajor::Failure,
        }
    }

    /// The condition's name for machines: the Kerberos code of a refused AP-REQ, else
    /// the GSS major status name.
    #[must_use]
    pub fn code_name(&self) -> String {
        match self {
            Self::Accept(e) => e.code_name(),
            _ => self.gss_major().name().to_string(),
        }
    }

    /// True when the client offered only NTLM.
    #[must_use]
    pub fn is_ntlm(&self) -> bool {
        matches!(self, Self::NtlmOnly { .. })
    }

    pub(crate) fn no_common_mech(offered: impl Iterator<Item = String>) -> Self {
        Self::NoCommonMech {
            offered: offered.take(MAX_NAMED).collect(),
        }
    }
}

impl From<DecodeError> for SpnegoError {
    fn from(e: DecodeError) -> Self {
        Self::Defective(e)
    }
}

impl fmt::Display for SpnegoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Defective(d) => write!(f, "SPNEGO: {d}"),
            Self::NtlmOnly { raw } => write!(
                f,
                "client offered only NTLM{} (GSS_S_BAD_MECH), and kerbgate speaks Kerberos; \
                 check that the client has a Kerberos ticket for this service (kinit, the \
                 service principal name, browser Negotiate settings)",
                if *raw { " (a raw NTLMSSP message)" } else { "" }
            ),
            Self::NoCommonMech { offered } => write!(
                f,
                "no common mechanism (GSS_S_BAD_MECH): client offered [{}], kerbgate accepts \
                 Kerberos V5 (1.2.840.113554.1.2.2 or 1.2.840.48018.1.2.2)",
                offered.join(", ")
            ),
            Self::UnexpectedToken { what } => {
                write!(f, "defective SPNEGO token (GSS_S_DEFECTIVE_TOKEN): {what}")
            }
            Self::Accept(e) => e.fmt(f),
            Self::MicMissing => f.write_str(
                "mechListMIC missing (GSS_S_DEFECTIVE_TOKEN): RFC 4178 section 5 requires one \
                 because kerbgate did not choose the client's first mechanism",
            ),
            Self::BadMic(e) => write!(
                f,
                "mechListMIC did not verify (GSS_S_BAD_MIC): the mechanism list may have been \
                 altered in transit; {e}"
            ),
            Self::MicFailed(e) => write!(f, "could not make the mechListMIC: {e}"),
        }
    }
}

impl std::error::Error for SpnegoError {}
