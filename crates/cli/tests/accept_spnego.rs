//! `kerbgate accept` on SPNEGO tokens (RFC 4178): the MIT 1.20 capture
//! `spnego-krb5-mutual` and the hand-built variants in testdata/spnego/hand-built.txt.
//! `"mech"` names the Kerberos mechanism inside, `"spnego": true` is added, the output
//! token is the NegTokenResp.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{case, code, json_lines, kerbgate};

fn hand_built(name: &str) -> String {
    let path = common::captures().join("../../spnego/hand-built.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let block = text
        .split("\n\n")
        .find(|b| b.contains(&format!("name = {name}\n")))
        .unwrap_or_else(|| panic!("hand-built.txt has no case {name}"));
    block
        .lines()
        .find_map(|l| l.strip_prefix("token = "))
        .unwrap()
        .to_string()
}

fn accept(case_name: &str, tokens: &[String]) -> std::process::Output {
    let c = case(case_name);
    let mut args = vec!["accept".to_string(), "--json".to_string()];
    args.extend(c.keytab_and_now());
    args.extend(tokens.iter().cloned());
    kerbgate(&args, "")
}

#[test]
fn mit_spnego_capture_reports_inner_mech_and_negtokenresp() {
    let c = case("spnego-krb5-mutual");
    let out = accept("spnego-krb5-mutual", &[c.get("token").to_string()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let v = &json_lines(&out)[0];
    assert_eq!(v["ok"], true);
    assert_eq!(v["spnego"], true);
    assert_eq!(v["mech"], "1.2.840.113554.1.2.2");
    assert_eq!(v["client"], c.get("client"));
    // A NegTokenResp: [1] SEQUENCE { [0] accept-completed, [1] krb5, [2] AP-REP }.
    let t = v["output_token"].as_str().unwrap();
    assert!(t.starts_with("a1"), "{t}");
    assert!(t.contains("a0030a0100a10b06092a864886f712010202a2"), "{t}");
}

#[test]
fn plain_kerberos_lines_have_no_spnego_key() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let out = accept(
        "aes256-cts-hmac-sha1-96-mutual",
        &[c.get("token").to_string()],
    );
    assert_eq!(code(&out), 0);
    assert!(json_lines(&out)[0].get("spnego").is_none());
}

#[test]
fn hand_built_variants_through_the_cli() {
    let base = "aes256-cts-hmac-sha1-96-mutual";
    // Microsoft OID first: accepted, the inner token is krb5-framed.
    let out = accept(base, &[hand_built("mskrb5-first")]);
    let v = &json_lines(&out)[0];
    assert_eq!(
        (v["ok"].clone(), v["spnego"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(v["mech"], "1.2.840.113554.1.2.2");

    // NegoEx first: a second leg would be needed.
    let out = accept(base, &[hand_built("negoex-first")]);
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["error"], "GSS_S_CONTINUE_NEEDED");
    // request-mic with supportedMech ms-krb5.
    let t = v["output_token"].as_str().unwrap();
    assert!(t.contains("a0030a0103a10b06092a864882f712010202"), "{t}");

    // NTLM only: refused with a reject NegTokenResp and a clear message.
    let out = accept(base, &[hand_built("ntlm-only")]);
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["gss_major"], "GSS_S_BAD_MECH");
    assert!(v["message"].as_str().unwrap().contains("only NTLM"), "{v}");
    assert_eq!(v["output_token"], "a1073005a0030a0102");
}
