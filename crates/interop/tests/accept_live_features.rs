//! The kerbgate acceptor against real MIT initiators (python3-gssapi), live, in a
//! throwaway realm on 127.0.0.1: delegation (RFC 4121 4.1.1.1, the KRB-CRED written as
//! an MIT ccache that `klist` reads and MIT then uses for a new login), channel bindings
//! (RFC 4121 4.1.1.2, RFC 2744 3.11), the Microsoft Kerberos OID, and a keytab holding
//! two kvnos after a rekey (RFC 4120 5.3: tickets name the kvno of the service key).
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`. Each test function starts its own realm.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests may unwrap; helpers are not #[test] fns"
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{realm_with_service, CLIENT, CLIENT_PASSWORD, SERVICE, TARGET};
use kerbgate::consts::gss_flags;
use kerbgate::token::{parse_initial_context_token, TokenId};
use kerbgate::{Accepted, Acceptor, AcceptorBuilder, Rejected, ReloadingKeytab};
use kerbgate_interop::{
    live, ChannelBindings, GssFlag, InitRequest, Initiator, KeytabMode, Mech, MitRealm,
    PrincipalKey, StepResult, Tools,
};
use kerbgate_keytab::Keytab;

const AES256: &str = "aes256-cts-hmac-sha1-96";

/// An acceptor builder over the keytab file, system clock, default replay cache.
fn builder(keytab: &Path) -> AcceptorBuilder {
    Acceptor::builder().keytab(&Keytab::load(keytab).unwrap())
}

/// MIT's first token for `req` from the ccache, and the initiator to finish with.
fn mit_token(realm: &MitRealm, ccache: &Path, req: &InitRequest) -> Option<(Initiator, Vec<u8>)> {
    let mut init = live(Initiator::spawn(realm, ccache))?;
    let first = init.init(req).unwrap();
    Some((init, first.token.unwrap()))
}

/// Accepts or panics with the reason.
fn accept_ok(acc: &Acceptor, token: &[u8], label: &str) -> Accepted {
    acc.accept(token)
        .unwrap_or_else(|r| panic!("{label}: kerbgate refused: {}", r.error))
}

/// Feeds kerbgate's AP-REP to MIT's initiator, which must complete.
fn mit_completes(init: &mut Initiator, done: &Accepted, label: &str) -> StepResult {
    let ap_rep = done.output_token.as_deref().unwrap();
    let fin = init
        .step(ap_rep)
        .unwrap_or_else(|e| panic!("{label}: mit refused kerbgate's AP-REP: {e}"));
    assert!(fin.complete, "{label}: mit initiator not complete");
    fin
}

/// Runs MIT `klist` on a ccache file and returns its output.
fn klist(realm: &MitRealm, ccache: &Path) -> String {
    let tools = Tools::find().unwrap();
    let out = Command::new(&tools.klist)
        .arg("-e")
        .arg("-c")
        .arg(format!("FILE:{}", ccache.display()))
        .envs(realm.env())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "klist failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn kerbgate_takes_delegated_tgt_that_mit_can_use() {
    let started = Instant::now();
    // realm_with_service logs alice in with a forwardable TGT (kinit -f).
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    let acc = builder(&keytab).build().unwrap();
    let client = realm.principal(CLIENT);
    let tgt = format!("krbtgt/{r}@{r}", r = realm.realm());

    // RFC 4121 4.1.1.1: the deleg flag with a KRB-CRED in the checksum.
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Mutual, GssFlag::Deleg]);
    let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
        return;
    };
    let done = accept_ok(&acc, &token, "deleg");
    assert!(done.context.flags().contains(gss_flags::DELEG));
    let creds = done.context.delegated().expect("delegated credentials");
    assert_eq!(creds.credentials.len(), 1);
    let cred = creds.credentials.first().unwrap();
    assert_eq!(cred.client.to_string(), client);
    assert_eq!(cred.server.to_string(), tgt);
    let fin = mit_completes(&mut init, &done, "deleg");
    assert!(fin.token.is_none());
    let info = init.driver().info().unwrap();
    assert!(info.flags.iter().any(|f| f == "deleg"), "{:?}", info.flags);

    // MIT's klist reads the ccache kerbgate writes.
    let deleg_cc = realm.dir().join("delegated.cc");
    creds.write_ccache(&deleg_cc).unwrap();
    let listed = klist(&realm, &deleg_cc);
    eprintln!("klist of the delegated ccache:\n{listed}");
    assert!(
        listed.contains(&format!("Default principal: {client}")),
        "{listed}"
    );
    assert!(listed.contains(&tgt), "{listed}");

    // The forwarded TGT works: MIT gets a service ticket with it (TGS exchange at the
    // KDC) and logs in through kerbgate again.
    let Some((mut init2, token2)) = mit_token(
        &realm,
        &deleg_cc,
        &InitRequest::new(TARGET).flags(&[GssFlag::Mutual]),
    ) else {
        return;
    };
    let again = accept_ok(&acc, &token2, "login with the delegated TGT");
    assert_eq!(again.context.client().to_string(), client);
    assert!(again.context.delegated().is_none());
    mit_completes(&mut init2, &again, "login with the delegated TGT");
    let listed = klist(&realm, &deleg_cc);
    assert!(listed.contains(&realm.principal(SERVICE)), "{listed}");

    // Without a forwardable TGT MIT does not delegate, and kerbgate reports no deleg.
    let plain_cc = realm.dir().join("alice-nofwd.cc");
    realm
        .kinit(CLIENT, CLIENT_PASSWORD, &plain_cc, false)
        .unwrap();
    let Some((_init3, token3)) = mit_token(&realm, &plain_cc, &req) else {
        return;
    };
    let done3 = accept_ok(&acc, &token3, "deleg without forwardable TGT");
    assert!(!done3.context.flags().contains(gss_flags::DELEG));
    assert!(done3.context.delegated().is_none());
    eprintln!("delegation: ok in {} ms", started.elapsed().as_millis());
}

/// Kerbgate's form of the driver's bindings.
fn ours(cb: &ChannelBindings) -> kerbgate::ChannelBindings {
    let mut k = kerbgate::ChannelBindings::default();
    if let Some((t, a)) = &cb.initiator_address {
        k.initiator_addrtype = *t;
        k.initiator_address.clone_from(a);
    }
    if let Some((t, a)) = &cb.acceptor_address {
        k.acceptor_addrtype = *t;
        k.acceptor_address.clone_from(a);
    }
    if let Some(d) = &cb.application_data {
        k.application_data.clone_from(d);
    }
    k
}

/// One channel-bindings case: who sends which bindings, and the expected refusal.
struct BindingsCase<'a> {
    name: &'static str,
    init: Option<&'a ChannelBindings>,
    acc: Option<&'a ChannelBindings>,
    strict: bool,
    refusal: Option<&'static str>,
}

#[test]
fn kerbgate_checks_mit_channel_bindings() {
    let started = Instant::now();
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    let tls = ChannelBindings::with_application_data(b"tls-server-end-point:0123456789abcdef");
    let addrs = tls
        .clone()
        .initiator_address(2, &[127, 0, 0, 1])
        .acceptor_address(2, &[127, 0, 0, 1]);
    let other = ChannelBindings::with_application_data(b"tls-server-end-point:fedcba9876543210");
    let mutual = [GssFlag::Mutual];

    const BAD: Option<&str> = Some("GSS_S_BAD_BINDINGS");
    let case = |name, init, acc, strict, refusal| BindingsCase {
        name,
        init,
        acc,
        strict,
        refusal,
    };
    let cases = [
        case("matching app data", Some(&tls), Some(&tls), false, None),
        case(
            "matching addrs, data",
            Some(&addrs),
            Some(&addrs),
            false,
            None,
        ),
        case("mismatching", Some(&tls), Some(&other), false, BAD),
        case("addresses differ", Some(&addrs), Some(&tls), false, BAD),
        case("initiator only", Some(&tls), None, false, None),
        case("acceptor only", None, Some(&tls), false, None),
        case("acceptor only, strict", None, Some(&tls), true, BAD),
    ];
    for BindingsCase {
        name,
        init: init_cb,
        acc: acc_cb,
        strict,
        refusal,
    } in cases
    {
        let mut req = InitRequest::new(TARGET).flags(&mutual);
        if let Some(cb) = init_cb {
            req = req.channel_bindings(cb.clone());
        }
        let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
            return;
        };
        let mut b = builder(&keytab).strict_channel_bindings(strict);
        if let Some(cb) = acc_cb {
            b = b.channel_bindings(ours(cb));
        }
        let acc = b.build().unwrap();
        match (acc.accept(&token), refusal) {
            (Ok(done), None) => {
                mit_completes(&mut init, &done, name);
                eprintln!("bindings {name}: accepted, mit completed");
            }
            (
                Err(Rejected {
                    error,
                    output_token,
                    ..
                }),
                Some(code),
            ) => {
                assert_eq!(error.code_name(), code, "{name}: {error}");
                eprintln!("bindings {name}: refused: {error}");
                // Whatever kerbgate sends back, MIT must not complete on it.
                if let Some(t) = output_token {
                    let mit = init.step(&t);
                    assert!(mit.is_err(), "{name}: mit completed on an error token");
                    eprintln!("bindings {name}: mit says {}", mit.unwrap_err());
                }
            }
            (Ok(_), Some(code)) => panic!("{name}: accepted, expected {code}"),
            (Err(r), None) => panic!("{name}: refused: {}", r.error),
        }
    }
    eprintln!(
        "channel bindings: ok in {} ms",
        started.elapsed().as_millis()
    );
}

#[test]
fn kerbgate_accepts_mit_microsoft_oid() {
    let started = Instant::now();
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    let acc = builder(&keytab).build().unwrap();
    for mutual in [true, false] {
        let label = if mutual {
            "ms oid mutual"
        } else {
            "ms oid no mutual"
        };
        let flags = if mutual {
            GssFlag::Mutual
        } else {
            GssFlag::Integ
        };
        let req = InitRequest::new(TARGET).mech(Mech::MsKrb5).flags(&[flags]);
        let Some((mut init, token)) = mit_token(&realm, &ccache, &req) else {
            return;
        };
        let outer = parse_initial_context_token(&token).unwrap();
        assert_eq!(
            outer.mech,
            kerbgate::Mech::MsKrb5,
            "{label}: mit sent the ms oid"
        );
        let done = accept_ok(&acc, &token, label);
        assert_eq!(done.context.mech(), kerbgate::Mech::MsKrb5, "{label}");
        assert_eq!(done.output_token.is_some(), mutual, "{label}");
        if mutual {
            // The AP-REP echoes the Microsoft OID, and MIT completes on it.
            let rep = parse_initial_context_token(done.output_token.as_deref().unwrap()).unwrap();
            assert_eq!(rep.mech, kerbgate::Mech::MsKrb5, "{label}: AP-REP oid");
            assert_eq!(rep.token_id, Some(TokenId::ApRep), "{label}");
            mit_completes(&mut init, &done, label);
        }
        let info = init.driver().info().unwrap();
        assert_eq!(info.mech.as_deref(), Some(Mech::MsKrb5.oid()), "{label}");
        eprintln!("{label}: ok, mit mech {:?}", info.mech);
    }
    eprintln!("ms oid: ok in {} ms", started.elapsed().as_millis());
}

#[test]
fn kerbgate_accepts_old_and_new_kvno_after_rekey() {
    let started = Instant::now();
    let Some((realm, ccache, keytab)) = realm_with_service(&[AES256]) else {
        return;
    };
    // A ticket under kvno 1, obtained before the rekey.
    realm.get_service_ticket(SERVICE, &ccache).unwrap();
    let old_only = realm.dir().join("imap-kvno1.keytab");
    std::fs::copy(&keytab, &old_only).unwrap();
    // Built now, it must pick up the appended kvno 2 keys by itself.
    let reloading = Acceptor::builder()
        .key_source(Arc::new(
            ReloadingKeytab::open_path(&keytab)
                .unwrap()
                .with_check_interval(Duration::ZERO),
        ))
        .build()
        .unwrap();

    // Rekey keeping the old key (cpw -keepold), then append both kvnos to the keytab.
    realm
        .change_password(SERVICE, PrincipalKey::Random, &[AES256], true)
        .unwrap();
    let mut db = realm.keys(SERVICE).unwrap();
    db.sort_unstable();
    assert_eq!(db, vec![(1, 18), (2, 18)]);
    realm
        .export_keytab(&[SERVICE], &keytab, KeytabMode::Append)
        .unwrap();
    let mut kvnos: Vec<u32> = Keytab::load(&keytab)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.kvno())
        .collect();
    kvnos.sort_unstable();
    kvnos.dedup();
    assert_eq!(kvnos, vec![1, 2]);

    let fresh_cc = realm.dir().join("alice-after-rekey.cc");
    realm
        .kinit(CLIENT, CLIENT_PASSWORD, &fresh_cc, false)
        .unwrap();
    let both = builder(&keytab).build().unwrap();
    let old_acc = builder(&old_only).build().unwrap();
    let req = InitRequest::new(TARGET).flags(&[GssFlag::Mutual]);
    for (label, cc, kvno) in [("old ticket", &ccache, 1), ("new ticket", &fresh_cc, 2)] {
        for (acc_name, acc) in [("file", &both), ("reloading", &reloading)] {
            let Some((mut init, token)) = mit_token(&realm, cc, &req) else {
                return;
            };
            let label = format!("{label} via {acc_name} keytab");
            let done = accept_ok(acc, &token, &label);
            assert_eq!(done.context.ticket_kvno(), kvno, "{label}");
            mit_completes(&mut init, &done, &label);
            eprintln!("{label}: accepted with kvno {kvno}");
        }
    }

    // A keytab from before the rekey lacks kvno 2: KRB_AP_ERR_BADKEYVER.
    let Some((_init, token)) = mit_token(&realm, &fresh_cc, &req) else {
        return;
    };
    let refused = old_acc.accept(&token).unwrap_err();
    assert_eq!(
        refused.error.code_name(),
        "KRB_AP_ERR_BADKEYVER",
        "{}",
        refused.error
    );
    eprintln!("kvno 2 ticket, kvno 1 keytab: {}", refused.error);
    eprintln!("two kvnos: ok in {} ms", started.elapsed().as_millis());
}
