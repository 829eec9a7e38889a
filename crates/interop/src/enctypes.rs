//! MIT enctype names the harness configures and reads back from `klist -e`.
//!
//! This is a test-side table on purpose: the harness must not share code
//! with the crates it checks.

/// Every enctype the realm enables, as (RFC 3961 number, MIT canonical name),
/// in the order the realm prefers them.
pub const ALL: &[(i32, &str)] = &[
    (18, "aes256-cts-hmac-sha1-96"),
    (17, "aes128-cts-hmac-sha1-96"),
    (20, "aes256-cts-hmac-sha384-192"),
    (19, "aes128-cts-hmac-sha256-128"),
    (26, "camellia256-cts-cmac"),
    (25, "camellia128-cts-cmac"),
    (23, "arcfour-hmac"),
];

/// The MIT canonical name of an enctype number the realm enables.
#[must_use]
pub fn name(number: i32) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == number).map(|(_, s)| *s)
}

/// The number of an MIT enctype name as `klist -e` prints it.
///
/// MIT prefixes weak enctypes with `DEPRECATED:`; that prefix is ignored.
#[must_use]
pub fn number(mit_name: &str) -> Option<i32> {
    let bare = mit_name.trim().trim_start_matches("DEPRECATED:");
    ALL.iter().find(|(_, s)| *s == bare).map(|(n, _)| *n)
}

/// The space-separated list for `permitted_enctypes` and friends.
#[must_use]
pub fn config_list() -> String {
    ALL.iter().map(|(_, s)| *s).collect::<Vec<_>>().join(" ")
}

/// Session and ticket enctype of one credential-cache entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TicketEnctypes {
    /// Enctype of the session key.
    pub session: i32,
    /// Enctype of the ticket's encrypted part (the service key's enctype).
    pub ticket: i32,
}

/// Finds the entry for `service` (a principal, with or without realm) in
/// `klist -e` output.
#[must_use]
pub fn parse_klist(output: &str, service: &str) -> Option<TicketEnctypes> {
    let bare = service.split('@').next().unwrap_or(service);
    let mut lines = output.lines();
    while let Some(line) = lines.next() {
        let matches = line.split_whitespace().any(|word| {
            word == service || word.split('@').next() == Some(bare) && word.contains('@')
        });
        if !matches {
            continue;
        }
        for next in lines.by_ref() {
            let Some((_, rest)) = next.split_once("Etype (skey, tkt):") else {
                continue;
            };
            let (skey, tkt) = rest.split_once(',')?;
            return Some(TicketEnctypes {
                session: number(skey)?,
                ticket: number(tkt)?,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const KLIST: &str = "Ticket cache: FILE:/tmp/cc
Default principal: alice@KERBGATE.TEST

Valid starting     Expires            Service principal
12/04/26 16:44:09  12/05/26 16:44:09  krbtgt/KERBGATE.TEST@KERBGATE.TEST
\tEtype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96 
12/04/26 16:44:09  12/05/26 16:44:09  imap/mail.kerbgate.test@KERBGATE.TEST
\tEtype (skey, tkt): aes256-cts-hmac-sha1-96, DEPRECATED:arcfour-hmac 
";

    #[test]
    fn reads_service_entry_with_deprecated_prefix() {
        let got = parse_klist(KLIST, "imap/mail.kerbgate.test@KERBGATE.TEST");
        assert_eq!(
            got,
            Some(TicketEnctypes {
                session: 18,
                ticket: 23
            })
        );
        let got = parse_klist(KLIST, "imap/mail.kerbgate.test");
        assert_eq!(
            got,
            Some(TicketEnctypes {
                session: 18,
                ticket: 23
            })
        );
        assert_eq!(parse_klist(KLIST, "HTTP/mail.kerbgate.test"), None);
    }

    #[test]
    fn names_round_trip() {
        for (n, s) in ALL {
            assert_eq!(number(s), Some(*n));
            assert_eq!(name(*n), Some(*s));
        }
    }
}
