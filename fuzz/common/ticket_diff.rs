//! EncTicketPart and Authenticator (RFC 4120 5.3, 5.5.1) decoded by kerbgate's in-place
//! reader and by rasn-kerberos, compared field by field.
//!
//! Included with `#[path]` by `fuzz/fuzz_targets/ticket_differential.rs` and by
//! `crates/gss/tests/decode_differential.rs`, so the fuzzer and `cargo test` apply the
//! same rules. When both decode, every field must agree. When only one decodes, the
//! input must show one of the known divergences below, detected from the bytes by a
//! small DER walk ([`features`]); anything else is a [`Verdict::Mismatch`].
//!
//! Known divergences (each is shown by a test in decode_differential.rs):
//!
//! kerbgate accepts, rasn-kerberos refuses:
//! - [`Feature::HighString`]: a KerberosString with bytes 0x80-0xA0 in valid UTF-8
//!   (e.g. "é" = C3 A9 is fine, "Ā" = C4 80 is not): rasn's GeneralString refuses
//!   those octets; kerbgate takes any UTF-8 (MIT takes any bytes).
//! - [`Feature::NegativeInteger`]: a negative seq-number or nonce: kerbgate reads UInt32
//!   fields the MIT way, a negative Int32 as its two's complement; rasn's `u32` refuses.
//! - [`Feature::LongFormLength`] and [`Feature::PaddedInteger`]: non-minimal lengths or
//!   INTEGERs with redundant sign octets: not DER (X.690 10.1, 8.3.2); MIT and kerbgate
//!   take them, rasn's DER decoder refuses.
//! - [`Feature::UnknownField`]: a context tag past the last one the RFC defines for a
//!   SEQUENCE: kerbgate skips it as MIT does (extensibility); rasn refuses.
//! - [`Feature::LooseBitString`]: KerberosFlags with unused bits set, or a BIT STRING
//!   that is not minimal in DER terms; kerbgate reads the first 32 bits.
//!
//! rasn-kerberos accepts, kerbgate refuses:
//! - [`Feature::HighString`] again: a non-UTF-8 KerberosString outside 0x80-0xA0 (e.g.
//!   a lone 0xFF): kerbgate requires UTF-8, rasn takes the octets.
//! - [`Feature::Counts`]: more name components, addresses or authorization-data
//!   elements (or AD-IF-RELEVANT nesting) than kerbgate's caps
//!   (`MAX_NAME_COMPONENTS`, `MAX_ADDRESSES`, `MAX_AD_ELEMENTS`, `MAX_AD_DEPTH`).
//! - [`Feature::OddTime`]: a GeneralizedTime not of the form YYYYMMDDHHMMSSZ (RFC 4120
//!   5.2.3 allows only that); rasn takes fractions, offsets and second 60 (a leap
//!   second). Days 29-31 count as odd too, and this feature is allowed either way, so
//!   calendar checks that differ between the two (February 30) are not reported.
//! - [`Feature::BigInteger`]: an INTEGER outside Int32 for authenticator-vno, name
//!   types, enctypes or cusec, which rasn reads as a big integer.
//! - [`Feature::BadVersion`]: authenticator-vno other than 5 (RFC 4120 5.5.1), which
//!   rasn does not check.
//! - [`Feature::WrongForm`]: an identifier octet with the wrong primitive/constructed
//!   bit: an explicit APPLICATION or context tag in primitive form (0x40-0x5e,
//!   0x80-0x9e; X.690 8.14.2 makes explicit tagging constructed), or a constructed INTEGER, BIT STRING, OCTET
//!   STRING, GeneralizedTime or GeneralString (0x22, 0x23, 0x24, 0x38, 0x3b; never
//!   valid in DER, and INTEGER never in BER): rasn reads the contents anyway,
//!   kerbgate refuses the tag.
//! - [`Feature::CusecRange`]: cusec outside 0..=999999 (RFC 4120 5.2.4 Microseconds),
//!   which kerbgate refuses and rasn reads as any INTEGER.
//! - [`Feature::BadIfRelevant`]: an AD-IF-RELEVANT element (ad-type 1) whose ad-data is
//!   not itself AuthorizationData (RFC 4120 5.2.6.1), or nests past `MAX_AD_DEPTH`:
//!   kerbgate opens these containers while decoding; rasn keeps ad-data opaque.

