//! Heap held per established [`kerbgate::SecurityContext`]: accepts N minted AP-REQs
//! (replay cache off, aes256-cts-hmac-sha1-96, a 300-byte AD-IF-RELEVANT element in the
//! ticket) keeping every context in a `Vec`, and counts the heap growth with a counting
//! global allocator.
//!
//! `cargo run --release -p kerbgate-benches --example context_memory -- 10000 [mutual]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::alloc::System;
use std::sync::Arc;

use kerbgate::{Acceptor, FixedClock, SecurityContext};
use kerbgate_testkit::{ApReqMinter, GssChecksum};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mutual = args.next().as_deref() == Some("mutual");

    let (kdc, ticket) = kerbgate_benches::imap_ticket(300).unwrap();
    let now = kerbgate_testkit::FIXED_TIME.plus(60);
    let acceptor = Acceptor::builder()
        .keytab(&kdc.keytab())
        .clock(Arc::new(FixedClock::at(now.unix())))
        .dangerous_disable_replay_cache()
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
        .map(|i| minter.mint(now, i, Some(i)).unwrap().gss_token())
        .collect();

    // Warm the service key's derived-key cache so it is not charged to the contexts.
    let first = acceptor.accept(tokens.first().unwrap()).unwrap();
    drop(first);

    let mut contexts: Vec<SecurityContext> = Vec::with_capacity(tokens.len());
    let region = Region::new(GLOBAL);
    for t in &tokens {
        contexts.push(acceptor.accept(t).unwrap().context);
    }
    let stats = region.change();
    // Realloc growth is already in bytes_allocated / bytes_deallocated.
    let live = stats.bytes_allocated as i64 - stats.bytes_deallocated as i64;
    let live_allocs = stats.allocations as i64 - stats.deallocations as i64;
    let ad_bytes: usize = contexts
        .iter()
        .flat_map(|c| c.authorization_data())
        .map(|a| a.data.len())
        .sum();
    // The Vec of contexts was allocated before the region: the inline part is size_of.
    let per = live as f64 / f64::from(n);
    println!(
        "{n} contexts ({}): size_of::<SecurityContext>() = {} B, heap per context {:.0} B \
         in {:.1} live allocations (of which authorization data {} B), \
         {:.1} allocations per accept",
        if mutual { "mutual" } else { "plain" },
        std::mem::size_of::<SecurityContext>(),
        per,
        live_allocs as f64 / f64::from(n),
        ad_bytes / n as usize,
        stats.allocations as f64 / f64::from(n),
    );

    // What one key costs on its own (the context holds one to three of them).
    let region = Region::new(GLOBAL);
    let key = kerbgate_crypto::Key::new(kerbgate_crypto::Enctype::Aes256CtsHmacSha196, &[0x11; 32])
        .unwrap();
    let key_stats = region.change();
    println!(
        "one fresh aes256 Key: {} B in {} allocations",
        key_stats.bytes_allocated as i64 - key_stats.bytes_deallocated as i64,
        key_stats.allocations
    );
    drop(key);
    drop(contexts);
}
