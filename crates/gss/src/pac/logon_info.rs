//! KERB_VALIDATION_INFO, the PAC logon information buffer (MS-PAC 2.5), NDR-encoded.

use super::error::PacError;
use super::ndr::{type_serialization_v1, Cursor, UnicodeStringHdr};
use super::sid::Sid;

/// SE_GROUP_* attribute bits on a group membership (MS-PAC 2.2.1).
pub mod group_attrs {
    /// SE_GROUP_MANDATORY.
    pub const MANDATORY: u32 = 0x1;
    /// SE_GROUP_ENABLED_BY_DEFAULT.
    pub const ENABLED_BY_DEFAULT: u32 = 0x2;
    /// SE_GROUP_ENABLED.
    pub const ENABLED: u32 = 0x4;
    /// SE_GROUP_RESOURCE.
    pub const RESOURCE: u32 = 0x2000_0000;
}

/// A GROUP_MEMBERSHIP: a RID in some domain plus SE_GROUP_* attributes (MS-PAC 2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMembership {
    /// The relative ID.
    pub rid: u32,
    /// SE_GROUP_* attribute bits.
    pub attributes: u32,
}

/// A KERB_SID_AND_ATTRIBUTES entry (MS-PAC 2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidAndAttributes {
    /// The SID.
    pub sid: Sid,
    /// SE_GROUP_* attribute bits.
    pub attributes: u32,
}

/// The decoded logon information (KERB_VALIDATION_INFO, MS-PAC 2.5).
///
/// FILETIME fields are 100 ns intervals since 1601-01-01, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogonInfo {
    /// LogonTime.
    pub logon_time: u64,
    /// LogoffTime.
    pub logoff_time: u64,
    /// KickOffTime.
    pub kick_off_time: u64,
    /// PasswordLastSet.
    pub password_last_set: u64,
    /// PasswordCanChange.
    pub password_can_change: u64,
    /// PasswordMustChange.
    pub password_must_change: u64,
    /// EffectiveName: the account (SAM) name.
    pub effective_name: String,
    /// FullName.
    pub full_name: String,
    /// LogonScript.
    pub logon_script: String,
    /// ProfilePath.
    pub profile_path: String,
    /// HomeDirectory.
    pub home_directory: String,
    /// HomeDirectoryDrive.
    pub home_directory_drive: String,
    /// LogonCount.
    pub logon_count: u16,
    /// BadPasswordCount.
    pub bad_password_count: u16,
    /// UserId: the user's RID in the logon domain.
    pub user_id: u32,
    /// PrimaryGroupId: the primary group's RID.
    pub primary_group_id: u32,
    /// GroupIds: the domain groups, as RIDs of the logon domain.
    pub groups: Vec<GroupMembership>,
    /// UserFlags (LOGON_EXTRA_SIDS 0x20, LOGON_RESOURCE_GROUPS 0x200, ...).
    pub user_flags: u32,
    /// LogonServer.
    pub logon_server: String,
    /// LogonDomainName (NetBIOS).
    pub logon_domain_name: String,
    /// LogonDomainId: the domain SID.
    pub logon_domain_id: Option<Sid>,
    /// UserAccountControl.
    pub user_account_control: u32,
    /// ExtraSids: SIDs from other domains and well-known SIDs.
    pub extra_sids: Vec<SidAndAttributes>,
    /// ResourceGroupDomainSid.
    pub resource_group_domain_sid: Option<Sid>,
    /// ResourceGroupIds: RIDs in the resource group domain.
    pub resource_groups: Vec<GroupMembership>,
}

fn filetime(c: &mut Cursor<'_>, what: &'static str) -> Result<u64, PacError> {
    // FILETIME is two 32-bit halves, low first (MS-DTYP 2.3.3), so 4-aligned in NDR.
    let lo = c.nu32(what)?;
    let hi = c.nu32(what)?;
    Ok(u64::from(hi) << 32 | u64::from(lo))
}

