//! Measures how fast the testkit mints AP-REQs: the full builder path and
//! the `ApReqMinter` fast path. Run with
//! `cargo run --release -p kerbgate-testkit --example mint_rate`.

use std::time::Instant;

use kerbgate_crypto::Enctype;
use kerbgate_testkit::{ApReqMinter, ApReqOpts, Error, Scenario};

fn main() -> Result<(), Error> {
    let s = Scenario::new()?;
    let n: u32 = 20_000;

    let start = Instant::now();
    for i in 0..n {
        let a = s.ap_req(ApReqOpts::default().seed(u64::from(i)).seq_number(i))?;
        std::hint::black_box(a);
    }
    let builder = start.elapsed();

    let mut minter = ApReqMinter::new(s.ticket.clone(), 7);
    let start = Instant::now();
    for i in 0..n {
        std::hint::black_box(minter.mint(s.now, i % 1_000_000, Some(i))?);
    }
    let fast = start.elapsed();

    let mut with_subkeys =
        ApReqMinter::new(s.ticket.clone(), 7).with_subkeys(Enctype::Aes256CtsHmacSha196);
    let start = Instant::now();
    for i in 0..n {
        std::hint::black_box(with_subkeys.mint(s.now, i % 1_000_000, Some(i))?);
    }
    let sub = start.elapsed();

    // Baseline: only the usage-11 encryption of one authenticator.
    let auth = s.ap_req(ApReqOpts::default())?.authenticator;
    let key = &s.ticket.session_key;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(key.encrypt_with_confounder(11, &[0u8; 16], &auth)?);
    }
    let enc = start.elapsed();

    let rows = [
        ("ApReqBuilder", builder),
        ("ApReqMinter", fast),
        ("ApReqMinter+subkey", sub),
        ("encrypt only", enc),
    ];
    for (what, d) in rows {
        let per = d.as_secs_f64() / f64::from(n);
        println!(
            "{what:20} {:8.2} us/token {:10.0} tokens/s",
            per * 1e6,
            1.0 / per
        );
    }
    Ok(())
}
