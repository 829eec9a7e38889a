//! An IMAP client whose GSS side is MIT's (the python3-gssapi [`Initiator`]), doing
//! SASL GSSAPI (RFC 4752) by hand over `AUTHENTICATE` (RFC 3501 6.2.2), with or
//! without the SASL-IR initial response (RFC 4959). It talks to any server on
//! 127.0.0.1: `kerbgate serve --imap` and Dovecot alike.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::driver::Initiator;
use crate::error::{io, HarnessError};
use crate::realm::MitRealm;
use crate::requests::{GssFlag, InitRequest, Mech};

/// How long one server reply may take.
const READ_LIMIT: Duration = Duration::from_secs(30);

/// Largest protected frame accepted from a server.
const MAX_FRAME: usize = 1 << 20;

/// How the client runs one `AUTHENTICATE GSSAPI`.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Rfc4752Login {
    /// The GSS target, `service@host`.
    pub target: String,
    /// The mechanism of the initial context token.
    pub mech: Mech,
    /// Send the first token as the SASL-IR initial response.
    pub initial_response: bool,
    /// Ask for mutual authentication (an AP-REP challenge, then an empty response).
    pub mutual: bool,
    /// The layer bit chosen in the reply (1 none, 2 integrity, 4 confidentiality).
    pub layer: u8,
    /// The client's maximum buffer size in the reply.
    pub max_size: u32,
    /// The authorization identity octets in the reply (empty: none).
    pub authzid: Vec<u8>,
}

impl Rfc4752Login {
    /// SASL-IR, mutual authentication, no layer (size 0), no authzid, Kerberos OID.
    #[must_use]
    pub fn new(target: &str) -> Self {
        Self {
            target: target.to_owned(),
            mech: Mech::Krb5,
            initial_response: true,
            mutual: true,
            layer: 1,
            max_size: 0,
            authzid: Vec::new(),
        }
    }

    /// Sets the authorization identity.
    #[must_use]
    pub fn authzid(mut self, authzid: &[u8]) -> Self {
        self.authzid = authzid.to_vec();
        self
    }

    /// Sends the first token as initial response or after an empty challenge.
    #[must_use]
    pub fn initial_response(mut self, on: bool) -> Self {
        self.initial_response = on;
        self
    }

    /// Asks for mutual authentication or not.
    #[must_use]
    pub fn mutual(mut self, on: bool) -> Self {
        self.mutual = on;
        self
    }

    /// Chooses a layer bit and maximum size for the reply.
    #[must_use]
    pub fn layer(mut self, layer: u8, max_size: u32) -> Self {
        self.layer = layer;
        self.max_size = max_size;
        self
    }

    /// Uses another mechanism OID for the context token.
    #[must_use]
    pub fn mech(mut self, mech: Mech) -> Self {
        self.mech = mech;
        self
    }
}

/// What the server said to one login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginOutcome {
    /// The tagged reply line (`a1 OK ...` or `a1 NO ...`).
    pub tagged: String,
    /// The server's unwrapped security-layer offer, when it got that far.
    pub offer: Option<Vec<u8>>,
}

impl LoginOutcome {
    /// Whether the server accepted the login.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.tagged.starts_with("a1 OK")
    }
}

/// An IMAP connection with MIT as the GSS initiator.
#[derive(Debug)]
pub struct ImapClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    init: Initiator,
    greeting: String,
    /// Whether a security layer protects the session (and with confidentiality).
    layer: Option<bool>,
}