fn groups(c: &mut Cursor<'_>, present: bool, count: u32) -> Result<Vec<GroupMembership>, PacError> {
    if !present {
        return if count == 0 {
            Ok(Vec::new())
        } else {
            Err(PacError::Malformed {
                what: "group count without a group array",
            })
        };
    }
    // Conformant array of GROUP_MEMBERSHIP (8 bytes each); count capped by bytes left.
    let n = c.count("group membership", 8)?;
    if u32::try_from(n).ok() != Some(count) {
        return Err(PacError::Malformed {
            what: "group array size disagrees with count",
        });
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let rid = c.nu32("group RID")?;
        let attributes = c.nu32("group attributes")?;
        out.push(GroupMembership { rid, attributes });
    }
    Ok(out)
}

/// Reads a deferred RPC_SID (conformant: the count comes first).
fn sid(c: &mut Cursor<'_>, present: bool) -> Result<Option<Sid>, PacError> {
    if !present {
        return Ok(None);
    }
    let n = c.nu32("SID conformance count")?;
    Sid::read_body(c, Some(n)).map(Some)
}

impl LogonInfo {
    /// Decodes a PAC_LOGON_INFO buffer (NDR type serialization v1, MS-PAC 2.5).
    ///
    /// # Errors
    /// [`PacError::Truncated`], [`PacError::CountTooLarge`] or [`PacError::Malformed`].
    pub fn parse(buf: &[u8]) -> Result<LogonInfo, PacError> {
        let mut c = type_serialization_v1(buf)?;

        // The top-level pointer to KERB_VALIDATION_INFO.
        if c.nu32("logon info pointer")? == 0 {
            return Err(PacError::Malformed {
                what: "null KERB_VALIDATION_INFO pointer",
            });
        }

        // MS-PAC 2.5: the fixed part, in order.
        let logon_time = filetime(&mut c, "LogonTime")?;
        let logoff_time = filetime(&mut c, "LogoffTime")?;
        let kick_off_time = filetime(&mut c, "KickOffTime")?;
        let password_last_set = filetime(&mut c, "PasswordLastSet")?;
        let password_can_change = filetime(&mut c, "PasswordCanChange")?;
        let password_must_change = filetime(&mut c, "PasswordMustChange")?;
        let mut names = [UnicodeStringHdr::read(&mut c)?; 6];
        for h in names.iter_mut().skip(1) {
            *h = UnicodeStringHdr::read(&mut c)?;
        }
        let logon_count = c.nu16("LogonCount")?;
        let bad_password_count = c.nu16("BadPasswordCount")?;
        let user_id = c.nu32("UserId")?;
        let primary_group_id = c.nu32("PrimaryGroupId")?;
        let group_count = c.nu32("GroupCount")?;
        let group_ptr = c.nu32("GroupIds pointer")? != 0;
        let user_flags = c.nu32("UserFlags")?;
        c.bytes(16, "UserSessionKey")?;
        let logon_server = UnicodeStringHdr::read(&mut c)?;
        let logon_domain = UnicodeStringHdr::read(&mut c)?;
        let domain_sid_ptr = c.nu32("LogonDomainId pointer")? != 0;
        c.bytes(8, "Reserved1")?;
        let user_account_control = c.nu32("UserAccountControl")?;
        let _sub_auth_status = c.nu32("SubAuthStatus")?;
        let _last_ok = filetime(&mut c, "LastSuccessfulILogon")?;
        let _last_failed = filetime(&mut c, "LastFailedILogon")?;
        let _failed_count = c.nu32("FailedILogonCount")?;
        let _reserved3 = c.nu32("Reserved3")?;
        let sid_count = c.nu32("SidCount")?;
        let extra_ptr = c.nu32("ExtraSids pointer")? != 0;
        let res_sid_ptr = c.nu32("ResourceGroupDomainSid pointer")? != 0;
        let res_count = c.nu32("ResourceGroupCount")?;
        let res_ptr = c.nu32("ResourceGroupIds pointer")? != 0;

        // Deferred referents, in the order their pointers appeared (C706 14.3.12.3).
        let mut strings: [String; 6] = Default::default();
        for (s, h) in strings.iter_mut().zip(names) {
            *s = h.read_deferred(&mut c)?;
        }
        let groups_v = groups(&mut c, group_ptr, group_count)?;
        let logon_server = logon_server.read_deferred(&mut c)?;
        let logon_domain_name = logon_domain.read_deferred(&mut c)?;
        let logon_domain_id = sid(&mut c, domain_sid_ptr)?;
        let extra_sids = extra_sids(&mut c, extra_ptr, sid_count)?;
        let resource_group_domain_sid = sid(&mut c, res_sid_ptr)?;
        let resource_groups = groups(&mut c, res_ptr, res_count)?;

        let [effective_name, full_name, logon_script, profile_path, home_directory, home_directory_drive] =
            strings;
        Ok(LogonInfo {
            logon_time,
            logoff_time,
            kick_off_time,
            password_last_set,
            password_can_change,
            password_must_change,
            effective_name,
            full_name,
            logon_script,
            profile_path,
            home_directory,
            home_directory_drive,
            logon_count,
            bad_password_count,
            user_id,
            primary_group_id,
            groups: groups_v,
            user_flags,
            logon_server,
            logon_domain_name,
            logon_domain_id,
            user_account_control,
            extra_sids,
            resource_group_domain_sid,
            resource_groups,
        })
    }

