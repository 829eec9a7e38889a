//! Key material is zeroized (STYLE: keys zeroized on drop, Debug shows enctype and
//! length only).
//!
//! Memory after a drop cannot be read without unsafe code, so drop behaviour is checked
//! through the trait: [`Key`] must implement `ZeroizeOnDrop`, and the `Zeroize`
//! behaviour of the buffers it is built from is checked directly.
#![allow(clippy::unwrap_used, reason = "test code")]

use kerbgate_crypto::{Enctype, Key};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const fn zeroize_on_drop<T: ZeroizeOnDrop>() {}

// Static assertion: fails to compile if Key stops zeroizing on drop.
const _: () = zeroize_on_drop::<Key>();

#[test]
fn key_debug_shows_enctype_and_length_only() {
    let raw: Vec<u8> = (0xc0..0xe0).collect();
    let key = Key::new(Enctype::Aes256CtsHmacSha196, &raw).unwrap();
    let text = format!("{key:?} {key:#?}");
    assert!(text.contains("32"), "{text}");
    assert!(!text.contains(&hex::encode(&raw[..8])), "{text}");
    assert!(!text.contains(&hex::encode_upper(&raw[..8])), "{text}");
    assert!(!text.contains("192, 193"), "{text}");
    let clone = key.clone();
    assert_eq!(format!("{clone:?}"), format!("{key:?}"));
}

#[test]
fn zeroizing_buffers_clear() {
    let mut buf = Zeroizing::new(vec![0x5au8; 64]);
    buf.zeroize();
    assert!(buf.iter().all(|&b| b == 0));

    let mut arr = [0xa5u8; 32];
    arr.zeroize();
    assert_eq!(arr, [0u8; 32]);
}
