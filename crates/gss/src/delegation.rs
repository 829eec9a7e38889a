//! Delegated credentials: the KRB-CRED an initiator sends inside the RFC 4121 checksum
//! when it sets the deleg flag, and writing them to an MIT credential cache file.

use std::fmt;
use std::io::Write;
use std::path::Path;

use kerbgate_crypto::Key;
use kerbgate_keytab::{KeyBytes, Principal};

use crate::consts::key_usage;
use crate::error::AcceptError;
use crate::messages::{EncKrbCredPart, KrbCred, KrbCredInfo, Ticket};

/// One forwarded ticket with its session key.
#[derive(Clone)]
pub struct Credential {
    /// The client the ticket was issued to.
    pub client: Principal,
    /// The service the ticket is for (usually `krbtgt/REALM@REALM`).
    pub server: Principal,
    /// The ticket's session key (any enctype; zeroized on drop).
    pub key: KeyBytes,
    /// Ticket flags (KerberosFlags, bit 0 the most significant).
    pub flags: u32,
    /// authtime, Unix seconds (0 if absent).
    pub authtime: i64,
    /// starttime, Unix seconds (0 if absent).
    pub starttime: i64,
    /// endtime, Unix seconds (0 if absent).
    pub endtime: i64,
    /// renew-till, Unix seconds (0 if absent).
    pub renew_till: i64,
    /// The ticket's DER encoding, as received.
    pub ticket: Vec<u8>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("client", &self.client.to_string())
            .field("server", &self.server.to_string())
            .field("key", &self.key)
            .field("endtime", &self.endtime)
            .finish_non_exhaustive()
    }
}

/// The credentials a client delegated to the acceptor.
#[derive(Clone, Debug)]
pub struct DelegatedCredentials {
    /// The forwarded tickets, in the order received.
    pub credentials: Vec<Credential>,
}

/// Most tickets accepted in one KRB-CRED.
const MAX_TICKETS: usize = 16;