impl ImapClient {
    /// Connects to 127.0.0.1:`port` with the credentials in `ccache` and reads the
    /// greeting.
    ///
    /// # Errors
    /// As [`Initiator::spawn`]; I/O errors; [`HarnessError::Protocol`] when the
    /// server closes before greeting.
    pub fn connect(realm: &MitRealm, port: u16, ccache: &Path) -> Result<Self, HarnessError> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(io(format!("connecting to {port}")))?;
        stream
            .set_read_timeout(Some(READ_LIMIT))
            .map_err(io("setting a read timeout"))?;
        let init = Initiator::spawn(realm, ccache)?;
        let reader = BufReader::new(stream.try_clone().map_err(io("cloning the socket"))?);
        let mut c = Self {
            reader,
            writer: stream,
            init,
            greeting: String::new(),
            layer: None,
        };
        c.greeting = c.line()?;
        Ok(c)
    }

    /// The server's greeting line.
    #[must_use]
    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    /// The client's local port (servers log it as the remote port).
    ///
    /// # Errors
    /// I/O errors from the socket.
    pub fn local_port(&self) -> Result<u16, HarnessError> {
        Ok(self
            .writer
            .local_addr()
            .map_err(io("reading the local address"))?
            .port())
    }

    /// The MIT side, for per-message operations.
    pub fn initiator(&mut self) -> &mut Initiator {
        &mut self.init
    }

    /// Sends one line (CRLF added), through the security layer once there is one.
    ///
    /// # Errors
    /// I/O or GSS errors.
    pub fn send(&mut self, line: &str) -> Result<(), HarnessError> {
        let data = format!("{line}\r\n");
        let bytes = match self.layer {
            None => data.into_bytes(),
            Some(conf) => {
                let (tok, _) = self.init.driver().wrap(data.as_bytes(), conf)?;
                let len = u32::try_from(tok.len()).map_err(|_| protocol("token too long"))?;
                let mut framed = len.to_be_bytes().to_vec();
                framed.extend_from_slice(&tok);
                framed
            }
        };
        self.writer
            .write_all(&bytes)
            .map_err(io("writing to the server"))
    }

    /// One response line without CRLF; under a layer, one frame.
    ///
    /// # Errors
    /// I/O or GSS errors; [`HarnessError::Protocol`] on a closed connection.
    pub fn line(&mut self) -> Result<String, HarnessError> {
        match self.layer {
            None => {
                let mut l = String::new();
                let n = self
                    .reader
                    .read_line(&mut l)
                    .map_err(io("reading from the server"))?;
                if n == 0 {
                    return Err(protocol("the server closed the connection"));
                }
                Ok(l.trim_end().to_owned())
            }
            Some(conf) => {
                let mut len = [0u8; 4];
                self.reader
                    .read_exact(&mut len)
                    .map_err(io("reading a frame length"))?;
                let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
                if len > MAX_FRAME {
                    return Err(protocol("protected frame over 1 MiB"));
                }
                let mut tok = vec![0u8; len];
                self.reader
                    .read_exact(&mut tok)
                    .map_err(io("reading a frame"))?;
                let (data, was_conf) = self.init.driver().unwrap(&tok)?;
                if was_conf != conf {
                    return Err(protocol("frame protection differs from the layer"));
                }
                Ok(String::from_utf8_lossy(&data).trim_end().to_owned())
            }
        }
    }

    /// Runs `a1 AUTHENTICATE GSSAPI` per `how` and returns the tagged reply; a
    /// tagged reply ends the exchange at any step. After an OK with a layer,
    /// further traffic is protected.
    ///
    /// # Errors
    /// I/O, GSS or protocol errors (not a refusal: that is a `NO` outcome).
    pub fn authenticate(&mut self, how: &Rfc4752Login) -> Result<LoginOutcome, HarnessError> {
        let mut flags = vec![GssFlag::Conf, GssFlag::Integ, GssFlag::Sequence];
        if how.mutual {
            flags.push(GssFlag::Mutual);
        }
        let req = InitRequest::new(&how.target).mech(how.mech).flags(&flags);
        let first = self.init.init(&req)?;
        let token = base64_encode(&first.token.unwrap_or_default());
        let mut outcome = LoginOutcome {
            tagged: String::new(),
            offer: None,
        };
        if how.initial_response {
            self.send(&format!("a1 AUTHENTICATE GSSAPI {token}"))?;
        } else {
            self.send("a1 AUTHENTICATE GSSAPI")?;
            match self.challenge()? {
                Ok(c) if c.is_empty() => {}
                Ok(_) => return Err(protocol("first challenge not empty")),
                Err(tagged) => return Ok(LoginOutcome { tagged, ..outcome }),
            }
            self.send(&token)?;
        }

        // The AP-REP (mutual) or the offer; with SPNEGO, negotiation tokens first.
        let mut complete = first.complete;
        let offer_token = loop {
            let c = match self.challenge()? {
                Ok(c) => c,
                Err(tagged) => return Ok(LoginOutcome { tagged, ..outcome }),
            };
            if complete {
                break c;
            }
            let step = self.init.step(&c)?;
            complete = step.complete;
            self.send(&base64_encode(&step.token.unwrap_or_default()))?;
        };
        let (offer, conf) = self.init.driver().unwrap(&offer_token)?;
        // RFC 4752 3.1: the offer is wrapped without confidentiality.
        if conf {
            return Err(protocol("the security-layer offer is encrypted"));
        }
        outcome.offer = Some(offer);

        let mut reply = vec![how.layer];
        reply.extend_from_slice(how.max_size.to_be_bytes().get(1..).unwrap_or_default());
        reply.extend_from_slice(&how.authzid);
        let (tok, _) = self.init.driver().wrap(&reply, false)?;
        self.send(&base64_encode(&tok))?;
        outcome.tagged = match self.challenge()? {
            Ok(_) => return Err(protocol("a challenge after the security-layer reply")),
            Err(tagged) => tagged,
        };
        if outcome.ok() && how.layer != 1 {
            self.layer = Some(how.layer == 4);
        }
        Ok(outcome)
    }

    /// The next `+` challenge, decoded, or (as `Err`) the tagged line ending the exchange.
    fn challenge(&mut self) -> Result<Result<Vec<u8>, String>, HarnessError> {
        let l = self.line()?;
        match l.strip_prefix('+') {
            Some(rest) => {
                Ok(Ok(base64_decode(rest.trim())
                    .ok_or_else(|| protocol("challenge is not base64"))?))
            }
            None if l.starts_with("a1 ") => Ok(Err(l)),
            None => Err(protocol("neither a challenge nor the tagged reply")),
        }
    }
}

