//! MS-PAC on arbitrary bytes: the whole PACTYPE parser with every accessor and
//! signature check (fixed keys, so they fail), and, selected by the first byte, each
//! buffer decoder on its own (NDR logon info and delegation info, client info,
//! UPN/DNS info, attributes, SID).
#![no_main]

use std::sync::OnceLock;

use kerbgate::pac::{AttributesInfo, ClientInfo, DelegationInfo, LogonInfo, Pac, Sid, UpnDnsInfo};
use kerbgate_crypto::{Enctype, Key};
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static [Key; 2] {
    static KEYS: OnceLock<[Key; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let k = |e, n| Key::new(e, &vec![7u8; n]).unwrap_or_else(|e| panic!("fuzz key: {e}"));
        [k(Enctype::Aes256CtsHmacSha196, 32), k(Enctype::Rc4Hmac, 16)]
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(pac) = Pac::parse(data) {
        let _ = (
            pac.user_sid(),
            pac.upn(),
            pac.logon_domain(),
            pac.requestor(),
        );
        for sid in pac.group_sids() {
            let _ = (sid.to_string(), sid.well_known_name());
        }
        for key in keys() {
            let _ = pac.verify_server_signature(key);
            let _ = pac.verify_kdc_signature(key);
            let _ = pac.verify_full_pac_signature(key);
        }
        let _ = pac.check_client_info("alice@EXAMPLE.COM", 1_700_000_000);
    }
    let Some((sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 6 {
        0 => drop(LogonInfo::parse(rest)),
        1 => drop(DelegationInfo::parse(rest)),
        2 => drop(ClientInfo::parse(rest)),
        3 => drop(UpnDnsInfo::parse(rest)),
        4 => drop(AttributesInfo::parse(rest)),
        _ => drop(Sid::from_bytes(rest).map(|s| s.to_string())),
    }
});