use kerbgate::der::{TAG_BIT_STRING, TAG_GENERALIZED_TIME, TAG_GENERAL_STRING, TAG_INTEGER};
use kerbgate::messages::{
    Authenticator, AuthorizationData, Checksum, EncTicketPart, EncryptionKey, HostAddresses,
    PrincipalName,
};

/// A property of the input bytes that explains a divergence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feature {
    /// A GeneralString with an octet >= 0x80.
    HighString,
    /// A negative INTEGER.
    NegativeInteger,
    /// A long-form length where the short form fits, or a length with leading zeros.
    LongFormLength,
    /// An INTEGER with a redundant leading 0x00 or 0xFF.
    PaddedInteger,
    /// A context tag a SEQUENCE of this schema does not define, or tags out of order.
    UnknownField,
    /// A BIT STRING other than DER-minimal, or one with unused bits.
    LooseBitString,
    /// More elements than kerbgate's caps, or deep nesting.
    Counts,
    /// A GeneralizedTime other than 15 octets YYYYMMDDHHMMSSZ.
    OddTime,
    /// An INTEGER longer than 4 octets.
    BigInteger,
    /// authenticator-vno other than 5.
    BadVersion,
    /// AD-IF-RELEVANT holding something other than AuthorizationData, or too deep.
    BadIfRelevant,
    /// cusec outside 0..=999999.
    CusecRange,
    /// A context tag in primitive form, or a primitive type in constructed form.
    WrongForm,
}

/// Whether `ad` has an AD-IF-RELEVANT element that is not AuthorizationData within
/// kerbgate's depth (found with rasn, as the fields are opaque to it).
fn bad_if_relevant(ad: Option<&rasn_kerberos::AuthorizationData>, depth: usize) -> bool {
    ad.is_some_and(|ad| {
        ad.iter().filter(|e| e.r#type == 1).any(|e| {
            depth >= usize::from(kerbgate::messages::MAX_AD_DEPTH)
                || rasn::der::decode::<rasn_kerberos::AuthorizationData>(&e.data)
                    .map_or(true, |inner| bad_if_relevant(Some(&inner), depth + 1))
        })
    })
}

/// The comparison's result for one input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Neither decoder took the input as this message.
    BothRefuse,
    /// Both decoded it and every field agrees.
    Agree,
    /// Only kerbgate decoded it; the features present that explain it.
    OnlyOurs(Vec<Feature>),
    /// Only rasn-kerberos decoded it; the features present that explain it.
    OnlyRasn(Vec<Feature>),
    /// A disagreement no listed divergence explains.
    Mismatch(String),
}

/// The features of `der`, found by walking every TLV (depth at most 32).
#[must_use]
pub(crate) fn features(der: &[u8], top_max: u8) -> Vec<Feature> {
    let mut out = Vec::new();
    walk(der, 0, Level::Outer(top_max), &mut out);
    out
}

/// Where a walk is: outside the message's SEQUENCE (whose last field is `[n]`), in a
/// SEQUENCE with that last field, or elsewhere.
#[derive(Clone, Copy)]
enum Level {
    Outer(u8),
    Sequence(u8),
    Other,
}

fn add(out: &mut Vec<Feature>, f: Feature) {
    if !out.contains(&f) {
        out.push(f);
    }
}

