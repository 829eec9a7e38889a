//! `kerbgate inspect` run as a binary on the real MIT krb5 1.20 tokens in
//! testdata/captured/mit-1.20: what an AP-REQ, AP-REP, KRB-ERROR and SPNEGO token
//! show without keys, and malformed input.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{base64, case, cases, code, json_lines, kerbgate, keys_in_order};

fn inspect_json(token: &str) -> std::process::Output {
    kerbgate(&["inspect", "--json", token], "")
}

fn enctype_name(n: &str) -> &'static str {
    match n {
        "17" => "aes128-cts-hmac-sha1-96",
        "18" => "aes256-cts-hmac-sha1-96",
        "19" => "aes128-cts-hmac-sha256-128",
        "20" => "aes256-cts-hmac-sha384-192",
        "23" => "arcfour-hmac",
        "25" => "camellia128-cts-cmac",
        "26" => "camellia256-cts-cmac",
        other => panic!("enctype {other} not expected in the captures"),
    }
}

#[test]
fn shows_the_clear_fields_of_a_captured_ap_req() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let out = inspect_json(c.get("token"));
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        keys_in_order(text.trim_end()),
        [
            "ok",
            "framing",
            "mech",
            "mech_name",
            "token_id",
            "ap_options",
            "ticket_realm",
            "ticket_sname",
            "ticket_enctype",
            "ticket_kvno",
            "authenticator_enctype",
            "pac_note",
        ]
    );
    let v = &json_lines(&out)[0];
    assert_eq!(
        *v,
        serde_json::json!({
            "ok": true,
            "framing": "gss",
            "mech": "1.2.840.113554.1.2.2",
            "mech_name": "krb5",
            "token_id": "AP-REQ",
            "ap_options": ["mutual-required"],
            "ticket_realm": "KERBGATE.TEST",
            "ticket_sname": "imap/mail.kerbgate.test",
            "ticket_enctype": "aes256-cts-hmac-sha1-96",
            "ticket_kvno": 1,
            "authenticator_enctype": "aes256-cts-hmac-sha1-96",
            "pac_note": "any PAC is encrypted in the ticket; pass --keytab with the service key \
                         to show it",
        })
    );
}

#[test]
fn every_captured_kerberos_token_matches_its_case() {
    for c in cases().iter().filter(|c| c.get("mech") != "1.3.6.1.5.5.2") {
        let at = c.at();
        let out = inspect_json(c.get("token"));
        assert_eq!(code(&out), 0, "{at}");
        let v = &json_lines(&out)[0];
        assert_eq!(v["mech"], c.get("mech"), "{at}");
        assert_eq!(v["token_id"], "AP-REQ", "{at}");
        let service = c.get("service");
        let (sname, realm) = service.split_once('@').unwrap();
        assert_eq!(v["ticket_sname"], sname, "{at}");
        assert_eq!(v["ticket_realm"], realm, "{at}");
        assert_eq!(
            v["ticket_enctype"],
            enctype_name(c.get("ticket_enctype")),
            "{at}"
        );
        assert_eq!(v["ticket_kvno"].to_string(), c.get("kvno"), "{at}");
        // RFC 4120 5.5.1: the authenticator is in the session key's enctype.
        assert_eq!(
            v["authenticator_enctype"],
            enctype_name(c.get("session_enctype")),
            "{at}"
        );
        let mutual = c.get("flags").split(',').any(|f| f == "mutual");
        let opts = v["ap_options"].as_array().unwrap();
        assert_eq!(opts.iter().any(|o| o == "mutual-required"), mutual, "{at}");
        if c.get("mech") == "1.2.840.48018.1.2.2" {
            assert_eq!(v["mech_name"], "ms-krb5", "{at}");
        }

        // MIT's AP-REP: the enc-part is in the session key's enctype.
        if let Some(rep) = c.fields.get("mit_ap_rep") {
            let out = inspect_json(rep);
            assert_eq!(code(&out), 0, "{at} mit_ap_rep");
            let v = &json_lines(&out)[0];
            assert_eq!(v["token_id"], "AP-REP", "{at}");
            assert_eq!(
                v["enc_part_enctype"],
                enctype_name(c.get("session_enctype")),
                "{at}"
            );
        }
    }
}

#[test]
fn names_spnego_without_unwrapping_it() {
    let c = case("spnego-krb5-mutual");
    for (what, token, framing) in [
        ("token", c.get("token"), "gss"),
        ("mit_ap_rep", c.get("mit_ap_rep"), "raw"),
    ] {
        let out = inspect_json(token);
        assert_eq!(code(&out), 0, "{what}");
        let v = &json_lines(&out)[0];
        assert_eq!(v["mech"], "1.3.6.1.5.5.2", "{what}");
        assert_eq!(v["mech_name"], "spnego", "{what}");
        assert_eq!(v["framing"], framing, "{what}");
        assert!(
            v["note"].as_str().unwrap().contains("not yet unwrapped"),
            "{what}"
        );
    }
}

