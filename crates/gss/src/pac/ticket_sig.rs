//! The ticket signature (MS-PAC 2.8.3, PAC_TICKET_CHECKSUM): a keyed checksum made
//! with the KDC's krbtgt key over the encoded EncTicketPart (RFC 4120 5.3) in which
//! the PAC's ad-data is replaced by a single zero byte.
//!
//! The preimage rule, checked against the Heimdal and Windows Server 2022 tickets in
//! testdata/pac: inside each top-level AD-IF-RELEVANT element, the AD-WIN2K-PAC
//! element's ad-data becomes the one byte `00`; the AD-IF-RELEVANT AuthorizationData
//! is encoded again, then the whole EncTicketPart. Every other byte is kept as sent.
//! As Heimdal does, a PAC outside AD-IF-RELEVANT is refused.

use kerbgate_crypto::Key;

use super::verify::check;
use super::{Pac, PacError, AD_WIN2K_PAC};
use crate::consts::ad_type;
use crate::der::{application, context, Reader, Writer, TAG_OCTET_STRING, TAG_SEQUENCE};

/// The ad-data that stands in for the PAC in the ticket signature's preimage.
const PAC_PLACEHOLDER: [u8; 1] = [0];

fn malformed(what: &'static str) -> PacError {
    PacError::Malformed { what }
}

/// An EncTicketPart with its PAC taken out for the ticket signature (MS-PAC 2.8.3).
#[derive(Clone, PartialEq, Eq)]
pub struct TicketSignatureInput {
    /// The PAC bytes found in the ticket.
    pub pac: Vec<u8>,
    /// The checksum's preimage: the EncTicketPart with the PAC replaced by `00`.
    pub preimage: Vec<u8>,
}

impl std::fmt::Debug for TicketSignatureInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketSignatureInput")
            .field("pac_len", &self.pac.len())
            .field("preimage_len", &self.preimage.len())
            .finish()
    }
}

/// Finds the PAC in a decrypted EncTicketPart and builds the ticket signature's
/// preimage (MS-PAC 2.8.3).
///
/// # Errors
/// [`PacError::Malformed`] if the EncTicketPart or its authorization data does not
/// decode or a PAC sits outside AD-IF-RELEVANT, [`PacError::NoPac`] without a PAC,
/// [`PacError::MultiplePacs`] with more than one.
pub fn ticket_signature_input(enc_ticket_part: &[u8]) -> Result<TicketSignatureInput, PacError> {
    let bad = |_| malformed("EncTicketPart does not decode");
    let mut r = Reader::new(enc_ticket_part, "EncTicketPart");
    let app = r.expect(application(3), "EncTicketPart").map_err(bad)?;
    r.finish("EncTicketPart").map_err(bad)?;
    let mut app_r = r.enter(&app).map_err(bad)?;
    let seq = app_r.expect(TAG_SEQUENCE, "EncTicketPart").map_err(bad)?;
    app_r.finish("EncTicketPart").map_err(bad)?;
    let mut fields = app_r.enter(&seq).map_err(bad)?;

    let mut pac: Option<Vec<u8>> = None;
    let mut body = Writer::with_capacity(enc_ticket_part.len());
    while !fields.is_empty() {
        let field = fields.read_tlv("EncTicketPart field").map_err(bad)?;
        // RFC 4120 5.3: authorization-data is field [10]; the rest is kept as sent.
        if field.tag != context(10) {
            body.raw(field.raw);
            continue;
        }
        let mut inner = fields.enter(&field).map_err(bad)?;
        let list = inner
            .expect(TAG_SEQUENCE, "authorization-data")
            .map_err(bad)?;
        inner.finish("authorization-data").map_err(bad)?;
        let rewritten = rewrite_top(&inner, list.value, list.value_offset, &mut pac)?;
        body.explicit(10, |w| w.constructed(TAG_SEQUENCE, |w| w.raw(&rewritten)));
    }

    let Some(pac) = pac else {
        return Err(PacError::NoPac);
    };
    let mut out = Writer::with_capacity(enc_ticket_part.len());
    let body = body.into_bytes();
    out.constructed(application(3), |w| w.sequence(|w| w.raw(&body)));
    Ok(TicketSignatureInput {
        pac,
        preimage: out.into_bytes(),
    })
}

/// One AuthorizationData element: ad-type and ad-data, plus its whole encoding.
struct AdParts<'a> {
    ad_type: i32,
    ad_type_raw: &'a [u8],
    data: &'a [u8],
    data_offset: usize,
    raw: &'a [u8],
}

fn read_element<'a>(r: &mut Reader<'a>) -> Result<AdParts<'a>, PacError> {
    let bad = |_| malformed("AuthorizationData element does not decode");
    let el = r
        .expect(TAG_SEQUENCE, "AuthorizationData element")
        .map_err(bad)?;
    let mut s = r.enter(&el).map_err(bad)?;
    let t = s.expect(context(0), "ad-type").map_err(bad)?;
    let ad_type = s.enter(&t).map_err(bad)?.read_i32("ad-type").map_err(bad)?;
    let d = s.expect(context(1), "ad-data").map_err(bad)?;
    let mut dr = s.enter(&d).map_err(bad)?;
    let data = dr.expect(TAG_OCTET_STRING, "ad-data").map_err(bad)?;
    dr.finish("ad-data").map_err(bad)?;
    Ok(AdParts {
        ad_type,
        ad_type_raw: t.raw,
        data: data.value,
        data_offset: data.value_offset,
        raw: el.raw,
    })
}

