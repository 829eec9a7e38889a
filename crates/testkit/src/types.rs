//! Encodings shared by several messages (RFC 4120 5.2): principal names,
//! encryption keys, EncryptedData, host addresses, authorization data.

use kerbgate_crypto::{Enctype, Key};
use kerbgate_keytab::Principal;

use crate::consts::ad_type;
use crate::der::{self, Fields};
use crate::error::Error;
use crate::rng::Rng;

/// PrincipalName (RFC 4120 5.2.2): name-type and name-string, realm excluded.
#[must_use]
pub fn principal_name(p: &Principal) -> Vec<u8> {
    let strings = der::sequence_of(p.components().iter().map(|c| der::general_string(c)));
    Fields::new()
        .field(0, &der::integer(i64::from(p.name_type())))
        .field(1, &strings)
        .sequence()
}

/// EncryptionKey (RFC 4120 5.2.9) holding `key`'s enctype and bytes.
#[must_use]
pub fn encryption_key(key: &Key) -> Vec<u8> {
    encryption_key_raw(key.enctype().to_i32(), key.expose_secret_bytes())
}

/// EncryptionKey with an arbitrary keytype number and bytes.
#[must_use]
pub fn encryption_key_raw(keytype: i32, bytes: &[u8]) -> Vec<u8> {
    Fields::new()
        .field(0, &der::integer(i64::from(keytype)))
        .field(1, &der::octet_string(bytes))
        .sequence()
}

/// EncryptedData (RFC 4120 5.2.9).
#[must_use]
pub fn encrypted_data(etype: i32, kvno: Option<u32>, cipher: &[u8]) -> Vec<u8> {
    let kvno = kvno.map(der::uint32);
    Fields::new()
        .field(0, &der::integer(i64::from(etype)))
        .optional(1, kvno.as_deref())
        .field(2, &der::octet_string(cipher))
        .sequence()
}

/// Encrypts with a confounder drawn from `rng`, so seeded generators give
/// reproducible ciphertext.
///
/// # Errors
/// [`Error::Random`] or [`Error::Crypto`].
pub fn encrypt(key: &Key, usage: u32, plaintext: &[u8], rng: &mut Rng) -> Result<Vec<u8>, Error> {
    let confounder = rng.bytes(key.enctype().confounder_len())?;
    Ok(key.encrypt_with_confounder(usage, &confounder, plaintext)?)
}

/// A fresh key of `enctype` from `rng` (random-to-key over `key_len` bytes).
///
/// # Errors
/// [`Error::Random`] or [`Error::Crypto`].
pub fn fresh_key(enctype: Enctype, rng: &mut Rng) -> Result<Key, Error> {
    let random = rng.bytes(enctype.key_len())?;
    Ok(Key::random_to_key(enctype, &random)?)
}

/// A HostAddress (RFC 4120 5.2.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAddress {
    /// addr-type (RFC 4120 7.5.3; 2 = IPv4, 24 = IPv6).
    pub addr_type: i32,
    /// The address octets.
    pub address: Vec<u8>,
}

impl HostAddress {
    /// An IPv4 address.
    #[must_use]
    pub fn ipv4(octets: [u8; 4]) -> Self {
        Self {
            addr_type: crate::consts::addr_type::IPV4,
            address: octets.to_vec(),
        }
    }

    /// The DER encoding.
    #[must_use]
    pub fn to_der(&self) -> Vec<u8> {
        Fields::new()
            .field(0, &der::integer(i64::from(self.addr_type)))
            .field(1, &der::octet_string(&self.address))
            .sequence()
    }
}

/// HostAddresses: SEQUENCE OF HostAddress.
#[must_use]
pub fn host_addresses(addrs: &[HostAddress]) -> Vec<u8> {
    der::sequence_of(addrs.iter().map(HostAddress::to_der))
}

/// One AuthorizationData element (RFC 4120 5.2.6): a type and opaque bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthData {
    /// ad-type.
    pub ad_type: i32,
    /// ad-data (for container types, the DER of the inner AuthorizationData).
    pub data: Vec<u8>,
}