/// One TLV: (tag, contents, rest); `None` when the bytes are not a TLV.
fn tlv<'a>(data: &'a [u8], out: &mut Vec<Feature>) -> Option<(u8, &'a [u8], &'a [u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (lb, rest) = rest.split_at_checked(n)?;
        let len = lb.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        if len < 0x80 || lb.first() == Some(&0) {
            add(out, Feature::LongFormLength);
        }
        (len, rest)
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

fn walk(mut data: &[u8], depth: usize, level: Level, out: &mut Vec<Feature>) {
    if depth > 32 {
        add(out, Feature::Counts);
        return;
    }
    let mut last_context: Option<u8> = None;
    let mut count = 0usize;
    while !data.is_empty() {
        let Some((tag, value, rest)) = tlv(data, out) else {
            return;
        };
        data = rest;
        count += 1;
        if count > 64 {
            add(out, Feature::Counts);
        }
        match tag {
            TAG_GENERAL_STRING if value.iter().any(|&b| b >= 0x80) => {
                add(out, Feature::HighString);
            }
            TAG_INTEGER => {
                match value {
                    [a, b, ..] if (*a == 0 && b & 0x80 == 0) || (*a == 0xff && b & 0x80 != 0) => {
                        add(out, Feature::PaddedInteger);
                    }
                    _ => {}
                }
                if value.first().is_some_and(|b| b & 0x80 != 0) {
                    add(out, Feature::NegativeInteger);
                }
                if value.len() > 4 {
                    add(out, Feature::BigInteger);
                }
            }
            TAG_GENERALIZED_TIME => {
                let ok = value.len() == 15
                    && value.last() == Some(&b'Z')
                    && value.iter().take(14).all(u8::is_ascii_digit)
                    && plain_time(value);
                if !ok {
                    add(out, Feature::OddTime);
                }
            }
            // DER (X.690 11.2.2) trims trailing zero bits; KerberosFlags are sent as 32
            // bits with zero unused bits, which DER-strict decoders may refuse.
            TAG_BIT_STRING if value.first() != Some(&0) || value.len() != 5 => {
                add(out, Feature::LooseBitString);
            }
            _ => {}
        }
        if (0x40..=0x5e).contains(&tag)
            || (0x80..=0x9e).contains(&tag)
            || [0x22, 0x23, 0x24, 0x38, 0x3b].contains(&tag)
        {
            add(out, Feature::WrongForm);
        }
        if let (0xa0..=0xbe, Level::Sequence(max)) = (tag, level) {
            let n = tag & 0x1f;
            // Every SEQUENCE of these messages numbers its fields from [0] upwards; a
            // field past the last the RFC defines, or out of order, is not in the RFC.
            if n > max || last_context.is_some_and(|l| n <= l) {
                add(out, Feature::UnknownField);
            }
            last_context = Some(n);
        }
        // ad-data of AD-IF-RELEVANT is DER inside an OCTET STRING, which kerbgate
        // decodes and rasn then checks too (bad_if_relevant): walk any OCTET STRING
        // that starts like a SEQUENCE. (A key that happens to start with 0x30 may add
        // features; that only widens what counts as explained.)
        if tag == 0x04 && value.first() == Some(&0x30) {
            walk(value, depth + 1, Level::Sequence(1), out);
        }
        if tag & 0x20 != 0 {
            // The message's own SEQUENCE sits in its APPLICATION tag (or, walking from
            // the SEQUENCE, is the input); every nested SEQUENCE of these two messages
            // (PrincipalName, EncryptionKey, Checksum, TransitedEncoding, HostAddress,
            // AD element) ends at [1].
            let inner = match (level, tag) {
                (Level::Outer(top), 0x30) => Level::Sequence(top),
                (Level::Outer(top), 0x60..=0x7e) => Level::Outer(top),
                (_, 0x30) => Level::Sequence(1),
                _ => Level::Other,
            };
            walk(value, depth + 1, inner, out);
        }
    }
}

/// Month 1-12, day 1-28, hour < 24, minute < 60, second < 60: a time both decoders
/// must read alike (days 29-31 are left out rather than checking the calendar).
fn plain_time(v: &[u8]) -> bool {
    let n = |i: usize| {
        let d = |j: usize| v.get(j).map_or(99, |c| u32::from(c.wrapping_sub(b'0')));
        d(i) * 10 + d(i + 1)
    };
    (1..=12).contains(&n(4)) && (1..=28).contains(&n(6)) && n(8) < 24 && n(10) < 60 && n(12) < 60
}

// ---- field comparison ----

fn int(i: &rasn::types::Integer) -> Option<i64> {
    i64::try_from(i).ok()
}

fn time(t: &rasn_kerberos::KerberosTime) -> i64 {
    t.0.timestamp()
}

fn flags(b: &rasn::types::BitString) -> u32 {
    let mut out = [0u8; 4];
    for (o, v) in out.iter_mut().zip(b.as_raw_slice()) {
        *o = *v;
    }
    u32::from_be_bytes(out)
}

macro_rules! same {
    ($a:expr, $b:expr, $what:expr) => {
        if $a != $b {
            return Err(format!("{}: ours {:?}, rasn {:?}", $what, $a, $b));
        }
    };
}

fn name(ours: &PrincipalName<'_>, theirs: &rasn_kerberos::PrincipalName) -> Result<(), String> {
    same!(ours.name_type, theirs.r#type, "name-type");
    let a: Vec<&[u8]> = ours.components().map(str::as_bytes).collect();
    let b: Vec<&[u8]> = theirs.string.iter().map(|s| s.as_bytes()).collect();
    same!(a, b, "name-string");
    Ok(())
}

fn key(ours: &EncryptionKey<'_>, theirs: &rasn_kerberos::EncryptionKey) -> Result<(), String> {
    same!(ours.keytype, theirs.r#type, "keytype");
    same!(ours.keyvalue, &theirs.value[..], "keyvalue");
    Ok(())
}

fn cksum(ours: &Checksum<'_>, theirs: &rasn_kerberos::Checksum) -> Result<(), String> {
    same!(ours.cksumtype, theirs.r#type, "cksumtype");
    same!(ours.checksum, &theirs.checksum[..], "checksum");
    Ok(())
}

fn addresses(
    ours: Option<&HostAddresses<'_>>,
    theirs: Option<&rasn_kerberos::HostAddresses>,
) -> Result<(), String> {
    same!(ours.is_some(), theirs.is_some(), "caddr presence");
    if let (Some(a), Some(b)) = (ours, theirs) {
        same!(a.len(), b.len(), "caddr count");
        for (x, y) in a.iter().zip(b) {
            same!(x.addr_type, y.addr_type, "addr-type");
            same!(x.address, &y.address[..], "address");
        }
    }
    Ok(())
}

fn authz(
    ours: Option<&AuthorizationData<'_>>,
    theirs: Option<&rasn_kerberos::AuthorizationData>,
) -> Result<(), String> {
    same!(
        ours.is_some(),
        theirs.is_some(),
        "authorization-data presence"
    );
    if let (Some(a), Some(b)) = (ours, theirs) {
        same!(a.len(), b.len(), "authorization-data count");
        for (x, y) in a.iter().zip(b) {
            same!(x.ad_type, y.r#type, "ad-type");
            same!(x.ad_data, &y.data[..], "ad-data");
        }
    }
    Ok(())
}

fn enc_ticket_part(
    ours: &EncTicketPart<'_>,
    theirs: &rasn_kerberos::EncTicketPart,
) -> Result<(), String> {
    same!(ours.flags.0, flags(&theirs.flags.0), "flags");
    key(&ours.key, &theirs.key)?;
    same!(ours.crealm.as_bytes(), theirs.crealm.as_bytes(), "crealm");
    name(&ours.cname, &theirs.cname)?;
    same!(ours.transited.tr_type, theirs.transited.r#type, "tr-type");
    same!(
        ours.transited.contents,
        &theirs.transited.contents[..],
        "contents"
    );
    same!(ours.authtime, time(&theirs.auth_time), "authtime");
    same!(
        ours.starttime,
        theirs.start_time.as_ref().map(time),
        "starttime"
    );
    same!(ours.endtime, time(&theirs.end_time), "endtime");
    same!(
        ours.renew_till,
        theirs.renew_till.as_ref().map(time),
        "renew-till"
    );
    addresses(ours.caddr.as_ref(), theirs.caddr.as_ref())?;
    authz(
        ours.authorization_data.as_ref(),
        theirs.authorization_data.as_ref(),
    )
}

fn authenticator(
    ours: &Authenticator<'_>,
    theirs: &rasn_kerberos::Authenticator,
) -> Result<(), String> {
    same!(Some(5), int(&theirs.authenticator_vno), "authenticator-vno");
    same!(ours.crealm.as_bytes(), theirs.crealm.as_bytes(), "crealm");
    name(&ours.cname, &theirs.cname)?;
    same!(
        ours.cksum.is_some(),
        theirs.cksum.is_some(),
        "cksum presence"
    );
    if let (Some(a), Some(b)) = (&ours.cksum, &theirs.cksum) {
        cksum(a, b)?;
    }
    same!(Some(i64::from(ours.cusec)), int(&theirs.cusec), "cusec");
    same!(ours.ctime, time(&theirs.ctime), "ctime");
    same!(
        ours.subkey.is_some(),
        theirs.subkey.is_some(),
        "subkey presence"
    );
    if let (Some(a), Some(b)) = (&ours.subkey, &theirs.subkey) {
        key(a, b)?;
    }
    same!(ours.seq_number, theirs.seq_number, "seq-number");
    authz(
        ours.authorization_data.as_ref(),
        theirs.authorization_data.as_ref(),
    )
}

/// Which features may explain kerbgate alone accepting.
const OURS_ONLY: &[Feature] = &[
    Feature::HighString,
    Feature::OddTime,
    Feature::NegativeInteger,
    Feature::LongFormLength,
    Feature::PaddedInteger,
    Feature::UnknownField,
    Feature::LooseBitString,
];

/// Which features may explain rasn-kerberos alone accepting.
const RASN_ONLY: &[Feature] = &[
    Feature::HighString,
    Feature::Counts,
    Feature::OddTime,
    Feature::BigInteger,
    Feature::BadVersion,
    Feature::BadIfRelevant,
    Feature::WrongForm,
    Feature::CusecRange,
];

fn verdict<O, T>(
    der: &[u8],
    top_max: u8,
    ours: Option<O>,
    theirs: Option<T>,
    compare: impl Fn(&O, &T) -> Result<(), String>,
    extra: &[Feature],
) -> Verdict {
    match (ours, theirs) {
        (None, None) => Verdict::BothRefuse,
        (Some(a), Some(b)) => match compare(&a, &b) {
            Ok(()) => Verdict::Agree,
            Err(e) => Verdict::Mismatch(e),
        },
        (ours, _) => {
            let mut found = features(der, top_max);
            found.extend_from_slice(extra);
            let (allowed, only_ours) = if ours.is_some() {
                (OURS_ONLY, true)
            } else {
                (RASN_ONLY, false)
            };
            let why: Vec<Feature> = found.into_iter().filter(|f| allowed.contains(f)).collect();
            match (why.is_empty(), only_ours) {
                (true, true) => Verdict::Mismatch("only kerbgate decodes it".into()),
                (true, false) => Verdict::Mismatch("only rasn-kerberos decodes it".into()),
                (false, true) => Verdict::OnlyOurs(why),
                (false, false) => Verdict::OnlyRasn(why),
            }
        }
    }
}

/// Compares the two decoders on `der` as an EncTicketPart.
#[must_use]
pub(crate) fn compare_enc_ticket_part(der: &[u8]) -> Verdict {
    let ours = EncTicketPart::from_der(der).ok();
    let theirs = rasn::der::decode::<rasn_kerberos::EncTicketPart>(der).ok();
    let extra: &[Feature] = if theirs
        .as_ref()
        .is_some_and(|t| bad_if_relevant(t.authorization_data.as_ref(), 0))
    {
        &[Feature::BadIfRelevant]
    } else {
        &[]
    };
    // RFC 4120 5.3: EncTicketPart ends at [10] authorization-data.
    verdict(der, 10, ours, theirs, enc_ticket_part, extra)
}

/// Compares the two decoders on `der` as an Authenticator.
#[must_use]
pub(crate) fn compare_authenticator(der: &[u8]) -> Verdict {
    let ours = Authenticator::from_der(der).ok();
    let theirs = rasn::der::decode::<rasn_kerberos::Authenticator>(der).ok();
    let mut extra = Vec::new();
    if let Some(t) = &theirs {
        if int(&t.authenticator_vno) != Some(5) {
            extra.push(Feature::BadVersion);
        }
        if !int(&t.cusec).is_some_and(|c| (0..=999_999).contains(&c)) {
            extra.push(Feature::CusecRange);
        }
        if bad_if_relevant(t.authorization_data.as_ref(), 0) {
            extra.push(Feature::BadIfRelevant);
        }
    }
    // RFC 4120 5.5.1: Authenticator ends at [8] authorization-data.
    verdict(der, 8, ours, theirs, authenticator, &extra)
}
