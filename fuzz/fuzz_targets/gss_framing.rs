//! GSS framing (RFC 2743 3.1) and AP-REQ decoding on arbitrary bytes, then
//! the ticket and the 0x8003 checksum parser on the same input.
#![no_main]

use kerbgate::gss_checksum::GssChecksum;
use kerbgate::messages::{ApReq, Ticket};
use kerbgate::token::parse_initial_context_token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tok) = parse_initial_context_token(data) {
        if let Ok(req) = ApReq::from_der(tok.body) {
            // The raw ticket must re-decode to the same ticket.
            let again = Ticket::from_der(req.ticket.raw).ok();
            assert_eq!(again, Some(req.ticket));
            let _ = req.ticket.server_principal();
        }
    }
    let _ = GssChecksum::decode(data);
});
