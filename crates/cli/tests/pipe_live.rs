//! `kerbgate pipe` driven by a real MIT initiator (python3-gssapi) in a throwaway realm
//! on 127.0.0.1: the initiator completes on the AP-REP the pipe returns, then Wrap and
//! MIC tokens cross in both directions through the pipe's JSON lines.
//!
//! Live-test policy: without MIT tools the test fails when `CI` is set and otherwise
//! prints `skipped: <reason>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests may unwrap"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use kerbgate_interop::{
    live, GssFlag, InitRequest, Initiator, KeytabMode, MitRealm, PrincipalKey, RealmOptions,
};
use serde_json::{json, Value};

const CLIENT: &str = "alice";
const PASSWORD: &str = "alice-Passw0rd";
const SERVICE: &str = "imap/mail.kerbgate.test";

/// The pipe process; dropping it kills exactly that child.
struct Pipe {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Pipe {
    fn start(keytab: &std::path::Path) -> Pipe {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kerbgate"))
            .arg("pipe")
            .arg("--keytab")
            .arg(keytab)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Pipe {
            child,
            stdin,
            stdout,
        }
    }

    fn call(&mut self, req: &Value) -> Value {
        writeln!(self.stdin, "{req}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hex_of(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}"))).unwrap()
}

#[test]
fn mit_initiator_talks_to_the_pipe_both_ways() {
    let Some(realm) = live(MitRealm::start(RealmOptions::default())) else {
        return;
    };
    realm
        .add_principal(CLIENT, PrincipalKey::Password(PASSWORD), &[])
        .unwrap();
    realm
        .add_principal(SERVICE, PrincipalKey::Random, &[])
        .unwrap();
    let keytab = realm.dir().join("imap.keytab");
    realm
        .export_keytab(&[SERVICE], &keytab, KeytabMode::Replace)
        .unwrap();
    let ccache = realm.dir().join("alice.cc");
    realm.kinit(CLIENT, PASSWORD, &ccache, false).unwrap();

    for mutual in [true, false] {
        let mut pipe = Pipe::start(&keytab);
        let Some(mut init) = live(Initiator::spawn(&realm, &ccache)) else {
            return;
        };
        let flags: &[GssFlag] = if mutual {
            &[
                GssFlag::Mutual,
                GssFlag::Conf,
                GssFlag::Integ,
                GssFlag::Sequence,
                GssFlag::Replay,
            ]
        } else {
            &[GssFlag::Conf, GssFlag::Integ]
        };
        let first = init
            .init(&InitRequest::new("imap@mail.kerbgate.test").flags(flags))
            .unwrap();
        let token = first.token.unwrap();
        let accepted = pipe.call(&json!({"op": "accept", "token": hex::encode(&token)}));
        assert_eq!(accepted["ok"], true, "{accepted}");
        assert_eq!(accepted["client"], "alice@KERBGATE.TEST");
        if mutual {
            let step = init.step(&hex_of(&accepted, "output_token")).unwrap();
            assert!(step.complete, "MIT did not complete on the pipe's AP-REP");
        } else {
            assert!(first.complete);
        }

        // Initiator to pipe: sealed Wrap, then MIC.
        let (sealed, conf) = init.driver().wrap(b"from MIT", true).unwrap();
        assert!(conf);
        let opened = pipe.call(&json!({"op": "unwrap", "token": hex::encode(&sealed)}));
        assert_eq!(hex_of(&opened, "data"), b"from MIT", "{opened}");
        assert_eq!(opened["conf"], true);
        let mic = init.driver().get_mic(b"signed by MIT").unwrap();
        let verified = pipe.call(&json!({
            "op": "verify_mic", "data": hex::encode(b"signed by MIT"), "token": hex::encode(&mic)
        }));
        assert_eq!(verified["ok"], true, "{verified}");

        // Pipe to initiator: sealed and integrity-only Wrap, then MIC.
        for conf in [true, false] {
            let wrapped = pipe
                .call(&json!({"op": "wrap", "data": hex::encode(b"from kerbgate"), "conf": conf}));
            let (data, got_conf) = init.driver().unwrap(&hex_of(&wrapped, "token")).unwrap();
            assert_eq!(data, b"from kerbgate");
            assert_eq!(got_conf, conf);
        }
        let mic = pipe.call(&json!({"op": "get_mic", "data": hex::encode(b"signed by kerbgate")}));
        init.driver()
            .verify_mic(b"signed by kerbgate", &hex_of(&mic, "token"))
            .unwrap();

        // A replayed token is refused when the context asked for replay detection.
        if mutual {
            let again = pipe.call(&json!({"op": "unwrap", "token": hex::encode(&sealed)}));
            assert_eq!(again["ok"], false, "{again}");
            assert_eq!(again["gss_major"], "GSS_S_DUPLICATE_TOKEN", "{again}");
        }
    }
}