fn write_element(w: &mut Writer, ad_type_raw: &[u8], data: &[u8]) {
    w.sequence(|w| {
        w.raw(ad_type_raw);
        w.explicit(1, |w| w.octet_string(data));
    });
}

/// The top-level AuthorizationData: AD-IF-RELEVANT elements are opened, the rest kept.
fn rewrite_top(
    at: &Reader<'_>,
    list: &[u8],
    offset: usize,
    pac: &mut Option<Vec<u8>>,
) -> Result<Vec<u8>, PacError> {
    let bad = |_| malformed("authorization-data does not decode");
    let mut r = at.enter_bytes(list, offset).map_err(bad)?;
    let mut w = Writer::with_capacity(list.len());
    while !r.is_empty() {
        let el = read_element(&mut r)?;
        match el.ad_type {
            // MS-PAC 2.1: the PAC belongs inside AD-IF-RELEVANT.
            AD_WIN2K_PAC => return Err(malformed("PAC outside AD-IF-RELEVANT")),
            ad_type::IF_RELEVANT => {
                let inner = rewrite_if_relevant(&r, el.data, el.data_offset, pac)?;
                write_element(&mut w, el.ad_type_raw, &inner);
            }
            _ => w.raw(el.raw),
        }
    }
    Ok(w.into_bytes())
}

/// The contents of one AD-IF-RELEVANT (RFC 4120 5.2.6.1), PAC replaced by `00`.
fn rewrite_if_relevant(
    at: &Reader<'_>,
    data: &[u8],
    offset: usize,
    pac: &mut Option<Vec<u8>>,
) -> Result<Vec<u8>, PacError> {
    let bad = |_| malformed("AD-IF-RELEVANT does not decode");
    let mut outer = at.enter_bytes(data, offset).map_err(bad)?;
    let list = outer.expect(TAG_SEQUENCE, "AD-IF-RELEVANT").map_err(bad)?;
    outer.finish("AD-IF-RELEVANT").map_err(bad)?;
    let mut r = outer.enter(&list).map_err(bad)?;
    let mut body = Writer::with_capacity(data.len());
    while !r.is_empty() {
        let el = read_element(&mut r)?;
        if el.ad_type != AD_WIN2K_PAC {
            body.raw(el.raw);
            continue;
        }
        if pac.is_some() {
            return Err(PacError::MultiplePacs);
        }
        *pac = Some(el.data.to_vec());
        // MS-PAC 2.8.3: the PAC's ad-data is one zero byte in the preimage.
        write_element(&mut body, el.ad_type_raw, &PAC_PLACEHOLDER);
    }
    let body = body.into_bytes();
    let mut w = Writer::with_capacity(body.len() + 4);
    w.sequence(|w| w.raw(&body));
    Ok(w.into_bytes())
}

impl Pac {
    /// Finds and decodes the PAC of a decrypted EncTicketPart (inside a top-level
    /// AD-IF-RELEVANT, MS-PAC 2.1), for tools that decrypt tickets themselves.
    /// Returns `Ok(None)` for a ticket without a PAC.
    ///
    /// # Errors
    /// As [`ticket_signature_input`] (save for a missing PAC) and [`Pac::parse`].
    pub fn from_enc_ticket_part(enc_ticket_part: &[u8]) -> Result<Option<Pac>, PacError> {
        match ticket_signature_input(enc_ticket_part) {
            Ok(input) => Pac::parse(&input.pac).map(Some),
            Err(PacError::NoPac) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Verifies the ticket signature with the krbtgt key (MS-PAC 2.8.3) against the
    /// decrypted EncTicketPart this PAC came in.
    ///
    /// # Errors
    /// [`PacError::MissingBuffer`] without a ticket signature, [`PacError::PacNotInTicket`]
    /// if the EncTicketPart carries another PAC, any error of
    /// [`ticket_signature_input`], [`PacError::UnusableChecksum`] and
    /// [`PacError::BadSignature`].
    pub fn verify_ticket_signature(
        &self,
        krbtgt_key: &Key,
        enc_ticket_part: &[u8],
    ) -> Result<(), PacError> {
        let Some(sig) = self.ticket_signature() else {
            return Err(PacError::MissingBuffer {
                ul_type: super::buffer_type::TICKET_CHECKSUM,
            });
        };
        let input = ticket_signature_input(enc_ticket_part)?;
        // The PAC is signed data, not a secret: a plain comparison is fine.
        if input.pac != self.as_bytes() {
            return Err(PacError::PacNotInTicket);
        }
        check("ticket", sig, krbtgt_key, &input.preimage)
    }
}
