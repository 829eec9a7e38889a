//! The testkit's reader (AP-REP, KRB-ERROR, Ticket) returns errors, never
//! panics, on truncated and mutated input.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kerbgate_crypto::Enctype;
use kerbgate_testkit::der::Reader;
use kerbgate_testkit::*;

#[test]
fn mutated_replies_and_tickets_never_panic() {
    let s = Scenario::default();
    let a = s
        .ap_req(ApReqOpts::default().subkey(Enctype::Aes256CtsHmacSha196))
        .unwrap();
    let mut rng = Rng::seeded(11);
    let mut rep = ApRepBuilder::for_request(&a);
    rep.seq_number = Some(3);
    rep.subkey = a.subkey.clone();
    let inputs = [
        rep.build_token(&a.session_key, &mut rng).unwrap(),
        rep.build(&a.session_key, &mut rng).unwrap(),
        gss_framed(
            consts::KRB5_OID,
            [3, 0],
            &krb_error(60, s.now, Some("generic")),
        ),
        s.ticket.der.clone(),
    ];
    let mut accepted = 0;
    for input in &inputs {
        for n in 0..input.len() {
            let cut = &input[..n];
            assert!(verify_ap_rep_for(cut, &a).is_err());
            let _ = parse_krb_error(cut);
            assert!(read_ticket(&mut Reader::new(cut)).is_err() || n == input.len());
        }
        for round in 0..3000u32 {
            let mut m = input.clone();
            let r = rng.bytes(3).unwrap();
            let pos = (usize::from(r[0]) << 8 | usize::from(r[1])) % m.len();
            m[pos] ^= r[2] | 1;
            if round % 7 == 0 {
                m.truncate(pos + 1);
            }
            if verify_ap_rep_for(&m, &a).is_ok() {
                accepted += 1;
            }
            let _ = parse_krb_error(&m);
            let _ = read_ticket(&mut Reader::new(&m));
        }
    }
    // Every field outside the ciphertext is checked and every ciphertext flip
    // fails the integrity check, so no mutation may pass.
    assert_eq!(accepted, 0, "mutated replies accepted");
}
