//! `kerbgate pipe` on the real MIT krb5 1.20 captures: every non-mutual case's context
//! unwraps MIT's sealed and integrity-only Wrap tokens and verifies its MIC (RFC 4121,
//! and RFC 4757 for arcfour); tampered tokens, missing contexts and bad requests get
//! typed answers and the pipe keeps serving.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{cases, code, json_lines, kerbgate, keys_in_order};
use serde_json::json;

fn flip_last(hex_token: &str) -> String {
    let mut bytes = hex::decode(hex_token).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    hex::encode(bytes)
}

#[test]
fn unwraps_and_verifies_mit_per_message_tokens_for_every_enctype() {
    let with_tokens: Vec<_> = cases()
        .into_iter()
        .filter(|c| c.fields.contains_key("mic"))
        .collect();
    assert!(
        with_tokens.len() >= 7,
        "only {} cases with per-message tokens",
        with_tokens.len()
    );
    for c in with_tokens {
        let msg = c.get("message");
        let requests = [
            json!({"op": "accept", "token": c.get("token")}),
            json!({"op": "unwrap", "token": c.get("wrap_conf")}),
            json!({"op": "unwrap", "token": c.get("wrap_integ")}),
            json!({"op": "verify_mic", "data": msg, "token": c.get("mic")}),
            json!({"op": "verify_mic", "data": msg, "token": flip_last(c.get("mic"))}),
            json!({"op": "wrap", "data": "68656c6c6f", "conf": true}),
            json!({"op": "get_mic", "data": "68656c6c6f"}),
        ];
        let stdin: String = requests.iter().map(|r| format!("{r}\n")).collect();
        let mut args = vec!["pipe".to_string()];
        args.extend(c.keytab_and_now());
        let out = kerbgate(&args, &stdin);
        assert_eq!(code(&out), 0, "{}", c.at());
        let lines = json_lines(&out);
        assert_eq!(lines.len(), requests.len(), "{}", c.at());
        assert_eq!(lines[0]["ok"], true, "{}: {}", c.at(), lines[0]);
        assert_eq!(lines[1]["data"], msg, "{}", c.at());
        assert_eq!(lines[1]["conf"], true, "{}", c.at());
        assert_eq!(lines[2]["data"], msg, "{}", c.at());
        assert_eq!(lines[2]["conf"], false, "{}", c.at());
        assert_eq!(lines[3]["ok"], true, "{}: {}", c.at(), lines[3]);
        assert_eq!(lines[4]["ok"], false, "{}", c.at());
        assert_eq!(
            lines[4]["gss_major"],
            "GSS_S_BAD_MIC",
            "{}: {}",
            c.at(),
            lines[4]
        );
        let token = lines[5]["token"].as_str().unwrap();
        assert!(
            token.starts_with("0504") || token.starts_with("60"),
            "{}: {token}",
            c.at()
        );
        assert_eq!(lines[6]["ok"], true, "{}", c.at());
    }
}

#[test]
fn answers_keep_documented_field_order() {
    let c = cases()
        .into_iter()
        .find(|c| c.fields.contains_key("mic"))
        .unwrap();
    let stdin = format!(
        "{}\n{}\n",
        json!({"op": "accept", "token": c.get("token")}),
        json!({"op": "unwrap", "token": c.get("wrap_conf")})
    );
    let mut args = vec!["pipe".to_string()];
    args.extend(c.keytab_and_now());
    let out = kerbgate(&args, &stdin);
    let text = String::from_utf8(out.stdout).unwrap();
    let second = text.lines().nth(1).unwrap();
    assert_eq!(
        keys_in_order(second),
        ["ok", "data", "conf", "supplementary"]
    );
}

#[test]
fn bad_requests_and_missing_context_get_typed_answers() {
    let c = cases()
        .into_iter()
        .find(|c| c.fields.contains_key("mic"))
        .unwrap();
    let stdin = format!(
        "{}\nnot json\n{}\n{}\n{}\n",
        json!({"op": "unwrap", "token": c.get("wrap_conf")}),
        json!({"op": "frobnicate"}),
        json!({"op": "accept", "token": "60"}),
        json!({"op": "accept", "token": c.get("token")}),
    );
    let mut args = vec!["pipe".to_string()];
    args.extend(c.keytab_and_now());
    let out = kerbgate(&args, &stdin);
    assert_eq!(code(&out), 0);
    let lines = json_lines(&out);
    assert_eq!(lines[0]["error"], "GSS_S_NO_CONTEXT", "{}", lines[0]);
    assert_eq!(lines[1]["error"], "BAD_REQUEST");
    assert_eq!(lines[2]["error"], "BAD_REQUEST");
    assert_eq!(lines[3]["error"], "GSS_S_DEFECTIVE_TOKEN", "{}", lines[3]);
    assert_eq!(lines[4]["ok"], true);
}
