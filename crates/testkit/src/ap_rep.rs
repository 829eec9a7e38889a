//! The initiator's side of mutual authentication: checking an AP-REP
//! (RFC 4120 5.5.2, 3.2.5) or reading a KRB-ERROR (RFC 4120 5.9.1), raw or
//! in RFC 4121 4.1 GSS framing; also minting both, to test the checker.

use core::fmt;

use kerbgate_crypto::Key;

use crate::ap_req::{gss_framed, ApReq};
use crate::consts::{
    app, token_id, KRB5_OID, KU_AP_REP_ENCPART, MSG_AP_REP, MSG_KRB_ERROR, MS_KRB5_OID, PVNO,
};
use crate::der::{self, Fields, Reader};
use crate::error::Error;
use crate::rng::Rng;
use crate::time::KerberosTime;
use crate::types;

/// What a checked AP-REP told the initiator.
#[derive(Clone)]
pub struct ApRepInfo {
    /// ctime echoed (equal to the authenticator's).
    pub ctime: KerberosTime,
    /// cusec echoed.
    pub cusec: u32,
    /// The acceptor subkey, if sent.
    pub subkey: Option<Key>,
    /// The acceptor's initial sequence number, if sent.
    pub seq_number: Option<u32>,
}

impl ApRepInfo {
    /// The context key of RFC 4121 section 2: the acceptor subkey if the
    /// AP-REP carried one, else the initiator subkey, else the session key.
    #[must_use]
    pub fn context_key<'a>(&'a self, ap_req: &'a ApReq) -> &'a Key {
        context_key(
            self.subkey.as_ref(),
            ap_req.subkey.as_ref(),
            &ap_req.session_key,
        )
    }

    /// Whether the acceptor asserted its own subkey (RFC 4121 4.2.2 AcceptorSubkey flag).
    #[must_use]
    pub fn acceptor_subkey(&self) -> bool {
        self.subkey.is_some()
    }
}

impl fmt::Debug for ApRepInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApRepInfo")
            .field("ctime", &self.ctime)
            .field("cusec", &self.cusec)
            .field("subkey", &self.subkey)
            .field("seq_number", &self.seq_number)
            .finish()
    }
}

/// RFC 4121 section 2: the key protecting per-message tokens.
#[must_use]
pub fn context_key<'a>(
    acceptor: Option<&'a Key>,
    initiator: Option<&'a Key>,
    session: &'a Key,
) -> &'a Key {
    acceptor.or(initiator).unwrap_or(session)
}

/// Strips RFC 2743 3.1 framing if present and checks the token ID; raw
/// Kerberos messages (first octet not 0x60) pass through with `None`.
fn unframe(token: &[u8]) -> Result<(Option<[u8; 2]>, &[u8]), Error> {
    if token.first() != Some(&0x60) {
        return Ok((None, token));
    }
    let mut outer = Reader::new(token);
    let framed = outer.expect(0x60, "InitialContextToken")?;
    outer.finish("InitialContextToken trailing data")?;
    let mut r = Reader::inside(&framed);
    let oid = r.expect(der::TAG_OID, "mechanism OID")?;
    if oid.content != KRB5_OID && oid.content != MS_KRB5_OID {
        return Err(Error::UnknownMechanism);
    }
    let (id, inner) = r.remaining().split_at_checked(2).ok_or(Error::Malformed {
        what: "missing token id",
        offset: r.offset(),
    })?;
    Ok((
        Some([
            id.first().copied().unwrap_or(0),
            id.get(1).copied().unwrap_or(0),
        ]),
        inner,
    ))
}

