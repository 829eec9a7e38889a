//! DER decoding alone: the AP-REQ of a 714-byte token (as in the accept bench), its
//! decrypted EncTicketPart and its decrypted Authenticator, each with kerbgate's
//! in-place reader (full decode: every field checked, names UTF-8 validated).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kerbgate::messages::{ApReq, Authenticator, EncTicketPart};
use kerbgate_crypto::Key;
use kerbgate_testkit::ApReqMinter;

fn bench_decode(c: &mut Criterion) {
    let (kdc, ticket) = kerbgate_benches::imap_ticket(195).unwrap();
    let now = kerbgate_testkit::FIXED_TIME.plus(60);
    let token = ApReqMinter::new(ticket, 1)
        .mint(now, 1, Some(1))
        .unwrap()
        .gss_token();
    let body = kerbgate::token::parse_initial_context_token(&token)
        .unwrap()
        .body
        .to_vec();

    let keytab = kdc.keytab();
    let entry = keytab.entries().first().unwrap();
    let service_key = entry.key().unwrap();
    let ap_req = ApReq::from_der(&body).unwrap();
    let ticket_plain = service_key
        .decrypt(2, ap_req.ticket.enc_part.cipher)
        .unwrap();
    let enc = EncTicketPart::from_der(&ticket_plain).unwrap();
    let session = Key::new(
        kerbgate_crypto::Enctype::from_i32(enc.key.keytype).unwrap(),
        enc.key.keyvalue,
    )
    .unwrap();
    let auth_plain = session.decrypt(11, ap_req.authenticator.cipher).unwrap();
    eprintln!(
        "AP-REQ {} B, EncTicketPart {} B, Authenticator {} B",
        body.len(),
        ticket_plain.len(),
        auth_plain.len()
    );

    let mut group = c.benchmark_group("decode");
    group.bench_function("AP-REQ", |b| {
        b.iter(|| {
            ApReq::from_der(black_box(&body))
                .unwrap()
                .ticket
                .realm
                .len()
        })
    });
    group.bench_function("EncTicketPart", |b| {
        b.iter(|| {
            EncTicketPart::from_der(black_box(&ticket_plain))
                .unwrap()
                .authtime
        })
    });
    group.bench_function("Authenticator", |b| {
        b.iter(|| {
            Authenticator::from_der(black_box(&auth_plain))
                .unwrap()
                .ctime
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
