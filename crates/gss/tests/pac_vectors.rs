//! Real Active Directory PACs (testdata/pac/vectors.txt): decode, check client info,
//! verify signatures, and refuse them once a signed byte changes.
// Test code: a failed expectation should abort the test with its message.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;

use kerbgate::pac::{Pac, PacError};
use kerbgate_crypto::{Enctype, Key};

fn dir() -> String {
    format!("{}/../../testdata/pac", env!("CARGO_MANIFEST_DIR"))
}

/// Blocks of `name = value` lines; quoted values lose their quotes.
fn blocks(path: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut cur = HashMap::new();
    for line in text.lines().chain(std::iter::once("")) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let (k, v) = line.split_once(" = ").unwrap();
        cur.insert(k.to_string(), v.trim_matches('"').to_string());
    }
    out
}

/// des-cbc-md5: kerbgate makes no keys of it; PAC signatures use its bytes raw.
const DES_CBC_MD5: i32 = 3;

fn key(b: &HashMap<String, String>, which: &str) -> Option<Key> {
    let et: i32 = b.get(&format!("{which}_enctype"))?.parse().unwrap();
    if et == DES_CBC_MD5 {
        return None;
    }
    let bytes = hex::decode(b.get(&format!("{which}_key"))?).unwrap();
    Some(Key::new(Enctype::from_i32(et).unwrap(), &bytes).unwrap())
}

#[test]
fn ad_vectors_decode_and_verify() {
    let cases = blocks(&format!("{}/vectors.txt", dir()));
    assert_eq!(cases.len(), 7);
    for (i, b) in cases.iter().enumerate() {
        let ctx = format!("testdata/pac/vectors.txt case {i} ({})", b["name"]);
        let bytes = std::fs::read(format!("{}/{}", dir(), b["file"])).unwrap();
        let pac = Pac::parse(&bytes).unwrap_or_else(|e| panic!("{ctx}: {e}"));

        // Identity.
        let li = pac
            .logon_info()
            .unwrap_or_else(|| panic!("{ctx}: no logon info"));
        assert_eq!(li.effective_name, b["account"], "{ctx}");
        assert_eq!(
            pac.logon_domain(),
            Some(b["logon_domain"].as_str()),
            "{ctx}"
        );
        assert_eq!(pac.user_sid().unwrap().to_string(), b["user_sid"], "{ctx}");
        let groups: Vec<String> = pac.group_sids().iter().map(|s| s.to_string()).collect();
        assert_eq!(groups.join(","), b["groups"], "{ctx}");
        assert_eq!(pac.upn(), b.get("upn").map(String::as_str), "{ctx}");
        if let Some(dns) = b.get("dns_domain") {
            assert_eq!(&pac.upn_dns_info().unwrap().dns_domain, dns, "{ctx}");
        }
        if let Some(sam) = b.get("sam_name") {
            let upn = pac.upn_dns_info().unwrap();
            assert_eq!(upn.sam_name.as_deref(), Some(sam.as_str()), "{ctx}");
            assert_eq!(
                upn.sid.as_ref().map(|s| s.to_string()),
                pac.user_sid().map(|s| s.to_string())
            );
        }

        // MS-PAC 2.7: client info against the ticket.
        let authtime: i64 = b["authtime"].parse().unwrap();
        pac.check_client_info(&b["client"], authtime)
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(
            pac.check_client_info(&b["client"], authtime + 1),
            Err(PacError::ClientInfoMismatch { field: "authtime" }),
            "{ctx}"
        );
        assert_eq!(
            pac.check_client_info("mallory", authtime),
            Err(PacError::ClientInfoMismatch { field: "name" }),
            "{ctx}"
        );

        // MS-PAC 2.8: signatures.
        if let Some(k) = key(b, "server") {
            pac.verify_server_signature(&k)
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_tamper_detected(&bytes, &ctx, |p| p.verify_server_signature(&k));
        }
        if b.get("server_enctype").map(String::as_str) == Some("3") {
            check_des_server_signature(&pac, &bytes, &b["server_key"], &ctx);
        }
        if let Some(k) = key(b, "kdc") {
            pac.verify_kdc_signature(&k)
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            if pac.full_pac_signature().is_some() {
                pac.verify_full_pac_signature(&k)
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_tamper_detected(&bytes, &ctx, |p| p.verify_full_pac_signature(&k));
            }
            // The KDC key is not the server key: the server signature must fail with it
            // (or be of a type the key cannot check).
            assert!(pac.verify_server_signature(&k).is_err(), "{ctx}");
        }
    }
}