/// Checks an AP-REP as an initiator does, given the key that encrypted the
/// AP-REQ's authenticator (the ticket session key) and the ctime/cusec it sent.
///
/// Accepts the GSS token (token ID 02 00) or the raw AP-REP. A KRB-ERROR
/// (token ID 03 00 or raw) becomes [`Error::KrbError`].
///
/// # Errors
/// Framing and DER errors, [`Error::BadTokenId`], [`Error::Crypto`] when
/// decryption at key usage 12 fails, [`Error::TimeMismatch`] when ctime/cusec
/// differ, [`Error::KrbError`] for an error reply.
pub fn verify_ap_rep(
    token: &[u8],
    key: &Key,
    ctime: KerberosTime,
    cusec: u32,
) -> Result<ApRepInfo, Error> {
    let (id, raw) = unframe(token)?;
    let is_error = id == Some(token_id::KRB_ERROR)
        || (id.is_none() && raw.first() == Some(&(0x60 | app::KRB_ERROR)));
    if is_error {
        let (code, e_text) = parse_krb_error(token)?;
        return Err(Error::KrbError { code, e_text });
    }
    if let Some(found) = id {
        if found != token_id::AP_REP {
            return Err(Error::BadTokenId {
                expected: token_id::AP_REP,
                found,
            });
        }
    }

    // RFC 4120 5.5.2: AP-REP ::= [APPLICATION 15] SEQUENCE { pvno, msg-type, enc-part }.
    let mut top = Reader::new(raw);
    let app_tlv = top.expect(0x60 | app::AP_REP, "AP-REP")?;
    top.finish("AP-REP trailing data")?;
    let seq = Reader::inside(&app_tlv).expect(der::TAG_SEQUENCE, "AP-REP")?;
    let mut f = Reader::inside(&seq);
    expect_int(&mut f, 0, "pvno", PVNO)?;
    expect_int(&mut f, 1, "msg-type", MSG_AP_REP)?;
    let enc = types::read_encrypted_data(&mut f.field(2, "enc-part")?)?;
    f.finish("AP-REP trailing data")?;

    // RFC 4120 5.5.2: EncAPRepPart is encrypted in the session key, usage 12.
    if enc.etype != key.enctype().to_i32() {
        return Err(Error::UnexpectedValue {
            what: "AP-REP enc-part etype",
            expected: i64::from(key.enctype().to_i32()),
            found: i64::from(enc.etype),
        });
    }
    let plain = key.decrypt(KU_AP_REP_ENCPART, enc.cipher)?;
    let info = read_enc_ap_rep_part(&plain)?;

    // RFC 4120 3.2.5: the reply must echo the authenticator's ctime and cusec.
    if info.ctime != ctime || info.cusec != cusec {
        return Err(Error::TimeMismatch {
            expected_ctime: ctime.unix(),
            expected_cusec: cusec,
            found_ctime: info.ctime.unix(),
            found_cusec: info.cusec,
        });
    }
    Ok(info)
}

/// [`verify_ap_rep`] with the key and times of a minted [`ApReq`].
///
/// # Errors
/// As [`verify_ap_rep`].
pub fn verify_ap_rep_for(token: &[u8], ap_req: &ApReq) -> Result<ApRepInfo, Error> {
    verify_ap_rep(token, &ap_req.session_key, ap_req.ctime, ap_req.cusec)
}

fn expect_int(f: &mut Reader<'_>, n: u8, what: &'static str, expected: i64) -> Result<(), Error> {
    let found = f.field(n, what)?.integer()?;
    if found != expected {
        return Err(Error::UnexpectedValue {
            what,
            expected,
            found,
        });
    }
    Ok(())
}

fn read_enc_ap_rep_part(plain: &[u8]) -> Result<ApRepInfo, Error> {
    let mut top = Reader::new(plain);
    let app_tlv = top.expect(0x60 | app::ENC_AP_REP_PART, "EncAPRepPart")?;
    let seq = Reader::inside(&app_tlv).expect(der::TAG_SEQUENCE, "EncAPRepPart")?;
    let mut f = Reader::inside(&seq);
    let ctime = f.field(0, "ctime")?.kerberos_time()?;
    let cusec = f.field(1, "cusec")?.uint32_lenient()?;
    let subkey = match f.optional_field(2, "subkey")? {
        Some(mut r) => Some(types::read_encryption_key(&mut r)?),
        None => None,
    };
    let seq_number = match f.optional_field(3, "seq-number")? {
        Some(mut r) => Some(r.uint32_lenient()?),
        None => None,
    };
    f.finish("EncAPRepPart trailing data")?;
    Ok(ApRepInfo {
        ctime,
        cusec,
        subkey,
        seq_number,
    })
}