impl AuthData {
    /// An element with raw type and bytes.
    #[must_use]
    pub fn raw(ad_type: i32, data: &[u8]) -> Self {
        Self {
            ad_type,
            data: data.to_vec(),
        }
    }

    /// AD-IF-RELEVANT (RFC 4120 5.2.6.1) wrapping `inner`.
    #[must_use]
    pub fn if_relevant(inner: &[AuthData]) -> Self {
        Self {
            ad_type: ad_type::IF_RELEVANT,
            data: authorization_data(inner),
        }
    }

    /// KERB-AD-ENCTYPE-NEGOTIATION (RFC 4537 section 2) listing enctype
    /// numbers, strongest first, wrapped in AD-IF-RELEVANT as the RFC requires.
    #[must_use]
    pub fn enctype_negotiation(enctypes: &[i32]) -> Self {
        let list = der::sequence_of(enctypes.iter().map(|e| der::integer(i64::from(*e))));
        Self::if_relevant(&[Self {
            ad_type: ad_type::ENCTYPE_NEGOTIATION,
            data: list,
        }])
    }

    /// The DER encoding of this element.
    #[must_use]
    pub fn to_der(&self) -> Vec<u8> {
        Fields::new()
            .field(0, &der::integer(i64::from(self.ad_type)))
            .field(1, &der::octet_string(&self.data))
            .sequence()
    }
}

/// AuthorizationData: SEQUENCE OF elements.
#[must_use]
pub fn authorization_data(elements: &[AuthData]) -> Vec<u8> {
    der::sequence_of(elements.iter().map(AuthData::to_der))
}

/// Reads an EncryptionKey into a [`Key`].
///
/// # Errors
/// DER errors, or [`Error::Crypto`] for an unsupported keytype or bad length.
pub fn read_encryption_key(r: &mut der::Reader<'_>) -> Result<Key, Error> {
    let seq = r.expect(der::TAG_SEQUENCE, "EncryptionKey")?;
    let mut f = der::Reader::inside(&seq);
    let keytype = f.field(0, "keytype")?.int32()?;
    let bytes = f.field(1, "keyvalue")?.octet_string()?;
    f.finish("EncryptionKey trailing data")?;
    let enctype = Enctype::from_i32(keytype)?;
    Ok(Key::new(enctype, bytes)?)
}

/// A decoded EncryptedData.
#[derive(Clone, Debug)]
pub struct EncryptedData<'a> {
    /// etype.
    pub etype: i32,
    /// kvno, if present.
    pub kvno: Option<u32>,
    /// cipher.
    pub cipher: &'a [u8],
}

/// Reads an EncryptedData.
///
/// # Errors
/// DER errors.
pub fn read_encrypted_data<'a>(r: &mut der::Reader<'a>) -> Result<EncryptedData<'a>, Error> {
    let seq = r.expect(der::TAG_SEQUENCE, "EncryptedData")?;
    let mut f = der::Reader::inside(&seq);
    let etype = f.field(0, "etype")?.int32()?;
    let kvno = match f.optional_field(1, "kvno")? {
        Some(mut k) => Some(k.uint32_lenient()?),
        None => None,
    };
    let cipher = f.field(2, "cipher")?.octet_string()?;
    f.finish("EncryptedData trailing data")?;
    Ok(EncryptedData {
        etype,
        kvno,
        cipher,
    })
}

/// Reads a PrincipalName into (name-type, components).
///
/// # Errors
/// DER errors.
pub fn read_principal_name(r: &mut der::Reader<'_>) -> Result<(i32, Vec<String>), Error> {
    let seq = r.expect(der::TAG_SEQUENCE, "PrincipalName")?;
    let mut f = der::Reader::inside(&seq);
    let name_type = f.field(0, "name-type")?.int32()?;
    let mut strings = f.field(1, "name-string")?;
    let list = strings.expect(der::TAG_SEQUENCE, "name-string")?;
    let mut items = der::Reader::inside(&list);
    let mut components = Vec::new();
    while !items.is_empty() {
        components.push(items.general_string()?);
    }
    f.finish("PrincipalName trailing data")?;
    Ok((name_type, components))
}
