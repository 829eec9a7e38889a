//! Interop: MIT krb5's acceptor (through Debian's python3-gssapi) accepts
//! AP-REQs minted by the testkit with a keytab written by the testkit, and
//! the testkit's initiator-side check accepts MIT's AP-REP.
//!
//! Runs entirely locally: the acceptor reads the keytab and never contacts a
//! KDC. Skipped (with a note on stderr) when `/usr/bin/python3` cannot
//! import `gssapi`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use kerbgate_crypto::Enctype;
use kerbgate_testkit::consts::gss_flags;
use kerbgate_testkit::*;

const PYTHON: &str = "/usr/bin/python3";

const ACCEPT: &str = r#"
import sys, gssapi
tok = bytes.fromhex(sys.argv[1])
cb = None
if len(sys.argv) > 2:
    cb = gssapi.raw.ChannelBindings(application_data=bytes.fromhex(sys.argv[2]))
ctx = gssapi.SecurityContext(usage='accept', channel_bindings=cb)
try:
    out = ctx.step(tok)
except gssapi.exceptions.GSSError as e:
    sys.stderr.write('GSSError: %s\n' % e)
    sys.exit(1)
if not ctx.complete:
    sys.stderr.write('incomplete; output %s\n' % (out.hex() if out else ''))
    sys.exit(1)
print(str(ctx.initiator_name))
print(int(ctx.complete))
print(out.hex() if out else '')
print(int(ctx.delegated_creds is not None))
"#;

fn have_mit() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import gssapi"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: {PYTHON} cannot import gssapi (apt-get install python3-gssapi)");
    }
    ok
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs MIT's acceptor on `token`; returns (initiator name, complete, output token, delegated).
fn mit_accept(
    keytab: &[u8],
    token: &[u8],
    bindings: Option<&[u8]>,
    tag: &str,
) -> Result<(String, bool, Vec<u8>, bool), String> {
    let dir = Dir(
        std::env::temp_dir().join(format!("kerbgate-testkit-mit-{}-{tag}", std::process::id()))
    );
    std::fs::create_dir_all(&dir.0).unwrap();
    let kt = dir.0.join("service.keytab");
    std::fs::write(&kt, keytab).unwrap();
    let conf = dir.0.join("krb5.conf");
    std::fs::write(
        &conf,
        "[libdefaults]\n default_realm = EXAMPLE.COM\n dns_lookup_kdc = false\n\
         dns_lookup_realm = false\n rdns = false\n",
    )
    .unwrap();
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-c", ACCEPT, &hex::encode(token)]);
    if let Some(b) = bindings {
        cmd.arg(hex::encode(b));
    }
    let out = cmd
        .env("KRB5_CONFIG", &conf)
        .env("KRB5_KTNAME", format!("FILE:{}", kt.display()))
        .env("KRB5RCACHENAME", "none:")
        .env(
            "KRB5CCNAME",
            format!("FILE:{}", dir.0.join("ccache").display()),
        )
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    Ok((
        lines[0].to_owned(),
        lines[1] == "1",
        hex::decode(lines[2]).unwrap(),
        lines[3] == "1",
    ))
}

fn now() -> KerberosTime {
    KerberosTime::from_unix(
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap(),
    )
}