/// Reads a KRB-ERROR (raw, or GSS-framed with token ID 03 00) and returns
/// its error code and e-text.
///
/// # Errors
/// Framing and DER errors, [`Error::BadTokenId`] for another token ID.
pub fn parse_krb_error(token: &[u8]) -> Result<(i32, Option<String>), Error> {
    let (id, raw) = unframe(token)?;
    if let Some(found) = id {
        if found != token_id::KRB_ERROR {
            return Err(Error::BadTokenId {
                expected: token_id::KRB_ERROR,
                found,
            });
        }
    }

    // RFC 4120 5.9.1: KRB-ERROR ::= [APPLICATION 30] SEQUENCE { ... }.
    let mut top = Reader::new(raw);
    let app_tlv = top.expect(0x60 | app::KRB_ERROR, "KRB-ERROR")?;
    top.finish("KRB-ERROR trailing data")?;
    let seq = Reader::inside(&app_tlv).expect(der::TAG_SEQUENCE, "KRB-ERROR")?;
    let mut f = Reader::inside(&seq);
    expect_int(&mut f, 0, "pvno", PVNO)?;
    expect_int(&mut f, 1, "msg-type", MSG_KRB_ERROR)?;
    let mut code = None;
    let mut e_text = None;
    while !f.is_empty() {
        let tlv = f.read()?;
        let mut inner = Reader::inside(&tlv);
        match tlv.tag {
            0xa6 => code = Some(inner.int32()?),
            0xab => e_text = Some(inner.general_string()?),
            _ => {}
        }
    }
    let code = code.ok_or(Error::Missing {
        what: "KRB-ERROR error-code",
    })?;
    Ok((code, e_text))
}

/// Builds an AP-REP as an acceptor would, to test [`verify_ap_rep`].
#[derive(Clone, Debug)]
pub struct ApRepBuilder {
    /// Echoed ctime.
    pub ctime: KerberosTime,
    /// Echoed cusec.
    pub cusec: u32,
    /// Acceptor subkey.
    pub subkey: Option<Key>,
    /// Acceptor sequence number.
    pub seq_number: Option<u32>,
}

impl ApRepBuilder {
    /// An AP-REP echoing the times of `ap_req`, without subkey or sequence number.
    #[must_use]
    pub fn for_request(ap_req: &ApReq) -> Self {
        Self {
            ctime: ap_req.ctime,
            cusec: ap_req.cusec,
            subkey: None,
            seq_number: None,
        }
    }

    /// The raw AP-REP encrypted with `key` at usage 12.
    ///
    /// # Errors
    /// [`Error::Crypto`] or [`Error::Random`].
    pub fn build(&self, key: &Key, rng: &mut Rng) -> Result<Vec<u8>, Error> {
        let subkey = self.subkey.as_ref().map(types::encryption_key);
        let seq = self.seq_number.map(der::uint32);
        let plain = Fields::new()
            .field(0, &der::kerberos_time(self.ctime))
            .field(1, &der::uint32(self.cusec))
            .optional(2, subkey.as_deref())
            .optional(3, seq.as_deref())
            .application(app::ENC_AP_REP_PART);
        let cipher = types::encrypt(key, KU_AP_REP_ENCPART, &plain, rng)?;
        Ok(Fields::new()
            .field(0, &der::integer(PVNO))
            .field(1, &der::integer(MSG_AP_REP))
            .field(
                2,
                &types::encrypted_data(key.enctype().to_i32(), None, &cipher),
            )
            .application(app::AP_REP))
    }

    /// The AP-REP in GSS framing (token ID 02 00).
    ///
    /// # Errors
    /// As [`ApRepBuilder::build`].
    pub fn build_token(&self, key: &Key, rng: &mut Rng) -> Result<Vec<u8>, Error> {
        Ok(gss_framed(
            KRB5_OID,
            token_id::AP_REP,
            &self.build(key, rng)?,
        ))
    }
}

/// A minimal KRB-ERROR (RFC 4120 5.9.1) with the given code and e-text, for
/// testing an initiator's error path; realm and sname are placeholders.
#[must_use]
pub fn krb_error(code: i32, stime: KerberosTime, e_text: Option<&str>) -> Vec<u8> {
    let text = e_text.map(der::general_string);
    let sname = Fields::new()
        .field(0, &der::integer(2))
        .field(1, &der::sequence_of([der::general_string("host")]))
        .sequence();
    Fields::new()
        .field(0, &der::integer(PVNO))
        .field(1, &der::integer(MSG_KRB_ERROR))
        .field(4, &der::kerberos_time(stime))
        .field(5, &der::integer(0))
        .field(6, &der::integer(i64::from(code)))
        .field(9, &der::general_string("EXAMPLE.COM"))
        .field(10, &sname)
        .optional(11, text.as_deref())
        .application(app::KRB_ERROR)
}
