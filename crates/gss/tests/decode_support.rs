//! Shared helpers for the decode_* tests: the testdata vector format, a
//! minimal SPNEGO walk, and field-by-field comparison with rasn-kerberos.
//! Included by the other test files with `#[path]`; as its own test target it
//! only checks the vector files parse.
// Test code: a failed expectation should abort the test with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
#![allow(dead_code)] // each including test file uses a different subset

use std::path::PathBuf;

use kerbgate::der::{context, Reader, TAG_OCTET_STRING};
use kerbgate::messages::{
    AuthorizationData, Checksum, EncryptedData, EncryptionKey, PrincipalName, Ticket,
};
use kerbgate::token::{parse_initial_context_token, Framing, Mech};

/// One block of a vector file.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) file: String,
    pub(crate) index: usize,
    pub(crate) fields: Vec<(String, String)>,
}

impl Case {
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// A quoted string value, unquoted.
    pub(crate) fn str(&self, k: &str) -> Option<&str> {
        self.get(k).map(|v| v.trim_matches('"'))
    }

    pub(crate) fn num(&self, k: &str) -> Option<i64> {
        self.get(k).and_then(|v| v.parse().ok())
    }

    pub(crate) fn hex(&self, k: &str) -> Option<Vec<u8>> {
        self.get(k)
            .map(|v| hex::decode(v).unwrap_or_else(|e| panic!("{self}: {k}: {e}")))
    }

    pub(crate) fn name(&self) -> &str {
        self.str("name").unwrap_or("?")
    }
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} case {} ({})", self.file, self.index, self.name())
    }
}

pub(crate) fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// Reads a `name = value` block file.
pub(crate) fn load(rel: &str) -> Vec<Case> {
    let path = testdata(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut cases = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    let flush = |cur: &mut Vec<(String, String)>, cases: &mut Vec<Case>| {
        if !cur.is_empty() {
            let index = cases.len();
            cases.push(Case {
                file: rel.to_owned(),
                index,
                fields: std::mem::take(cur),
            });
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            flush(&mut cur, &mut cases);
            continue;
        }
        let (k, v) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("{rel}: bad line {line}"));
        cur.push((k.to_owned(), v.to_owned()));
    }
    flush(&mut cur, &mut cases);
    assert!(!cases.is_empty(), "{rel}: no cases");
    cases
}

/// The AP-REQ DER inside a token of the given framing ("gss", "raw",
/// "spnego"), walking SPNEGO by hand (RFC 4178 4.2.1 NegTokenInit, field
/// [2] mechToken) until the crate has a SPNEGO module.
pub(crate) fn ap_req_bytes<'a>(case: &Case, token: &'a [u8]) -> &'a [u8] {
    let framing = case.str("framing").unwrap_or("gss");
    let t = parse_initial_context_token(token).unwrap_or_else(|e| panic!("{case}: {e}"));
    match framing {
        "raw" => {
            assert_eq!(t.framing, Framing::RawApReq, "{case}");
            t.body
        }
        "gss" => {
            assert!(t.mech.is_kerberos(), "{case}");
            t.body
        }
        "spnego" => {
            assert_eq!(t.mech, Mech::Spnego, "{case}");
            let mut r = Reader::new(t.body, "SPNEGO");
            let mut init = r.read_constructed(context(0), "negTokenInit").unwrap();
            let mut seq = init.read_sequence("NegTokenInit").unwrap();
            let mech_token = loop {
                let tlv = seq.read_tlv("NegTokenInit field").unwrap();
                if tlv.tag == context(2) {
                    let mut inner = seq.enter(&tlv).unwrap();
                    break inner.expect(TAG_OCTET_STRING, "mechToken").unwrap().value;
                }
            };
            let inner = parse_initial_context_token(mech_token).unwrap();
            assert!(inner.mech.is_kerberos(), "{case}");
            inner.body
        }
        other => panic!("{case}: unknown framing {other}"),
    }
}

// ---- comparison with rasn-kerberos ----

