//! A KDC fixture: a realm's service keys, exported as a keytab, and tickets
//! issued with them.

use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::{KeyBytes, Keytab, KeytabEntry, Principal};

use crate::consts::{name_type, ticket_flags};
use crate::error::Error;
use crate::rng::Rng;
use crate::ticket::{TicketBuilder, FIXED_TIME};
use crate::types;

/// Where a service key comes from.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum KeySecret {
    /// RFC 3961 string-to-key of this password with the default salt (realm
    /// then components) and the enctype's default parameters, as `kadmin
    /// addprinc -pw` or `ktutil addent -password` produce.
    Password(String),
    /// String-to-key with an explicit salt.
    PasswordWithSalt {
        /// The password.
        password: String,
        /// The salt.
        salt: Vec<u8>,
    },
    /// A fresh key from the KDC's generator (`kadmin addprinc -randkey`).
    Random,
    /// These exact key bytes.
    Bytes(Vec<u8>),
}

/// How to make one service key.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ServiceKeyOpts {
    /// The key's enctype.
    pub enctype: Enctype,
    /// The key version number.
    pub kvno: u32,
    /// The key material.
    pub secret: KeySecret,
}

impl ServiceKeyOpts {
    /// A password-derived key.
    #[must_use]
    pub fn password(enctype: Enctype, kvno: u32, password: &str) -> Self {
        Self {
            enctype,
            kvno,
            secret: KeySecret::Password(password.to_owned()),
        }
    }

    /// A random key.
    #[must_use]
    pub fn random(enctype: Enctype, kvno: u32) -> Self {
        Self {
            enctype,
            kvno,
            secret: KeySecret::Random,
        }
    }

    /// A key with this secret.
    #[must_use]
    pub fn new(enctype: Enctype, kvno: u32, secret: KeySecret) -> Self {
        Self {
            enctype,
            kvno,
            secret,
        }
    }
}

#[derive(Clone, Debug)]
struct ServiceKey {
    principal: Principal,
    kvno: u32,
    key: Key,
}

/// A realm's KDC: holds service keys and issues tickets for them.
#[derive(Clone, Debug)]
pub struct Kdc {
    realm: String,
    keys: Vec<ServiceKey>,
    rng: Rng,
}

impl Kdc {
    /// A KDC for `realm` whose random keys, session keys and confounders come
    /// from a generator seeded with 0, so runs are reproducible.
    #[must_use]
    pub fn new(realm: &str) -> Self {
        Self::with_rng(realm, Rng::seeded(0))
    }

    /// A KDC drawing randomness from `rng` (e.g. [`Rng::os`]).
    #[must_use]
    pub fn with_rng(realm: &str, rng: Rng) -> Self {
        Self {
            realm: realm.to_owned(),
            keys: Vec::new(),
            rng,
        }
    }

    /// The realm.
    #[must_use]
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Parses a principal name, defaulting to this realm.
    ///
    /// # Errors
    /// [`Error::Keytab`] for a malformed name.
    pub fn principal(&self, name: &str) -> Result<Principal, Error> {
        Ok(Principal::parse_with_default_realm(
            name,
            Some(&self.realm),
        )?)
    }

    /// Adds a key for a service principal and returns it. Call several times
    /// for several enctypes or kvnos.
    ///
    /// # Errors
    /// [`Error::Keytab`] for a malformed name, [`Error::Crypto`] when the key
    /// cannot be made.
    pub fn add_service(&mut self, principal: &str, opts: ServiceKeyOpts) -> Result<Key, Error> {
        let principal = self.principal(principal)?;
        let key = match &opts.secret {
            KeySecret::Password(pw) => kerbgate_keytab::key_from_password(
                &principal,
                pw.as_bytes(),
                opts.enctype.to_i32(),
                None,
                None,
            )?,
            KeySecret::PasswordWithSalt { password, salt } => {
                Key::from_password(opts.enctype, password.as_bytes(), salt, None)?
            }
            KeySecret::Random => types::fresh_key(opts.enctype, &mut self.rng)?,
            KeySecret::Bytes(b) => Key::new(opts.enctype, b)?,
        };
        self.keys.push(ServiceKey {
            principal,
            kvno: opts.kvno,
            key: key.clone(),
        });
        Ok(key)
    }