/// Decodes and decrypts a KRB-CRED (RFC 4120 section 5.8) received as delegation.
///
/// The enc-part is tried with each candidate key at key usage 14; enctype 0 means the
/// part is not encrypted (MIT sends that form inside an already encrypted authenticator).
pub(crate) fn open_krb_cred(
    der: &[u8],
    keys: &[&Key],
    default_client: &Principal,
) -> Result<DelegatedCredentials, AcceptError> {
    let bad = |reason: String| AcceptError::Delegation { reason };
    if der.is_empty() {
        return Err(bad("the KRB-CRED is empty".into()));
    }
    let cred = KrbCred::from_der(der).map_err(|e| bad(format!("malformed KRB-CRED: {e}")))?;
    if cred.tickets.is_empty() {
        return Err(bad("the KRB-CRED holds no tickets".into()));
    }
    if cred.tickets.len() > MAX_TICKETS {
        return Err(bad(format!(
            "the KRB-CRED holds {} tickets",
            cred.tickets.len()
        )));
    }

    let plain;
    let enc_der: &[u8] = if cred.enc_part.etype == 0 {
        cred.enc_part.cipher
    } else {
        let mut last = None;
        let mut opened = None;
        for key in keys
            .iter()
            .filter(|k| k.enctype().to_i32() == cred.enc_part.etype)
        {
            match key.decrypt(key_usage::KRB_CRED_ENC_PART, cred.enc_part.cipher) {
                Ok(p) => {
                    opened = Some(p);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        plain = match opened {
            Some(p) => zeroize::Zeroizing::new(p),
            None => {
                return Err(bad(match last {
                    Some(_) => {
                        "the KRB-CRED does not decrypt with the session key or subkey".into()
                    }
                    None => format!(
                        "the KRB-CRED is encrypted with enctype {}, unlike any context key",
                        cred.enc_part.etype
                    ),
                }))
            }
        };
        plain.as_slice()
    };
    let part = EncKrbCredPart::from_der(enc_der)
        .map_err(|e| bad(format!("malformed EncKrbCredPart: {e}")))?;
    if part.ticket_info.len() != cred.tickets.len() {
        return Err(bad(format!(
            "{} tickets but {} ticket-info entries",
            cred.tickets.len(),
            part.ticket_info.len()
        )));
    }

    let credentials = cred
        .tickets
        .iter()
        .zip(part.ticket_info.iter())
        .map(|(ticket, info)| credential(&ticket, &info, default_client))
        .collect();
    Ok(DelegatedCredentials { credentials })
}

fn credential(
    ticket: &Ticket<'_>,
    info: &KrbCredInfo<'_>,
    default_client: &Principal,
) -> Credential {
    let server = match (info.sname, info.srealm) {
        (Some(sname), Some(srealm)) => sname.to_principal(srealm),
        _ => ticket.server_principal(),
    };
    Credential {
        client: info
            .client_principal()
            .unwrap_or_else(|| default_client.clone()),
        server,
        key: KeyBytes::new(info.key.keytype, info.key.keyvalue),
        flags: info.flags.map(|f| f.0).unwrap_or(0),
        authtime: info.authtime.unwrap_or(0),
        starttime: info.starttime.unwrap_or(0),
        endtime: info.endtime.unwrap_or(0),
        renew_till: info.renew_till.unwrap_or(0),
        ticket: ticket.raw.to_vec(),
    }
}

impl DelegatedCredentials {
    /// The MIT credential cache (format version 4, `FILE:` type) holding these
    /// credentials, with the first credential's client as default principal.
    ///
    /// # Errors
    /// A field does not fit the format (a name over 4 GiB, a time past 2106).
    pub fn to_ccache_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, AcceptError> {
        let bad = |what: &str| AcceptError::Delegation {
            reason: format!("ccache: {what}"),
        };
        let first = self
            .credentials
            .first()
            .ok_or_else(|| bad("no credentials"))?;
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(2048));
        // Version 0x0504, then an empty header-tag section.
        out.extend_from_slice(&[0x05, 0x04, 0x00, 0x00]);
        put_principal(&mut out, &first.client).ok_or_else(|| bad("principal too long"))?;
        for c in &self.credentials {
            put_principal(&mut out, &c.client).ok_or_else(|| bad("principal too long"))?;
            put_principal(&mut out, &c.server).ok_or_else(|| bad("principal too long"))?;
            let keytype = u16::try_from(c.key.enctype()).map_err(|_| bad("enctype"))?;
            out.extend_from_slice(&keytype.to_be_bytes());
            put_data(&mut out, c.key.expose_secret_bytes()).ok_or_else(|| bad("key"))?;
            for t in [c.authtime, c.starttime, c.endtime, c.renew_till] {
                let t = u32::try_from(t).map_err(|_| bad("time out of range"))?;
                out.extend_from_slice(&t.to_be_bytes());
            }
            out.push(0); // is_skey
            out.extend_from_slice(&c.flags.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes()); // addresses
            out.extend_from_slice(&0u32.to_be_bytes()); // authdata
            put_data(&mut out, &c.ticket).ok_or_else(|| bad("ticket too long"))?;
            put_data(&mut out, &[]).ok_or_else(|| bad("second ticket"))?;
        }
        Ok(out)
    }

    /// Writes the credentials to an MIT credential cache file, created with mode 0600
    /// (replacing an existing file).
    ///
    /// # Errors
    /// The file cannot be written, or [`DelegatedCredentials::to_ccache_bytes`] fails.
    pub fn write_ccache(&self, path: &Path) -> Result<(), AcceptError> {
        let bytes = self.to_ccache_bytes()?;
        let io = |e: std::io::Error| AcceptError::Delegation {
            reason: format!("cannot write {}: {e}", path.display()),
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(path).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)
    }
}

fn put_data(out: &mut Vec<u8>, data: &[u8]) -> Option<()> {
    out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
    out.extend_from_slice(data);
    Some(())
}

fn put_principal(out: &mut Vec<u8>, p: &Principal) -> Option<()> {
    out.extend_from_slice(&p.name_type().to_be_bytes());
    out.extend_from_slice(&u32::try_from(p.components().len()).ok()?.to_be_bytes());
    put_data(out, p.realm().as_bytes())?;
    for c in p.components() {
        put_data(out, c.as_bytes())?;
    }
    Some(())
}
