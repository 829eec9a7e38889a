//! Accepts pre-minted tokens in a loop, for instruction counting under
//! `valgrind --tool=callgrind` (which is not disturbed by other load on the machine).
//!
//! `cargo build --release -p kerbgate-benches --example accept_profile` then
//! `valgrind --tool=callgrind --toggle-collect='*accept_all*' target/release/examples/accept_profile 2000 mutual`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use kerbgate::{Acceptor, FixedClock};
use kerbgate_testkit::{ApReqMinter, GssChecksum, KerberosTime};

#[inline(never)]
fn accept_all(acceptor: &Acceptor, tokens: &[Vec<u8>]) -> usize {
    tokens.iter().filter(|t| acceptor.accept(t).is_ok()).count()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let mutual = args.next().as_deref() == Some("mutual");

    let (kdc, ticket) = kerbgate_benches::imap_ticket(195).unwrap();
    let now = kerbgate_testkit::FIXED_TIME.plus(60);
    let acceptor = Acceptor::builder()
        .keytab(&kdc.keytab())
        .clock(Arc::new(FixedClock::at(now.unix())))
        .build()
        .unwrap();
    let mut minter = if mutual {
        ApReqMinter::new(ticket, 1)
    } else {
        let mut gss = GssChecksum::default();
        gss.flags &= !kerbgate_testkit::consts::gss_flags::MUTUAL;
        ApReqMinter::with_options(ticket, 2, 0, gss)
    };
    let tokens: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            minter
                .mint(now, i % 1_000_000, Some(i))
                .unwrap()
                .gss_token()
        })
        .collect();
    let _ = KerberosTime::from_unix(0);
    let start = std::time::Instant::now();
    let cpu_start = thread_cpu_ns();
    let ok = accept_all(&acceptor, &tokens);
    let cpu = thread_cpu_ns()
        .zip(cpu_start)
        .map(|(b, a)| b.saturating_sub(a));
    let el = start.elapsed();
    println!(
        "{ok}/{n} accepted, token {} bytes, {:.2} us/accept wall, {} us/accept on CPU",
        tokens.first().map_or(0, Vec::len),
        el.as_secs_f64() * 1e6 / f64::from(n),
        cpu.map_or("?".to_string(), |ns| format!(
            "{:.2}",
            ns as f64 / 1e3 / f64::from(n)
        ))
    );
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat): robust against other
/// load on the machine, unlike wall time.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