#[test]
fn mit_accepts_minted_ap_req_and_testkit_verifies_its_ap_rep() {
    if !have_mit() {
        return;
    }
    let now = now();
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        SCENARIO_SERVICE,
        ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha196, 2, "pw"),
    )
    .unwrap();
    kdc.add_service(
        SCENARIO_SERVICE,
        ServiceKeyOpts::random(Enctype::Aes128CtsHmacSha256128, 3),
    )
    .unwrap();
    let keytab = kdc.keytab_bytes().unwrap();

    for (i, (kvno, enctype, subkey)) in [
        (2, Enctype::Aes256CtsHmacSha196, None),
        (
            3,
            Enctype::Aes128CtsHmacSha256128,
            Some(Enctype::Aes256CtsHmacSha384192),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let ticket = kdc
            .ticket_with(SCENARIO_CLIENT, SCENARIO_SERVICE, Some(kvno), Some(enctype))
            .unwrap()
            .authtime(now.plus(-5))
            .build()
            .unwrap();
        let mut b = ApReqBuilder::new(&ticket)
            .time(now, 4242)
            .seq_number(Some(0x9000_0000))
            .rng(Rng::seeded(i as u64));
        if let Some(e) = subkey {
            b = b.subkey_enctype(e);
        }
        let a = b.build().unwrap();
        let (name, complete, out, _) =
            mit_accept(&keytab, &a.gss_token(), None, &format!("plain{i}")).unwrap();
        assert_eq!(name, "alice@EXAMPLE.COM");
        assert!(complete);
        let info = verify_ap_rep_for(&out, &a).unwrap();
        assert!(info.seq_number.is_some());
        if subkey.is_some() {
            // MIT answers with its own subkey of the initiator subkey's enctype.
            assert_eq!(
                info.subkey.as_ref().unwrap().enctype(),
                Enctype::Aes256CtsHmacSha384192
            );
        }
    }
}

#[test]
fn mit_checks_channel_bindings_and_takes_delegated_tgt() {
    if !have_mit() {
        return;
    }
    let now = now();
    let mut kdc = Kdc::new("EXAMPLE.COM");
    kdc.add_service(
        SCENARIO_SERVICE,
        ServiceKeyOpts::password(Enctype::Aes256CtsHmacSha196, 2, "pw"),
    )
    .unwrap();
    let keytab = kdc.keytab_bytes().unwrap();
    let ticket = kdc
        .ticket(SCENARIO_CLIENT, SCENARIO_SERVICE)
        .unwrap()
        .authtime(now.plus(-5))
        .build()
        .unwrap();
    let tgt = kdc
        .tgt(SCENARIO_CLIENT)
        .unwrap()
        .authtime(now.plus(-5))
        .build()
        .unwrap();
    let cred = KrbCredBuilder::forwarded_tgt(tgt, ticket.session_key.clone())
        .build()
        .unwrap();
    let cb = b"tls-server-end-point:0123456789";
    let gss = GssChecksum {
        flags: gss_flags::DELEG | gss_flags::MUTUAL | gss_flags::INTEG | gss_flags::CONF,
        bindings: Bindings::Channel(ChannelBindings::application(cb)),
        delegation: Some((1, cred.der)),
        ..GssChecksum::default()
    };
    let a = ApReqBuilder::new(&ticket)
        .time(now, 1)
        .checksum(AuthChecksum::Gss(gss))
        .build()
        .unwrap();

    let (_, complete, out, delegated) =
        mit_accept(&keytab, &a.gss_token(), Some(cb), "deleg").unwrap();
    assert!(complete && delegated);
    verify_ap_rep_for(&out, &a).unwrap();

    // The same delegation with an etype-0 (plaintext) KRB-CRED.
    let tgt = kdc
        .tgt(SCENARIO_CLIENT)
        .unwrap()
        .authtime(now.plus(-5))
        .build()
        .unwrap();
    let plain = KrbCredBuilder::forwarded_tgt(tgt, ticket.session_key.clone())
        .encryption(CredEncryption::Plain)
        .build()
        .unwrap();
    let gss_plain = GssChecksum {
        flags: gss_flags::DELEG | gss_flags::MUTUAL,
        delegation: Some((1, plain.der)),
        ..GssChecksum::default()
    };
    let a2 = ApReqBuilder::new(&ticket)
        .time(now, 2)
        .checksum(AuthChecksum::Gss(gss_plain))
        .build()
        .unwrap();
    let (_, complete, _, delegated) =
        mit_accept(&keytab, &a2.gss_token(), None, "plaincred").unwrap();
    assert!(complete && delegated, "MIT takes an etype-0 KRB-CRED");

    // Other bindings: MIT must refuse.
    let err = mit_accept(&keytab, &a.gss_token(), Some(b"other"), "badcb").unwrap_err();
    eprintln!("MIT refused other bindings: {err}");
    assert!(
        err.to_lowercase().contains("channel") || err.contains("BadBindings"),
        "{err}"
    );
}