/// A `kerbgate serve --imap` process on 127.0.0.1, killed on drop.
#[derive(Debug)]
pub struct KerbgateImap {
    child: std::process::Child,
    port: u16,
}

impl KerbgateImap {
    /// Starts `bin serve --imap 127.0.0.1:0 --keytab KEYTAB ARGS...` with `realm`'s
    /// environment and reads the port it prints; its stderr (the operator's log)
    /// goes to `log`, or is inherited when `None`.
    ///
    /// # Errors
    /// I/O errors; [`HarnessError::ServerStartFailed`] when it prints no port.
    pub fn start(
        bin: &Path,
        realm: &MitRealm,
        keytab: &Path,
        args: &[&str],
        log: Option<&Path>,
    ) -> Result<Self, HarnessError> {
        let stderr = match log {
            Some(path) => std::process::Stdio::from(
                std::fs::File::create(path).map_err(io("creating the kerbgate log"))?,
            ),
            None => std::process::Stdio::inherit(),
        };
        let mut child = std::process::Command::new(bin)
            .args(["serve", "--imap", "127.0.0.1:0", "--keytab"])
            .arg(keytab)
            .args(args)
            .envs(realm.env())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(io("starting kerbgate serve --imap"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let Some(port) = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::ServerStartFailed {
                server: "kerbgate serve --imap",
                reason: format!("no port in its first line {:?}", line.trim()),
                log_tail: String::new(),
            });
        };
        Ok(Self { child, port })
    }

    /// The IMAP port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for KerbgateImap {
    fn drop(&mut self) {
        // Exactly the process we spawned.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn protocol(detail: &str) -> HarnessError {
    HarnessError::Protocol {
        detail: detail.to_owned(),
        stderr_file: std::path::PathBuf::new(),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 4).
#[must_use]
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for c in data.chunks(3) {
        let byte = |i: usize| u32::from(c.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4usize {
            if i <= c.len() {
                let idx = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 with padding; `None` on anything else.
#[must_use]
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::new();
    for q in bytes.chunks(4) {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for &c in q {
            let v = if c == b'=' {
                0
            } else {
                u32::try_from(B64.iter().position(|&x| x == c)?).ok()?
            };
            n = (n << 6) | v;
        }
        out.extend_from_slice(n.to_be_bytes().get(1..4 - pad)?);
    }
    Some(out)
}

/// Where Debian's cyrus-clients installs Cyrus SASL's IMAP test client.
pub const IMTEST: &str = "/usr/lib/cyrus/bin/imtest";

/// Runs Cyrus `imtest -m GSSAPI` as alice against an IMAP server on 127.0.0.1 `port`
/// with `max_ssf` (`-l`: 0 none, 1 integrity, 256 confidentiality), sends NOOP and
/// LOGOUT, and returns everything imtest printed (stdout then stderr).
///
/// # Errors
/// When imtest cannot be started or its output cannot be read.
pub fn imtest_session(
    realm: &MitRealm,
    ccache: &Path,
    port: u16,
    max_ssf: &str,
) -> Result<String, HarnessError> {
    use std::process::{Command, Stdio};
    let mut child = Command::new(IMTEST)
        .args([
            "-m", "GSSAPI", "-u", "alice", "-a", "alice", "-l", max_ssf, "-p",
        ])
        .arg(port.to_string())
        .arg("localhost")
        .envs(realm.env())
        .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io("starting imtest"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(b"n1 NOOP\r\nn2 LOGOUT\r\n")
            .map_err(io("writing to imtest"))?;
    }
    let out = child.wait_with_output().map_err(io("waiting for imtest"))?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for len in 0..10usize {
            let data: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i * 37 % 251).unwrap())
                .collect();
            assert_eq!(base64_decode(&base64_encode(&data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert!(base64_decode("Zm9").is_none());
    }
}