    /// The user's SID: the logon domain SID plus UserId.
    pub fn user_sid(&self) -> Option<Sid> {
        self.logon_domain_id.as_ref()?.with_rid(self.user_id).ok()
    }

    /// The primary group's SID.
    pub fn primary_group_sid(&self) -> Option<Sid> {
        self.logon_domain_id
            .as_ref()?
            .with_rid(self.primary_group_id)
            .ok()
    }

    /// Every group SID the user holds: domain groups, extra SIDs and resource groups
    /// (MS-PAC 3.3.1 / MS-KILE 3.4.5.3 style expansion), in PAC order, no duplicates removed.
    pub fn group_sids(&self) -> Vec<Sid> {
        let mut out = Vec::with_capacity(
            self.groups.len() + self.extra_sids.len() + self.resource_groups.len(),
        );
        if let Some(dom) = &self.logon_domain_id {
            out.extend(self.groups.iter().filter_map(|g| dom.with_rid(g.rid).ok()));
        }
        out.extend(self.extra_sids.iter().map(|e| e.sid));
        if let Some(dom) = &self.resource_group_domain_sid {
            out.extend(
                self.resource_groups
                    .iter()
                    .filter_map(|g| dom.with_rid(g.rid).ok()),
            );
        }
        out
    }
}

fn extra_sids(
    c: &mut Cursor<'_>,
    present: bool,
    count: u32,
) -> Result<Vec<SidAndAttributes>, PacError> {
    if !present {
        return if count == 0 {
            Ok(Vec::new())
        } else {
            Err(PacError::Malformed {
                what: "extra SID count without an array",
            })
        };
    }
    // Conformant array of KERB_SID_AND_ATTRIBUTES (pointer + attributes, 8 bytes each),
    // then the deferred SIDs in order; each SID is at least 12 bytes, so cap by that too.
    let n = c.count("extra SID", 8 + 12)?;
    if u32::try_from(n).ok() != Some(count) {
        return Err(PacError::Malformed {
            what: "extra SID array size disagrees with SidCount",
        });
    }
    let mut hdrs = Vec::with_capacity(n);
    for _ in 0..n {
        let ptr = c.nu32("extra SID pointer")? != 0;
        let attributes = c.nu32("extra SID attributes")?;
        hdrs.push((ptr, attributes));
    }
    let mut out = Vec::with_capacity(n);
    for (ptr, attributes) in hdrs {
        let Some(sid) = sid(c, ptr)? else {
            return Err(PacError::Malformed {
                what: "null extra SID",
            });
        };
        out.push(SidAndAttributes { sid, attributes });
    }
    Ok(out)
}
