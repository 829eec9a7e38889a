//! Each Kerberos message decoder on arbitrary bytes; the first byte selects
//! the decoder. Decoded values are walked fully (iterators, AD nesting) and
//! encoders are checked to round-trip.
#![no_main]

use kerbgate::der::Reader;
use kerbgate::messages::{
    ApRep, ApReq, Authenticator, AuthorizationData, EncApRepPart, EncKrbCredPart, EncTicketPart,
    KrbCred, KrbError, Ticket,
};
use libfuzzer_sys::fuzz_target;

fn walk_ad(ad: Option<AuthorizationData<'_>>) {
    if let Some(ad) = ad {
        for (e, _) in ad.flatten() {
            let _ = e.etype_negotiation().map(|l| l.iter().count());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 10 {
        0 => {
            let _ = ApReq::from_der(rest);
        }
        1 => {
            let _ = Ticket::from_der(rest).map(|t| t.sname.components().count());
        }
        2 => {
            if let Ok(p) = EncTicketPart::from_der(rest) {
                let _ = p.client_principal();
                let _ = p.caddr.map(|a| a.iter().count());
                walk_ad(p.authorization_data);
            }
        }
        3 => {
            if let Ok(a) = Authenticator::from_der(rest) {
                walk_ad(a.authorization_data);
            }
        }
        4 => {
            if let Ok(r) = ApRep::from_der(rest) {
                assert_eq!(ApRep::from_der(&r.to_der()), Ok(r));
            }
        }
        5 => {
            if let Ok(p) = EncApRepPart::from_der(rest) {
                let der = p.to_der();
                assert_eq!(EncApRepPart::from_der(&der), Ok(p));
            }
        }
        6 => {
            if let Ok(e) = KrbError::from_der(rest) {
                assert_eq!(KrbError::from_der(&e.to_der()), Ok(e));
            }
        }
        7 => {
            let _ = KrbCred::from_der(rest).map(|c| c.tickets.iter().count());
        }
        8 => {
            if let Ok(p) = EncKrbCredPart::from_der(rest) {
                for i in p.ticket_info.iter() {
                    let _ = i.client_principal();
                }
            }
        }
        _ => {
            let mut r = Reader::new(rest, "AuthorizationData");
            walk_ad(AuthorizationData::decode(&mut r).ok());
        }
    }
});
