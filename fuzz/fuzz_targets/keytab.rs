//! Keytab parser: arbitrary bytes never panic; whatever parses survives a
//! write -> parse round trip unchanged.
#![no_main]

use kerbgate_keytab::Keytab;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(keytab) = Keytab::from_bytes(data) else {
        return;
    };
    // Everything the parser accepts fits the format again.
    let bytes = keytab.to_bytes().expect("a parsed keytab encodes");
    let again = Keytab::from_bytes(&bytes).expect("a written keytab parses");
    assert_eq!(again, keytab);
});