/// A DES service key's HMAC-MD5 server signature, through the raw-key path (a
/// build without RC4 has no HMAC-MD5 and skips it; the workspace build has it).
#[cfg(feature = "rc4")]
fn check_des_server_signature(pac: &Pac, bytes: &[u8], key_hex: &str, ctx: &str) {
    let raw = hex::decode(key_hex).unwrap();
    pac.verify_server_signature_hmac_md5_raw(&raw)
        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_tamper_detected(bytes, ctx, |p| p.verify_server_signature_hmac_md5_raw(&raw));
    let mut wrong = raw.clone();
    wrong[0] ^= 1;
    assert_eq!(
        pac.verify_server_signature_hmac_md5_raw(&wrong),
        Err(PacError::BadSignature { which: "server" }),
        "{ctx}"
    );
}

#[cfg(not(feature = "rc4"))]
fn check_des_server_signature(_: &Pac, _: &[u8], _: &str, _: &str) {}

/// Flipping one bit of the logon info's UserId region must break the signature.
fn assert_tamper_detected(bytes: &[u8], ctx: &str, verify: impl Fn(&Pac) -> Result<(), PacError>) {
    let pac = Pac::parse(bytes).unwrap();
    let li = pac.buffers().iter().find(|b| b.ul_type == 1).unwrap();
    // Somewhere inside the fixed part of KERB_VALIDATION_INFO (LogonCount area),
    // so the PAC still decodes.
    let mut t = bytes.to_vec();
    t[li.offset + 20 + 48 + 6 * 8] ^= 1;
    let tampered = Pac::parse(&t).unwrap_or_else(|e| panic!("{ctx}: tampered: {e}"));
    assert!(
        matches!(verify(&tampered), Err(PacError::BadSignature { .. })),
        "{ctx}: tampered PAC verified"
    );
}

#[test]
fn wrong_key_type_is_reported() {
    let bytes = std::fs::read(format!("{}/krb5/s4u_pac_regular.bin", dir())).unwrap();
    let pac = Pac::parse(&bytes).unwrap();
    let aes128 = Key::new(Enctype::Aes128CtsHmacSha196, &[7; 16]).unwrap();
    assert!(matches!(
        pac.verify_server_signature(&aes128),
        Err(PacError::UnusableChecksum { cksumtype: 16, .. })
    ));
    let aes256 = Key::new(Enctype::Aes256CtsHmacSha196, &[7; 32]).unwrap();
    assert_eq!(
        pac.verify_server_signature(&aes256),
        Err(PacError::BadSignature { which: "server" })
    );
}

#[test]
fn well_known_names() {
    let bytes = std::fs::read(format!("{}/krb5/ticket_data_ws2022.pac.bin", dir())).unwrap();
    let pac = Pac::parse(&bytes).unwrap();
    let names: Vec<_> = pac
        .group_sids()
        .iter()
        .filter_map(|s| s.well_known_name())
        .collect();
    assert_eq!(
        names,
        [
            "Domain Users",
            "Domain Admins",
            "Group Policy Creator Owners",
            "Schema Admins",
            "Enterprise Admins",
            "Authentication authority asserted identity",
            "Denied RODC Password Replication Group"
        ]
    );
    let admins = kerbgate::pac::Sid::new(1, 5, &[32, 544]).unwrap();
    assert_eq!(admins.to_string(), "S-1-5-32-544");
    assert_eq!(admins.well_known_name(), Some(r"BUILTIN\Administrators"));
}
