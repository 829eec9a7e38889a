//! What an acceptor does with a ticket's PAC: the checks in one call, so the
//! acceptor hook stays a few lines.

use kerbgate_crypto::Key;

use super::{Pac, PacError};
use crate::context::AuthzElement;

/// How strictly a ticket's PAC is checked. The default: a ticket without a PAC is
/// accepted (MIT and Heimdal KDCs may omit it), a PAC's server signature and client
/// info must verify, and a PAC without logon info is accepted with no groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacPolicy {
    /// Refuse tickets without a PAC.
    pub require_pac: bool,
    /// Skip the server signature check. Dangerous: a PAC whose signature is wrong (a
    /// KDC or keytab misconfiguration, or a PAC spliced by a party holding the service
    /// key) is then trusted for authorization.
    pub dangerous_skip_server_signature: bool,
}

impl PacPolicy {
    /// The default policy with a PAC required.
    pub fn required() -> Self {
        PacPolicy {
            require_pac: true,
            ..PacPolicy::default()
        }
    }
}

/// Finds the ticket's PAC and checks it for an acceptor: MS-PAC 2.8.1 server
/// signature with the key that decrypted the ticket, MS-PAC 2.7 client info against
/// the ticket's client name and authtime, and (while parsing) the requestor SID.
///
/// Returns `Ok(None)` for a ticket without a PAC when the policy allows it.
///
/// # Errors
/// [`PacError::NoPac`] when required and absent, or any error of
/// [`Pac::from_authorization_data`], [`Pac::verify_server_signature`] and
/// [`Pac::check_client_info`].
pub fn check_ticket_pac(
    ad: &[AuthzElement],
    service_key: &Key,
    client_name: &str,
    authtime: i64,
    policy: PacPolicy,
) -> Result<Option<Pac>, PacError> {
    let Some(mut pac) = Pac::from_authorization_data(ad)? else {
        return if policy.require_pac {
            Err(PacError::NoPac)
        } else {
            Ok(None)
        };
    };

    // MS-PAC 2.8.1: the server signature, keyed with the service key.
    if !policy.dangerous_skip_server_signature {
        pac.verify_server_signature(service_key)?;
        pac.server_verified = true;
    }

    // MS-PAC 2.7: the PAC belongs to this ticket.
    pac.check_client_info(client_name, authtime)?;
    Ok(Some(pac))
}
