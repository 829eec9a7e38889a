//! Credential-cache writing: delegated credentials (RFC 4121 4.1.1 deleg, a KRB-CRED of
//! RFC 4120 5.8) to MIT ccache version 4 bytes (`DelegatedCredentials::to_ccache_bytes`).
//!
//! The first input byte picks the source:
//! - even: the rest is a KRB-CRED, sent in a testkit AP-REQ with the deleg flag to the
//!   scenario acceptor; the seeds are plaintext (enctype 0) and session-key-encrypted
//!   KRB-CREDs from the testkit, so the real decoder reaches the writer;
//! - odd: the rest is cut into fields of `Credential`s directly (names, realms, key,
//!   times, flags, ticket bytes), reaching values the decoder would not produce.
//!
//! Every ccache written is read back by the strict reader below: the version, header,
//! default principal and each credential must match, with nothing left over, and its
//! length must be the sum of its fields (so bounded by the input).
#![no_main]

use std::sync::{Arc, OnceLock};

use kerbgate::{Acceptor, Credential, DelegatedCredentials, FixedClock};
use kerbgate_keytab::{KeyBytes, Principal};
use kerbgate_testkit::consts::gss_flags;
use kerbgate_testkit::{ApReqBuilder, AuthChecksum, GssChecksum, Rng, Scenario, FIXED_TIME};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    scenario: Scenario,
    acceptor: Acceptor,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let scenario = Scenario::new().expect("testkit scenario");
        let acceptor = Acceptor::builder()
            .keytab(&scenario.kdc.keytab())
            .clock(Arc::new(FixedClock::at(FIXED_TIME.unix() + 60)))
            .dangerous_disable_replay_cache()
            .build()
            .expect("acceptor");
        Fixture { scenario, acceptor }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let creds = if mode % 2 == 0 {
        match through_acceptor(rest) {
            Some(c) => c,
            None => return,
        }
    } else {
        from_fields(rest)
    };
    check(&creds);
});

fn through_acceptor(krb_cred: &[u8]) -> Option<DelegatedCredentials> {
    let f = fixture();
    let token = ApReqBuilder::new(&f.scenario.ticket)
        .rng(Rng::seeded(5))
        .checksum(AuthChecksum::Gss(GssChecksum {
            flags: GssChecksum::default().flags | gss_flags::DELEG,
            delegation: Some((1, krb_cred.to_vec())),
            ..GssChecksum::default()
        }))
        .build()
        .ok()?
        .gss_token();
    match f.acceptor.accept(&token) {
        Ok(mut done) => done.context.take_delegated(),
        Err(r) => {
            let _ = r.error.to_string();
            None
        }
    }
}

/// Cuts the input into length-prefixed fields.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn bytes(&mut self) -> &'a [u8] {
        let Some((&n, rest)) = self.0.split_first() else {
            return &[];
        };
        let (a, b) = rest.split_at(usize::from(n).min(rest.len()));
        self.0 = b;
        a
    }
    fn int(&mut self) -> i64 {
        // Up to 8 bytes, right-aligned: short fields give small times, 8 bytes any i64.
        let mut v = [0u8; 8];
        let b = self.bytes();
        let b = b.get(b.len().saturating_sub(8)..).unwrap_or_default();
        for (o, x) in v.iter_mut().rev().zip(b.iter().rev()) {
            *o = *x;
        }
        i64::from_be_bytes(v)
    }
    fn string(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
    fn principal(&mut self) -> Principal {
        let name_type = i32::try_from(self.int() & 0xffff_ffff).unwrap_or(1);
        let n = self.bytes().first().map_or(1, |b| usize::from(b % 4));
        let comps = (0..n).map(|_| self.string()).collect();
        Principal::new(name_type, comps, self.string())
    }
}

fn from_fields(data: &[u8]) -> DelegatedCredentials {
    let mut f = Fields(data);
    let mut credentials = Vec::new();
    while !f.0.is_empty() && credentials.len() < 8 {
        let client = f.principal();
        let server = f.principal();
        let enctype = i32::try_from(f.int() & 0xffff_ffff).unwrap_or(18);
        let key = KeyBytes::new(enctype, f.bytes());
        credentials.push(Credential {
            client,
            server,
            key,
            flags: u32::try_from(f.int() & 0xffff_ffff).unwrap_or(0),
            authtime: f.int(),
            starttime: f.int(),
            endtime: f.int(),
            renew_till: f.int(),
            ticket: f.bytes().to_vec(),
        });
    }
    DelegatedCredentials { credentials }
}

fn principal_len(p: &Principal) -> usize {
    8 + 4 + p.realm().len() + p.components().iter().map(|c| 4 + c.len()).sum::<usize>()
}