pub(crate) fn int(i: &rasn::types::Integer) -> i64 {
    i64::try_from(i).expect("rasn integer fits i64")
}

pub(crate) fn gs(s: &rasn::types::GeneralString) -> &str {
    std::str::from_utf8(s.as_bytes()).expect("utf-8")
}

pub(crate) fn time(t: &rasn_kerberos::KerberosTime) -> i64 {
    t.0.timestamp()
}

pub(crate) fn flags(b: &rasn::types::BitString) -> u32 {
    let raw = b.as_raw_slice();
    let mut out = [0u8; 4];
    for (o, v) in out.iter_mut().zip(raw) {
        *o = *v;
    }
    u32::from_be_bytes(out)
}

pub(crate) fn same_name(
    ours: &PrincipalName<'_>,
    theirs: &rasn_kerberos::PrincipalName,
    ctx: &str,
) {
    assert_eq!(ours.name_type, theirs.r#type, "{ctx}: name-type");
    let a: Vec<&str> = ours.components().collect();
    let b: Vec<&str> = theirs.string.iter().map(gs).collect();
    assert_eq!(a, b, "{ctx}: name-string");
}

pub(crate) fn same_enc(ours: &EncryptedData<'_>, theirs: &rasn_kerberos::EncryptedData, ctx: &str) {
    assert_eq!(ours.etype, theirs.etype, "{ctx}: etype");
    assert_eq!(ours.kvno, theirs.kvno, "{ctx}: kvno");
    assert_eq!(ours.cipher, &theirs.cipher[..], "{ctx}: cipher");
}

pub(crate) fn same_key(ours: &EncryptionKey<'_>, theirs: &rasn_kerberos::EncryptionKey, ctx: &str) {
    assert_eq!(ours.keytype, theirs.r#type, "{ctx}: keytype");
    assert_eq!(ours.keyvalue, &theirs.value[..], "{ctx}: keyvalue");
}

pub(crate) fn same_cksum(ours: &Checksum<'_>, theirs: &rasn_kerberos::Checksum, ctx: &str) {
    assert_eq!(ours.cksumtype, theirs.r#type, "{ctx}: cksumtype");
    assert_eq!(ours.checksum, &theirs.checksum[..], "{ctx}: checksum");
}

pub(crate) fn same_ticket(ours: &Ticket<'_>, theirs: &rasn_kerberos::Ticket, ctx: &str) {
    assert_eq!(int(&theirs.tkt_vno), 5, "{ctx}");
    assert_eq!(ours.realm, gs(&theirs.realm), "{ctx}: realm");
    same_name(&ours.sname, &theirs.sname, ctx);
    same_enc(&ours.enc_part, &theirs.enc_part, ctx);
}

pub(crate) fn same_ad(
    ours: Option<&AuthorizationData<'_>>,
    theirs: Option<&rasn_kerberos::AuthorizationData>,
    ctx: &str,
) {
    let (Some(a), Some(b)) = (ours, theirs) else {
        assert_eq!(
            ours.is_none(),
            theirs.is_none(),
            "{ctx}: authorization-data presence"
        );
        return;
    };
    assert_eq!(a.len(), b.len(), "{ctx}: AD count");
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert_eq!(x.ad_type, y.r#type, "{ctx}: AD {i} type");
        assert_eq!(x.ad_data, &y.data[..], "{ctx}: AD {i} data");
        if x.ad_type == 1 {
            let nested: rasn_kerberos::AuthorizationData = rasn::der::decode(&y.data).unwrap();
            same_ad(Some(&x.if_relevant().unwrap()), Some(&nested), ctx);
        }
    }
}

#[test]
fn vector_files_parse() {
    for f in [
        "der/pyspnego/tokens.txt",
        "der/kerberos.net/tokens.txt",
        "der/heimdal/tickets.txt",
        "der/krb5/tickets.txt",
    ] {
        for c in load(f) {
            assert!(c.get("name").is_some(), "{c}");
        }
    }
}
