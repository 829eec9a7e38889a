//! Authorization by Active Directory group: allow or refuse a login by the SIDs in the
//! ticket's verified PAC (MS-PAC 2.5 KERB_VALIDATION_INFO group memberships, extra
//! SIDs and resource groups, plus the user's own SID).
//!
//! ```
//! use kerbgate::authz::GroupPolicy;
//!
//! let policy = GroupPolicy::new()
//!     .require_any_of(["S-1-5-21-1-2-3-1104".parse().unwrap()])
//!     .deny("S-1-5-21-1-2-3-514".parse().unwrap());
//! assert!(!policy.is_empty());
//! // After the acceptor: policy.check(&context)?
//! ```
//!
//! A rule is decided on the PAC the acceptor verified (server signature, MS-PAC
//! 2.8.1): a context without a PAC, or whose PAC's signature the acceptor's policy
//! skipped, is refused by any group rule.

use std::fmt;

use crate::context::SecurityContext;
use crate::pac::{Pac, Sid};

/// Why a group rule refused a login.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthzError {
    /// The ticket carries no PAC, so group membership is unknown.
    NoPac,
    /// The PAC's server signature was not verified (the acceptor's policy skipped it).
    UnverifiedPac,
    /// The user, or one of their groups, is on the deny list.
    Denied {
        /// The denied SID found in the PAC.
        sid: Sid,
    },
    /// None of the required SIDs is in the PAC.
    NotMember {
        /// How many SIDs the PAC lists (user and groups).
        pac_sids: usize,
        /// Whether the PAC has logon info at all (MIT and Heimdal KDCs omit it).
        has_logon_info: bool,
    },
}

impl fmt::Display for AuthzError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPac => write!(
                f,
                "group rule cannot be checked: the ticket carries no PAC (MS-PAC); \
                 only Active Directory (or a KDC configured to add group data) issues one"
            ),
            Self::UnverifiedPac => write!(
                f,
                "group rule refused: the PAC's server signature was not verified; \
                 do not skip PAC signature checks when authorizing by group"
            ),
            Self::Denied { sid } => match sid.well_known_name() {
                Some(name) => write!(f, "access denied: member of denied group {sid} ({name})"),
                None => write!(f, "access denied: member of denied group {sid}"),
            },
            Self::NotMember {
                has_logon_info: false,
                ..
            } => write!(
                f,
                "access denied: the PAC has no logon info, so no groups (an MIT or Heimdal \
                 KDC's minimal PAC); group rules need an Active Directory ticket"
            ),
            Self::NotMember { pac_sids, .. } => write!(
                f,
                "access denied: none of the {pac_sids} SIDs in the PAC is a required group; \
                 check the user's group membership in the directory"
            ),
        }
    }
}

impl std::error::Error for AuthzError {}

/// Group-SID rules: refuse if any deny SID is present, then require at least one of
/// the required SIDs (when any are set). An empty policy allows everyone, PAC or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupPolicy {
    require_any: Vec<Sid>,
    deny: Vec<Sid>,
}

impl GroupPolicy {
    /// A policy with no rules.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires membership in at least one of `sids` (added to those already required).
    #[must_use]
    pub fn require_any_of(mut self, sids: impl IntoIterator<Item = Sid>) -> Self {
        self.require_any.extend(sids);
        self
    }

    /// Refuses members of `sid` (a group, or a user's own SID).
    #[must_use]
    pub fn deny(mut self, sid: Sid) -> Self {
        self.deny.push(sid);
        self
    }

    /// Whether the policy has no rules.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.require_any.is_empty() && self.deny.is_empty()
    }

    /// The required SIDs (any one suffices).
    #[must_use]
    pub fn required(&self) -> &[Sid] {
        &self.require_any
    }

    /// The denied SIDs.
    #[must_use]
    pub fn denied(&self) -> &[Sid] {
        &self.deny
    }

    /// Checks an established context's verified PAC.
    ///
    /// # Errors
    /// As [`GroupPolicy::check_pac`].
    pub fn check(&self, ctx: &SecurityContext) -> Result<(), AuthzError> {
        self.check_pac(ctx.pac())
    }

    /// Checks a PAC handed out by the acceptor (`None`: the ticket had none).
    ///
    /// # Errors
    /// [`AuthzError::NoPac`] or [`AuthzError::UnverifiedPac`] when any rule is set and
    /// the PAC is missing or unverified, [`AuthzError::Denied`] naming the first denied
    /// SID found, [`AuthzError::NotMember`] when no required SID is present.
    pub fn check_pac(&self, pac: Option<&Pac>) -> Result<(), AuthzError> {
        if self.is_empty() {
            return Ok(());
        }
        let Some(pac) = pac else {
            return Err(AuthzError::NoPac);
        };
        // MS-PAC 2.8.1: only a PAC whose server signature verified is trusted.
        if !pac.server_signature_verified() {
            return Err(AuthzError::UnverifiedPac);
        }
        let mut sids = pac.group_sids();
        if let Some(user) = pac.user_sid() {
            sids.push(user);
        }

        // Deny first: a denied group outweighs any required one.
        if let Some(sid) = sids.iter().find(|s| self.deny.contains(s)) {
            return Err(AuthzError::Denied { sid: *sid });
        }
        if self.require_any.is_empty() || sids.iter().any(|s| self.require_any.contains(s)) {
            return Ok(());
        }
        Err(AuthzError::NotMember {
            pac_sids: sids.len(),
            has_logon_info: pac.logon_info().is_some(),
        })
    }
}