#[test]
fn shows_the_krb_error_of_a_refused_replay() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let t = c.get("token");
    let mut args = vec!["accept".to_string(), "--json".to_string()];
    args.extend(c.keytab_and_now());
    args.extend([t.to_string(), t.to_string()]);
    let out = kerbgate(&args, "");
    let krb_error = json_lines(&out)[1]["output_token"]
        .as_str()
        .unwrap()
        .to_string();

    let out = inspect_json(&krb_error);
    assert_eq!(code(&out), 0);
    let v = &json_lines(&out)[0];
    assert_eq!(v["token_id"], "KRB-ERROR");
    assert_eq!(v["error"], "KRB_AP_ERR_REPEAT");
    assert_eq!(v["error_code"], 34);
    assert_eq!(v["stime"].to_string(), c.get("captured_at"));
    assert_eq!(v["realm"], "KERBGATE.TEST");
    assert_eq!(v["sname"], "imap/mail.kerbgate.test");
    assert!(v["e_text"].is_null());

    // Text form, and the same token in base64 on stdin.
    let b64 = base64(&hex::decode(&krb_error).unwrap());
    let out = kerbgate(&["inspect", "-"], &format!("{b64}\n"));
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("token: KRB-ERROR\n"), "{text}");
    assert!(text.contains("error: KRB_AP_ERR_REPEAT (34)\n"), "{text}");
}

#[test]
fn text_output_names_each_field() {
    let c = case("rc4-ticket-aes256-session-nomutual");
    let out = kerbgate(&["inspect", c.get("token")], "");
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = "framing: gss\n\
                    mechanism: 1.2.840.113554.1.2.2 (krb5)\n\
                    token: AP-REQ\n\
                    ap-options: none\n\
                    ticket realm: KERBGATE.TEST\n\
                    ticket sname: imap/mail.kerbgate.test\n\
                    ticket enctype: arcfour-hmac\n\
                    ticket kvno: 1\n\
                    authenticator enctype: aes256-cts-hmac-sha1-96\n\
                    PAC: any PAC is encrypted in the ticket; pass --keytab with the service \
                    key to show it\n";
    assert_eq!(text, expected);
}

#[test]
fn malformed_input_exits_1_with_the_decode_error() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let t = c.get("token");
    let truncated = &t[..t.len() - 2];
    let out = inspect_json(truncated);
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"], "GSS_S_DEFECTIVE_TOKEN");
    assert!(v["message"].as_str().unwrap().contains("truncated"), "{v}");

    let out = kerbgate(&["inspect", truncated], "");
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("kerbgate: defective token (GSS_S_DEFECTIVE_TOKEN)"),
        "{err}"
    );

    // Not hex, not base64; and an NTLMSSP-framed token (another mechanism).
    let out = inspect_json("no token here");
    assert_eq!(code(&out), 1);
    assert_eq!(json_lines(&out)[0]["error"], "GSS_S_DEFECTIVE_TOKEN");
    let out = inspect_json("600c060a2b06010401823702020a");
    assert_eq!(code(&out), 1);
    assert_eq!(json_lines(&out)[0]["error"], "GSS_S_BAD_MECH");

    // Usage: no token at all.
    assert_eq!(code(&kerbgate(&["inspect"], "")), 2);
}

#[test]
fn with_the_keytab_shows_the_mit_minimal_pac() {
    let c = case("aes256-cts-hmac-sha1-96-mutual");
    let keytab = common::captures().join(c.get("keytab"));
    let keytab = keytab.to_str().unwrap();
    let out = kerbgate(
        &["inspect", "--json", "--keytab", keytab, c.get("token")],
        "",
    );
    assert_eq!(code(&out), 0);
    let v = &json_lines(&out)[0];
    assert!(v.get("pac_note").is_none(), "{v}");
    // MIT 1.20: client info and signatures only; the server signature checks out.
    assert_eq!(v["pac"]["user_sid"], serde_json::Value::Null);
    assert_eq!(v["pac"]["groups"], serde_json::json!([]));
    assert_eq!(
        v["pac"]["signatures"],
        serde_json::json!({"server": "verified", "kdc": "not-checked", "ticket": "not-checked"})
    );
    let out = kerbgate(&["inspect", "--keytab", keytab, c.get("token")], "");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("PAC:\n  user SID: none\n"), "{text}");
    assert!(
        text.contains("  server signature (type 16): verified\n"),
        "{text}"
    );

    // Another service's keytab cannot open the ticket: said so, still exit 0.
    let other = common::captures().join("imap-aes128-cts-hmac-sha1-96.keytab");
    let out = kerbgate(
        &[
            "inspect",
            "--json",
            "--keytab",
            other.to_str().unwrap(),
            c.get("token"),
        ],
        "",
    );
    assert_eq!(code(&out), 0);
    let v = &json_lines(&out)[0];
    assert!(v["pac_note"].as_str().unwrap().contains("no key"), "{v}");
}
