//! PACs inside real tickets (testdata/pac/tickets.txt): decrypt the ticket (RFC 4120
//! 5.3, usage 2), find the AD-WIN2K-PAC inside AD-IF-RELEVANT, and verify the server and
//! KDC signatures (MS-PAC 2.8.1, 2.8.2), including read-only DC KDC signatures with
//! their RODCIdentifier, the ticket signatures (2.8.3: the EncTicketPart with the PAC's
//! ad-data replaced by one zero byte) and the Windows Server 2022 full PAC checksum (2.8.5).
// Test code: a failed expectation should abort the test with its message.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;

use kerbgate::messages::{EncTicketPart, Ticket};
use kerbgate::pac::{
    ticket_signature_input, Pac, PacError, SignatureCheck, SignatureKeys, AD_WIN2K_PAC,
};
use kerbgate_crypto::{Enctype, Key};

fn dir() -> String {
    format!("{}/../../testdata/pac", env!("CARGO_MANIFEST_DIR"))
}

fn blocks(path: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("\n\n")
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                .collect::<HashMap<_, _>>()
        })
        .filter(|b| b.contains_key("ticket"))
        .collect()
}

fn key(b: &HashMap<String, String>, which: &str) -> Option<Key> {
    let et: i32 = b.get(&format!("{which}_enctype"))?.parse().unwrap();
    let bytes = hex::decode(&b[&format!("{which}_key")]).unwrap();
    Some(Key::new(Enctype::from_i32(et).unwrap(), &bytes).unwrap())
}

/// The decrypted EncTicketPart of a ticket (RFC 4120 5.3, key usage 2).
fn enc_part_of(ticket_der: &[u8], ticket_key: &Key) -> Vec<u8> {
    let ticket = Ticket::from_der(ticket_der).unwrap();
    ticket_key.decrypt(2, ticket.enc_part.cipher).unwrap()
}

/// The PAC bytes of a ticket: the AD-WIN2K-PAC element inside AD-IF-RELEVANT.
fn pac_of(ticket_der: &[u8], ticket_key: &Key) -> Vec<u8> {
    let plain = enc_part_of(ticket_der, ticket_key);
    let part = EncTicketPart::from_der(&plain).unwrap();
    let ad = part.authorization_data.unwrap();
    let pacs: Vec<_> = ad
        .flatten()
        .filter(|(el, depth)| el.ad_type == AD_WIN2K_PAC && *depth > 0)
        .map(|(el, _)| el.ad_data.to_vec())
        .collect();
    assert_eq!(pacs.len(), 1);
    pacs.into_iter().next().unwrap()
}

#[test]
fn ticket_pacs_verify() {
    let path = format!("{}/tickets.txt", dir());
    let cases = blocks(&path);
    assert_eq!(cases.len(), 9);
    for (i, b) in cases.iter().enumerate() {
        let at = format!("{path} case {i} ({})", b["ticket"]);
        let der = std::fs::read(format!("{}/{}", dir(), b["ticket"])).unwrap();
        let bytes = pac_of(&der, &key(b, "ticket").unwrap());
        if let Some(same) = b.get("same_as") {
            assert_eq!(
                bytes,
                std::fs::read(format!("{}/{same}", dir())).unwrap(),
                "{at}"
            );
        }
        let pac = Pac::parse(&bytes).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(
            pac.logon_info().is_some() && pac.user_sid().is_some(),
            "{at}"
        );

        let (server, kdc) = (key(b, "server"), key(b, "kdc").unwrap());
        if let Some(server) = &server {
            let ok = pac.verify_server_signature(server);
            assert_eq!(ok, Ok(()), "{at}");
        }
        pac.verify_kdc_signature(&kdc)
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        if pac.full_pac_signature().is_some() {
            pac.verify_full_pac_signature(&kdc)
                .unwrap_or_else(|e| panic!("{at}: {e}"));
        }
        let rodc = b.get("rodc_id").map(|r| r.parse::<u16>().unwrap());
        assert_eq!(pac.kdc_signature().unwrap().rodc_id, rodc, "{at}");
        assert_eq!(
            pac.delegation_info().is_some(),
            b.contains_key("delegation"),
            "{at}"
        );
        // Service tickets carry a ticket signature (MS-PAC 2.8.3); TGTs here do not.
        let is_tgt = b["ticket"].contains("/tgt_");
        assert_eq!(pac.ticket_signature().is_some(), !is_tgt, "{at}");

        // MS-PAC 2.8.3: the ticket signature, over the EncTicketPart without the PAC.
        let plain = enc_part_of(&der, &key(b, "ticket").unwrap());
        let input = ticket_signature_input(&plain).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(input.pac, bytes, "{at}");
        // Length octets shrink with the PAC, so the preimage is a little shorter still.
        let bound = plain.len() - bytes.len() + 1;
        assert!(
            input.preimage.len() <= bound && input.preimage.len() + 32 > bound,
            "{at}: {} {bound}",
            input.preimage.len()
        );
        if !is_tgt {
            pac.verify_ticket_signature(&kdc, &plain)
                .unwrap_or_else(|e| panic!("{at}: ticket signature: {e}"));
            // The rest of the ticket is covered: change a ticket flag and it fails.
            let mut t = plain.clone();
            let flags = [0xa0, 0x07, 0x03, 0x05, 0x00];
            let at_flags = t.windows(5).position(|w| w == flags).unwrap() + 5;
            t[at_flags] ^= 0x01;
            assert_eq!(
                pac.verify_ticket_signature(&kdc, &t),
                Err(PacError::BadSignature { which: "ticket" }),
                "{at}"
            );
            let reports = pac.check_signatures(
                &SignatureKeys::none()
                    .service(server.as_ref().unwrap())
                    .krbtgt(&kdc)
                    .enc_ticket_part(&plain),
            );
            assert!(
                reports.iter().all(|r| r.check == SignatureCheck::Verified),
                "{at}: {reports:?}"
            );
            let names: Vec<_> = reports.iter().map(|r| r.which).collect();
            let want: &[&str] = if pac.full_pac_signature().is_some() {
                &["server", "kdc", "ticket", "full_pac"]
            } else {
                &["server", "kdc", "ticket"]
            };
            assert_eq!(names, want, "{at}");
        } else {
            assert_eq!(
                pac.verify_ticket_signature(&kdc, &plain),
                Err(PacError::MissingBuffer { ul_type: 16 }),
                "{at}"
            );
        }

        // The KDC signature covers the server signature value: change that and it fails.
        let mut t = bytes.clone();
        let s = pac.buffers().iter().find(|x| x.ul_type == 6).unwrap();
        t[s.offset + 4] ^= 0x80;
        let t = Pac::parse(&t).unwrap();
        assert_eq!(
            t.verify_kdc_signature(&kdc),
            Err(PacError::BadSignature { which: "KDC" }),
            "{at}"
        );
        if let Some(server) = &server {
            assert_eq!(
                t.verify_server_signature(server),
                Err(PacError::BadSignature { which: "server" }),
                "{at}"
            );
        }
    }
}