fn check(creds: &DelegatedCredentials) {
    let bytes = match creds.to_ccache_bytes() {
        Ok(b) => b,
        Err(e) => {
            // Refused only for what the format cannot hold.
            let msg = e.to_string();
            let fits = |t: i64| u32::try_from(t).is_ok();
            let representable = !creds.credentials.is_empty()
                && creds.credentials.iter().all(|c| {
                    u16::try_from(c.key.enctype()).is_ok()
                        && [c.authtime, c.starttime, c.endtime, c.renew_till]
                            .into_iter()
                            .all(fits)
                });
            assert!(!representable, "refused a representable credential: {msg}");
            return;
        }
    };
    let first = creds
        .credentials
        .first()
        .expect("written from no credentials");
    let expected: usize = 4
        + principal_len(&first.client)
        + creds
            .credentials
            .iter()
            .map(|c| {
                principal_len(&c.client)
                    + principal_len(&c.server)
                    + 2
                    + 4
                    + c.key.expose_secret_bytes().len()
                    + 16
                    + 1
                    + 4
                    + 4
                    + 4
                    + 4
                    + c.ticket.len()
                    + 4
            })
            .sum::<usize>();
    assert_eq!(bytes.len(), expected, "ccache length");

    let mut r = ccache::Reader(&bytes);
    let (default, read) = r.read().expect("ccache does not read back");
    assert_eq!(default, first.client, "default principal");
    assert_eq!(default.name_type(), first.client.name_type());
    assert_eq!(read.len(), creds.credentials.len());
    for (c, got) in creds.credentials.iter().zip(&read) {
        // Principal's == ignores the name type; compare it too.
        assert_eq!(got.client, c.client);
        assert_eq!(got.client.name_type(), c.client.name_type());
        assert_eq!(got.server, c.server);
        assert_eq!(got.server.name_type(), c.server.name_type());
        assert_eq!(i32::from(got.keytype), c.key.enctype());
        assert_eq!(got.key, c.key.expose_secret_bytes());
        let times = [c.authtime, c.starttime, c.endtime, c.renew_till];
        assert_eq!(got.times.map(i64::from), times);
        assert_eq!(got.flags, c.flags);
        assert_eq!(got.ticket, &c.ticket[..]);
    }
}

/// A strict reader of the MIT ccache v4 layout (file format documented in MIT's
/// doc/formats/ccache_file_format.rst): version 0x0504, header, default principal, then
/// credentials to the end of the file.
mod ccache {
    use kerbgate_keytab::Principal;

    pub struct Cred<'a> {
        pub client: Principal,
        pub server: Principal,
        pub keytype: u16,
        pub key: &'a [u8],
        pub times: [u32; 4],
        pub flags: u32,
        pub ticket: &'a [u8],
    }

    pub struct Reader<'a>(pub &'a [u8]);

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let (a, b) = self.0.split_at_checked(n)?;
            self.0 = b;
            Some(a)
        }
        fn u8(&mut self) -> Option<u8> {
            self.take(1)?.first().copied()
        }
        fn u16(&mut self) -> Option<u16> {
            Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
        }
        fn u32(&mut self) -> Option<u32> {
            Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
        }
        fn data(&mut self) -> Option<&'a [u8]> {
            let n = usize::try_from(self.u32()?).ok()?;
            self.take(n)
        }
        fn principal(&mut self) -> Option<Principal> {
            let name_type = i32::from_be_bytes(self.u32()?.to_be_bytes());
            let count = self.u32()?;
            // Each component takes at least 4 bytes: a count larger than the rest is
            // refused before anything is allocated.
            if usize::try_from(count).ok()? > self.0.len() / 4 {
                return None;
            }
            let realm = String::from_utf8(self.data()?.to_vec()).ok()?;
            let mut comps = Vec::new();
            for _ in 0..count {
                comps.push(String::from_utf8(self.data()?.to_vec()).ok()?);
            }
            Some(Principal::new(name_type, comps, realm))
        }
        pub fn read(&mut self) -> Option<(Principal, Vec<Cred<'a>>)> {
            if self.u16()? != 0x0504 {
                return None;
            }
            let header_len = usize::from(self.u16()?);
            self.take(header_len)?;
            let default = self.principal()?;
            let mut creds = Vec::new();
            while !self.0.is_empty() {
                let client = self.principal()?;
                let server = self.principal()?;
                let keytype = self.u16()?;
                let key = self.data()?;
                let times = [self.u32()?, self.u32()?, self.u32()?, self.u32()?];
                if self.u8()? != 0 {
                    return None; // is_skey: never written
                }
                let flags = self.u32()?;
                if self.u32()? != 0 || self.u32()? != 0 {
                    return None; // addresses, authdata: never written
                }
                let ticket = self.data()?;
                if !self.data()?.is_empty() {
                    return None; // second ticket
                }
                creds.push(Cred {
                    client,
                    server,
                    keytype,
                    key,
                    times,
                    flags,
                    ticket,
                });
            }
            Some((default, creds))
        }
    }
}
