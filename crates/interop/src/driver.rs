//! The MIT GSS-API peer: `scripts/initiator.py` under Debian's python3,
//! spoken to in JSON lines.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{io, HarnessError};
use crate::realm::{ccache_name, MitRealm};
use crate::requests::{ChannelBindings, ContextInfo, InitRequest, StepResult};
use crate::tools::{self, PYTHON};

/// How long one driver op may take (a KDC round trip at most).
const OP_LIMIT: Duration = Duration::from_secs(60);

/// Path of the driver script in this crate.
#[must_use]
pub fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/initiator.py")
}

/// A python3-gssapi process holding one security context.
///
/// Dropping it kills exactly that process.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<std::io::Result<String>>,
    stderr_file: PathBuf,
}

impl Driver {
    /// Starts the driver script with `realm`'s environment plus `overrides`.
    ///
    /// # Errors
    /// [`HarnessError::ToolMissing`] without python3-gssapi; I/O errors.
    pub fn spawn(realm: &MitRealm, overrides: &[(&str, OsString)]) -> Result<Self, HarnessError> {
        tools::check_python_gssapi()?;
        let stderr_file = realm
            .dir()
            .join(format!("driver-{}.stderr", crate::setup::random_hex(4)?));
        let stderr = std::fs::File::create(&stderr_file).map_err(io("creating driver stderr"))?;
        let mut child = Command::new(PYTHON)
            .arg(script_path())
            .envs(realm.env())
            .envs(overrides.iter().map(|(k, v)| (*k, v.as_os_str())))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(io("starting the python gss driver"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::Protocol {
                detail: "driver pipes missing".to_owned(),
                stderr_file,
            });
        };

        // A reader thread lets every op wait with a time limit.
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            lines,
            stderr_file,
        })
    }

    /// Sends one request and returns the `ok: true` answer.
    ///
    /// # Errors
    /// [`HarnessError::Gss`] for `ok: false`; [`HarnessError::Timeout`] or
    /// [`HarnessError::Protocol`] when the driver misbehaves.
    pub fn call(&mut self, request: &Value) -> Result<Value, HarnessError> {
        let op = request
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let protocol = |detail: String, file: &Path| HarnessError::Protocol {
            detail,
            stderr_file: file.to_path_buf(),
        };

        let line = format!("{request}\n");
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| protocol(format!("writing `{op}`: {e}"), &self.stderr_file))?;

        let answer = match self.lines.recv_timeout(OP_LIMIT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(protocol(format!("reading: {e}"), &self.stderr_file)),
            Err(RecvTimeoutError::Timeout) => {
                return Err(HarnessError::Timeout {
                    what: format!("waiting for the gss driver's `{op}` answer"),
                    seconds: OP_LIMIT.as_secs(),
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                let tail = std::fs::read_to_string(&self.stderr_file).unwrap_or_default();
                let detail = format!("driver exited during `{op}`: {}", tools::tail(&tail, 1500));
                return Err(protocol(detail, &self.stderr_file));
            }
        };
        let value: Value = serde_json::from_str(&answer)
            .map_err(|e| protocol(format!("bad json for `{op}`: {e}"), &self.stderr_file))?;
        if value.get("ok") == Some(&Value::Bool(true)) {
            Ok(value)
        } else {
            let message = value
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error text")
                .to_owned();
            Err(HarnessError::Gss { op, message })
        }
    }

    fn step_result(&self, v: &Value) -> Result<StepResult, HarnessError> {
        Ok(StepResult {
            token: opt_hex(v, "token", &self.stderr_file)?,
            complete: v.get("complete").and_then(Value::as_bool).unwrap_or(false),
            initiator: v
                .get("initiator")
                .and_then(Value::as_str)
                .map(str::to_owned),
            delegated: v.get("delegated").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// Wraps `data` (RFC 4121 4.2.6.2 / RFC 4757 token).
    ///
    /// # Errors
    /// As [`Driver::call`].
    pub fn wrap(&mut self, data: &[u8], conf: bool) -> Result<(Vec<u8>, bool), HarnessError> {
        let v = self.call(&json!({"op": "wrap", "data": hex::encode(data), "conf": conf}))?;
        let token = need_hex(&v, "token", &self.stderr_file)?;
        Ok((
            token,
            v.get("conf").and_then(Value::as_bool).unwrap_or(false),
        ))
    }

    /// Unwraps a token; returns the data and whether it was encrypted.
    ///
    /// # Errors
    /// As [`Driver::call`].
    pub fn unwrap(&mut self, token: &[u8]) -> Result<(Vec<u8>, bool), HarnessError> {
        let v = self.call(&json!({"op": "unwrap", "token": hex::encode(token)}))?;
        let data = need_hex(&v, "data", &self.stderr_file)?;
        Ok((
            data,
            v.get("conf").and_then(Value::as_bool).unwrap_or(false),
        ))
    }

    /// Makes a MIC token over `data`.
    ///
    /// # Errors
    /// As [`Driver::call`].
    pub fn get_mic(&mut self, data: &[u8]) -> Result<Vec<u8>, HarnessError> {
        let v = self.call(&json!({"op": "get_mic", "data": hex::encode(data)}))?;
        need_hex(&v, "token", &self.stderr_file)
    }

    /// Verifies a MIC token over `data`.
    ///
    /// # Errors
    /// [`HarnessError::Gss`] when MIT rejects it; as [`Driver::call`].
    pub fn verify_mic(&mut self, data: &[u8], token: &[u8]) -> Result<(), HarnessError> {
        let req =
            json!({"op": "verify_mic", "data": hex::encode(data), "token": hex::encode(token)});
        self.call(&req).map(|_| ())
    }

    /// Reports the context's flags, mechanism, lifetime and session enctype.
    ///
    /// # Errors
    /// As [`Driver::call`].
    pub fn info(&mut self) -> Result<ContextInfo, HarnessError> {
        let v = self.call(&json!({"op": "info"}))?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(ContextInfo {
            flags: v
                .get("flags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            mech: text("mech"),
            lifetime: v.get("lifetime").and_then(Value::as_u64),
            session_enctype: v
                .get("session_enctype")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok()),
            initiator: text("initiator"),
            target: text("target"),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Exactly the process we spawned.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn opt_hex(v: &Value, key: &str, file: &Path) -> Result<Option<Vec<u8>>, HarnessError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => hex::decode(s)
            .map(Some)
            .map_err(|e| HarnessError::Protocol {
                detail: format!("`{key}` is not hex: {e}"),
                stderr_file: file.to_path_buf(),
            }),
        Some(_) => Err(HarnessError::Protocol {
            detail: format!("`{key}` is not a string"),
            stderr_file: file.to_path_buf(),
        }),
    }
}

fn need_hex(v: &Value, key: &str, file: &Path) -> Result<Vec<u8>, HarnessError> {
    opt_hex(v, key, file)?.ok_or_else(|| HarnessError::Protocol {
        detail: format!("answer lacks `{key}`"),
        stderr_file: file.to_path_buf(),
    })
}

/// The MIT initiator: credentials from a ccache, `init` then `step`.
#[derive(Debug)]
pub struct Initiator {
    driver: Driver,
}

impl Initiator {
    /// Starts an initiator using the FILE ccache at `ccache`.
    ///
    /// # Errors
    /// As [`Driver::spawn`].
    pub fn spawn(realm: &MitRealm, ccache: &Path) -> Result<Self, HarnessError> {
        let cc = OsString::from(ccache_name(ccache));
        Ok(Self {
            driver: Driver::spawn(realm, &[("KRB5CCNAME", cc)])?,
        })
    }

    /// Calls `gss_init_sec_context` for the first token (an AP-REQ, framed).
    ///
    /// # Errors
    /// [`HarnessError::Gss`] when MIT fails (no ticket, unknown service...).
    pub fn init(&mut self, req: &InitRequest) -> Result<StepResult, HarnessError> {
        let flags: Vec<&str> = req.flags.iter().map(|f| f.as_str()).collect();
        let mut obj = json!({
            "op": "init",
            "target": req.target,
            "mech": req.mech.as_str(),
            "flags": flags,
        });
        if let (Some(cb), Some(map)) = (&req.channel_bindings, obj.as_object_mut()) {
            map.insert("channel_bindings".into(), cb.to_json());
        }
        let v = self.driver.call(&obj)?;
        self.driver.step_result(&v)
    }

    /// Feeds the acceptor's token (AP-REP, or a SPNEGO response).
    ///
    /// # Errors
    /// [`HarnessError::Gss`] when MIT rejects it.
    pub fn step(&mut self, token: &[u8]) -> Result<StepResult, HarnessError> {
        let v = self
            .driver
            .call(&json!({"op": "step", "token": hex::encode(token)}))?;
        self.driver.step_result(&v)
    }

    /// Per-message operations on the established context.
    pub fn driver(&mut self) -> &mut Driver {
        &mut self.driver
    }
}

/// The MIT acceptor: keys from a keytab, `accept` per incoming token.
#[derive(Debug)]
pub struct MitAcceptor {
    driver: Driver,
}

impl MitAcceptor {
    /// Starts an acceptor using the keytab at `keytab` (`KRB5_KTNAME`).
    ///
    /// # Errors
    /// As [`Driver::spawn`].
    pub fn spawn(realm: &MitRealm, keytab: &Path) -> Result<Self, HarnessError> {
        let mut kt = OsString::from("FILE:");
        kt.push(keytab);
        Ok(Self {
            driver: Driver::spawn(realm, &[("KRB5_KTNAME", kt)])?,
        })
    }

    /// Calls `gss_accept_sec_context` on `token` with optional bindings.
    ///
    /// # Errors
    /// [`HarnessError::Gss`] when MIT rejects the token.
    pub fn accept(
        &mut self,
        token: &[u8],
        channel_bindings: Option<&ChannelBindings>,
    ) -> Result<StepResult, HarnessError> {
        let mut obj = json!({"op": "accept", "token": hex::encode(token)});
        if let (Some(cb), Some(map)) = (channel_bindings, obj.as_object_mut()) {
            map.insert("channel_bindings".into(), cb.to_json());
        }
        let v = self.driver.call(&obj)?;
        self.driver.step_result(&v)
    }

    /// Per-message operations on the established context.
    pub fn driver(&mut self) -> &mut Driver {
        &mut self.driver
    }
}
