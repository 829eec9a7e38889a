//! Checks the shape of `testdata/captured/mit-1.20/tokens.txt` (no MIT
//! needed): every block names an existing keytab, has the fields the
//! acceptor tests read, and its hex decodes to GSS-framed tokens.

use std::collections::HashSet;
use std::path::Path;

const REQUIRED: &[&str] = &[
    "name",
    "keytab",
    "captured_at",
    "service",
    "client",
    "mech",
    "flags",
    "channel_bindings",
    "ticket_enctype",
    "session_enctype",
    "kvno",
    "token",
];

#[test]
fn captured_mit_tokens_are_complete() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/captured/mit-1.20");
    let file = dir.join("tokens.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let blocks: Vec<&[&str]> = body
        .split(|l| l.trim().is_empty())
        .filter(|b| !b.is_empty())
        .collect();
    assert!(
        blocks.len() >= 20,
        "{}: only {} blocks",
        file.display(),
        blocks.len()
    );

    let mut names = HashSet::new();
    for (index, block) in blocks.iter().enumerate() {
        let at = format!("{} block {index}", file.display());
        let field = |key: &str| {
            block
                .iter()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(" = "))
                .unwrap_or_else(|| panic!("{at}: missing `{key}`"))
        };
        for key in REQUIRED {
            let _ = field(key);
        }
        assert!(names.insert(field("name")), "{at}: duplicate name");
        assert!(dir.join(field("keytab")).is_file(), "{at}: keytab missing");
        assert!(field("captured_at").parse::<u64>().is_ok(), "{at}");
        for key in ["ticket_enctype", "session_enctype"] {
            let n: i32 = field(key).parse().unwrap_or_else(|_| panic!("{at}: {key}"));
            assert!(kerbgate_interop::enctypes::name(n).is_some(), "{at}: {key}");
        }
        let token = hex::decode(field("token")).unwrap_or_else(|e| panic!("{at}: {e}"));
        // RFC 2743 3.1: [APPLICATION 0] framing for the first token.
        assert_eq!(token.first(), Some(&0x60), "{at}: not a framed token");
        for line in block.iter().filter(|l| {
            ["mit_ap_rep", "wrap_conf", "wrap_integ", "mic", "message"]
                .iter()
                .any(|k| l.starts_with(&format!("{k} = ")))
        }) {
            let (_, value) = line.split_once(" = ").unwrap_or_default();
            assert!(hex::decode(value).is_ok(), "{at}: bad hex in {line:.20}");
        }
    }
}