    /// The key of `principal` with this kvno (highest if `None`) and enctype
    /// (first added if `None`).
    #[must_use]
    pub fn service_key(
        &self,
        principal: &Principal,
        kvno: Option<u32>,
        enctype: Option<Enctype>,
    ) -> Option<(u32, &Key)> {
        let matching = || {
            self.keys.iter().filter(move |k| {
                &k.principal == principal && enctype.is_none_or(|e| k.key.enctype() == e)
            })
        };
        let kvno = kvno.or_else(|| matching().map(|k| k.kvno).max())?;
        matching()
            .find(|k| k.kvno == kvno)
            .map(|k| (k.kvno, &k.key))
    }

    /// All service keys as a keytab (timestamps set to [`FIXED_TIME`]).
    #[must_use]
    pub fn keytab(&self) -> Keytab {
        let timestamp = u32::try_from(FIXED_TIME.unix()).unwrap_or(0);
        self.keys
            .iter()
            .map(|k| {
                KeytabEntry::new(
                    k.principal.clone(),
                    k.kvno,
                    timestamp,
                    KeyBytes::from(&k.key),
                )
            })
            .collect()
    }

    /// The keytab in MIT file format.
    ///
    /// # Errors
    /// [`Error::Keytab`] when it cannot be encoded.
    pub fn keytab_bytes(&self) -> Result<Vec<u8>, Error> {
        Ok(self.keytab().to_bytes()?.to_vec())
    }

    /// A ticket builder for `client` to `service`, using the service's
    /// highest kvno and first-added enctype, with randomness forked from the KDC's.
    ///
    /// # Errors
    /// [`Error::Keytab`] for malformed names, [`Error::NoServiceKey`].
    pub fn ticket(&mut self, client: &str, service: &str) -> Result<TicketBuilder, Error> {
        self.ticket_with(client, service, None, None)
    }

    /// As [`Kdc::ticket`], choosing the service key by kvno and enctype.
    ///
    /// # Errors
    /// As [`Kdc::ticket`].
    pub fn ticket_with(
        &mut self,
        client: &str,
        service: &str,
        kvno: Option<u32>,
        enctype: Option<Enctype>,
    ) -> Result<TicketBuilder, Error> {
        let client = self.principal(client)?;
        let service = self.principal(service)?;
        let (kvno, key) = self
            .service_key(&service, kvno, enctype)
            .map(|(v, k)| (v, k.clone()))
            .ok_or_else(|| Error::NoServiceKey {
                principal: service.to_string(),
            })?;
        let rng = self.rng.fork()?;
        Ok(TicketBuilder::new(service, key, kvno, client).rng(rng))
    }

    /// A ticket builder for a forwarded TGT of `client` (service
    /// `krbtgt/REALM@REALM`; flags forwardable, forwarded, renewable,
    /// pre-authent). A krbtgt key (aes256-cts-hmac-sha1-96, kvno 1) is added
    /// on first use.
    ///
    /// # Errors
    /// As [`Kdc::ticket`], or [`Error::Crypto`] making the krbtgt key.
    pub fn tgt(&mut self, client: &str) -> Result<TicketBuilder, Error> {
        let tgs = Principal::new(
            name_type::SRV_INST,
            vec!["krbtgt".to_owned(), self.realm.clone()],
            self.realm.clone(),
        );
        if self.service_key(&tgs, None, None).is_none() {
            let name = tgs.to_string();
            self.add_service(
                &name,
                ServiceKeyOpts::random(Enctype::Aes256CtsHmacSha196, 1),
            )?;
        }
        let builder = self.ticket(client, &tgs.to_string())?;
        Ok(builder.flags(
            ticket_flags::FORWARDABLE
                | ticket_flags::FORWARDED
                | ticket_flags::RENEWABLE
                | ticket_flags::PRE_AUTHENT,
        ))
    }
}
