//! Numbered constants: principal name types (RFC 4120 6.2, MIT `krb5.h`) and
//! keytab file versions.

/// Name type not known (also what 0x0501 keytabs, which store none, read as).
pub const KRB5_NT_UNKNOWN: i32 = 0;
/// Just the name of the principal, as in DCE or for users (RFC 4120 6.2).
pub const KRB5_NT_PRINCIPAL: i32 = 1;
/// Service and other unique instance, e.g. `krbtgt` (RFC 4120 6.2).
pub const KRB5_NT_SRV_INST: i32 = 2;
/// Service with a host name as instance, e.g. `imap/mail.example.com` (RFC 4120 6.2).
pub const KRB5_NT_SRV_HST: i32 = 3;
/// Service with host as the remaining components (RFC 4120 6.2).
pub const KRB5_NT_SRV_XHST: i32 = 4;
/// Unique ID (RFC 4120 6.2).
pub const KRB5_NT_UID: i32 = 5;
/// Encoded X.509 distinguished name (RFC 4120 6.2).
pub const KRB5_NT_X500_PRINCIPAL: i32 = 6;
/// Name in the form of an SMTP address (RFC 4120 6.2).
pub const KRB5_NT_SMTP_NAME: i32 = 7;
/// Enterprise name, e.g. a Windows UPN (RFC 6806 5).
pub const KRB5_NT_ENTERPRISE_PRINCIPAL: i32 = 10;
/// Well-known principal (RFC 6111 3.1).
pub const KRB5_NT_WELLKNOWN: i32 = 11;
/// Microsoft: Windows 2000 UPN and SID.
pub const KRB5_NT_MS_PRINCIPAL: i32 = -128;
/// Microsoft: NT 4 style name.
pub const KRB5_NT_MS_PRINCIPAL_AND_ID: i32 = -129;
/// Microsoft: NT 4 style name and SID.
pub const KRB5_NT_ENT_PRINCIPAL_AND_ID: i32 = -130;

/// Keytab format version 1 (DCE compatible; host byte order, no name type).
pub const KEYTAB_VERSION_1: u16 = 0x0501;
/// Keytab format version 2 (network byte order), the one MIT writes.
pub const KEYTAB_VERSION_2: u16 = 0x0502;

/// The largest keytab file [`crate::Keytab::load`] reads (64 MiB).
pub const MAX_KEYTAB_FILE_SIZE: u64 = 64 * 1024 * 1024;
