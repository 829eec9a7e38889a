//! Per-message protection on an established context: Wrap and MIC tokens of
//! [RFC 4121 section 4.2], and for arcfour-hmac contexts without an acceptor subkey
//! the legacy tokens of [RFC 4757 section 7] (feature `rc4`).
//!
//! A [`SecurityContext`] becomes a [`MessageContext`], which owns it together with the
//! sequence state and a [`Clock`]: our send sequence starts at the context's
//! acceptor sequence number and the receive window at the initiator's. With the
//! replay or sequence flag, duplicates ([`WrapError::Duplicate`]) and tokens too old to
//! check ([`WrapError::Old`]) are refused, while gaps and late tokens are reported as
//! [`Supplementary`] status beside the message (RFC 2743 section 1.2.3).
//!
//! ```no_run
//! # fn demo(ctx: kerbgate::SecurityContext, token: &[u8]) -> Result<(), kerbgate::wrap::WrapError> {
//! use std::sync::Arc;
//! use kerbgate::SystemClock;
//!
//! let mut msgs = ctx.into_message_context(Arc::new(SystemClock));
//! let incoming = msgs.unwrap(token)?;
//! let reply = msgs.wrap(b"a1 OK", incoming.conf)?;
//! # let _ = reply; Ok(()) }
//! ```
//!
//! # Limitations
//! - No IOV interface: DCE-RPC sign-only buffers (MS-RPCE header and trailer
//!   protected but not encrypted) cannot be passed.
//! - Legacy (RFC 4757) sequence numbers are 32-bit; the receive window does not
//!   follow them across a wrap at 2^32 (over four billion messages).
//! - Legacy tokens are always framed (0x60 and OID); Windows DCE-style RC4 tokens
//!   without framing are refused as defective.
//!
//! [RFC 4121 section 4.2]: https://www.rfc-editor.org/rfc/rfc4121#section-4.2
//! [RFC 4757 section 7]: https://www.rfc-editor.org/rfc/rfc4757#section-7

mod error;
mod rfc4121;
#[cfg(feature = "rc4")]
mod rfc4757;
mod seq;

use std::fmt;
use std::sync::Arc;

use kerbgate_crypto::Key;

use crate::clock::Clock;
use crate::consts::gss_flags;
use crate::context::SecurityContext;
use crate::token::Mech;

pub use error::{Defect, TokenKind, WrapError};
use seq::RecvWindow;
pub use seq::Supplementary;

/// Longest token or message handled (256 MiB); longer ones are refused before any
/// allocation.
pub const MAX_TOKEN_LEN: usize = 256 << 20;

/// arcfour-hmac (RFC 4757) enctype number.
const RC4_HMAC: i32 = 23;

/// Which side of the context produced a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Initiator,
    Acceptor,
}

impl Role {
    fn peer(self) -> Role {
        match self {
            Role::Initiator => Role::Acceptor,
            Role::Acceptor => Role::Initiator,
        }
    }
}

/// Options for [`MessageContext::wrap_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WrapOptions {
    /// Encrypt (true) or only protect integrity.
    pub conf: bool,
    /// RFC 4121 right rotation count; 0 by default (Windows uses 28 sealed, 12 not).
    pub rrc: u16,
    /// RFC 4121 extra count: zero filler octets in sealed tokens; 0 by default.
    pub ec: u16,
}

impl WrapOptions {
    /// Options with confidentiality on or off, RRC and EC 0.
    #[must_use]
    pub fn new(conf: bool) -> Self {
        Self {
            conf,
            ..Self::default()
        }
    }

    /// Sets the right rotation count (RFC 4121 tokens only).
    #[must_use]
    pub fn rrc(mut self, rrc: u16) -> Self {
        self.rrc = rrc;
        self
    }

    /// Sets the filler count of sealed RFC 4121 tokens.
    #[must_use]
    pub fn ec(mut self, ec: u16) -> Self {
        self.ec = ec;
        self
    }
}

/// The content of a verified Wrap token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct Unwrapped {
    /// The message.
    pub data: Vec<u8>,
    /// Whether it was encrypted.
    pub conf: bool,
    /// Gaps or late arrival, when the context asked for sequence checking.
    pub supplementary: Vec<Supplementary>,
}

impl fmt::Debug for Unwrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unwrapped")
            .field("len", &self.data.len())
            .field("conf", &self.conf)
            .field("supplementary", &self.supplementary)
            .finish()
    }
}

/// Keys, direction and sequence state: what both [`MessageContext`] and
/// [`InitiatorMirror`] run on.
struct Engine {
    role: Role,
    key: Key,
    acceptor_subkey: bool,
    dce: bool,
    legacy: bool,
    #[cfg_attr(
        not(feature = "rc4"),
        allow(dead_code, reason = "only legacy tokens carry the OID")
    )]
    mech: Mech,
    expires: i64,
    clock: Arc<dyn Clock>,
    send_seq: u64,
    recv: RecvWindow,
}

impl Engine {
    fn new(ctx: &SecurityContext, clock: Arc<dyn Clock>, role: Role) -> Self {
        let flags = ctx.flags();
        let key = ctx.context_key().clone();
        // RFC 4121 2 / RFC 4757 7: arcfour without an acceptor subkey keeps the
        // RFC 1964 token layout, as MIT and Windows do.
        let legacy = key.enctype().to_i32() == RC4_HMAC;
        let (send, recv) = match role {
            Role::Acceptor => (ctx.acceptor_seq(), ctx.initiator_seq()),
            Role::Initiator => (ctx.initiator_seq(), ctx.acceptor_seq()),
        };
        Self {
            role,
            key,
            acceptor_subkey: ctx.acceptor_subkey().is_some(),
            dce: flags.contains(gss_flags::DCE_STYLE),
            legacy,
            mech: if ctx.mech() == Mech::MsKrb5 {
                Mech::MsKrb5
            } else {
                Mech::Krb5
            },
            expires: ctx.expires(),
            clock,
            send_seq: u64::from(send),
            recv: RecvWindow::new(
                u64::from(recv),
                flags.contains(gss_flags::REPLAY),
                flags.contains(gss_flags::SEQUENCE),
            ),
        }
    }

    /// RFC 2743 1.2.1.1: an expired context protects and accepts nothing.
    fn check_time(&self) -> Result<(), WrapError> {
        let now = self.clock.now().secs;
        if now > self.expires {
            return Err(WrapError::Expired {
                expired_at: self.expires,
                now,
            });
        }
        Ok(())
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        s
    }

    fn check_len(len: usize) -> Result<(), WrapError> {
        if len > MAX_TOKEN_LEN {
            return Err(WrapError::TooLong {
                len,
                max: MAX_TOKEN_LEN,
            });
        }
        Ok(())
    }

    fn wrap_with(&mut self, data: &[u8], opts: WrapOptions) -> Result<Vec<u8>, WrapError> {
        self.check_time()?;
        Self::check_len(data.len())?;
        if self.legacy {
            let seq = low32(self.send_seq);
            let token = self.legacy_wrap(seq, data, opts.conf)?;
            self.next_seq();
            return Ok(token);
        }
        let token = rfc4121::wrap(self, self.send_seq, data, opts.conf, opts.ec, opts.rrc)?;
        self.next_seq();
        Ok(token)
    }

    fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped, WrapError> {
        self.check_time()?;
        let (data, conf, seq) = if self.legacy {
            self.legacy_unwrap(token)?
        } else {
            let o = rfc4121::unwrap(self, token)?;
            (o.data, o.sealed, o.seq)
        };
        // Sequence state changes only after the token verified.
        let supplementary = self.recv.check(seq)?.into_iter().collect();
        Ok(Unwrapped {
            data,
            conf,
            supplementary,
        })
    }

    fn get_mic(&mut self, data: &[u8]) -> Result<Vec<u8>, WrapError> {
        self.check_time()?;
        Self::check_len(data.len())?;
        let token = if self.legacy {
            self.legacy_get_mic(low32(self.send_seq), data)?
        } else {
            rfc4121::get_mic(self, self.send_seq, data)?
        };
        self.next_seq();
        Ok(token)
    }

    fn verify_mic(&mut self, data: &[u8], token: &[u8]) -> Result<Vec<Supplementary>, WrapError> {
        self.check_time()?;
        let seq = if self.legacy {
            self.legacy_verify_mic(data, token)?
        } else {
            rfc4121::verify_mic(self, data, token)?
        };
        Ok(self.recv.check(seq)?.into_iter().collect())
    }

    fn wrap_size_limit(&self, max_output: usize, conf: bool) -> usize {
        if self.legacy {
            #[cfg(feature = "rc4")]
            return rfc4757::size_limit(self, max_output);
        }
        rfc4121::size_limit(self, max_output, conf)
    }
}

/// The low 32 bits: legacy tokens carry 32-bit sequence numbers.
fn low32(seq: u64) -> u32 {
    let b = seq.to_be_bytes();
    u32::from_be_bytes([b[4], b[5], b[6], b[7]])
}

#[cfg(feature = "rc4")]
impl Engine {
    fn legacy_wrap(&self, seq: u32, data: &[u8], conf: bool) -> Result<Vec<u8>, WrapError> {
        rfc4757::wrap(self, seq, data, conf)
    }

    fn legacy_unwrap(&self, token: &[u8]) -> Result<(Vec<u8>, bool, u64), WrapError> {
        let (data, conf, seq) = rfc4757::unwrap(self, token)?;
        Ok((data, conf, u64::from(seq)))
    }

    fn legacy_get_mic(&self, seq: u32, data: &[u8]) -> Result<Vec<u8>, WrapError> {
        rfc4757::get_mic(self, seq, data)
    }

    fn legacy_verify_mic(&self, data: &[u8], token: &[u8]) -> Result<u64, WrapError> {
        rfc4757::verify_mic(self, data, token).map(u64::from)
    }
}

#[cfg(not(feature = "rc4"))]
impl Engine {
    const NO_RC4: WrapError = WrapError::Unsupported {
        what: "arcfour-hmac per-message tokens (RFC 4757) need kerbgate's `rc4` feature",
    };

    fn legacy_wrap(&self, _: u32, _: &[u8], _: bool) -> Result<Vec<u8>, WrapError> {
        Err(Self::NO_RC4)
    }

    fn legacy_unwrap(&self, _: &[u8]) -> Result<(Vec<u8>, bool, u64), WrapError> {
        Err(Self::NO_RC4)
    }

    fn legacy_get_mic(&self, _: u32, _: &[u8]) -> Result<Vec<u8>, WrapError> {
        Err(Self::NO_RC4)
    }

    fn legacy_verify_mic(&self, _: &[u8], _: &[u8]) -> Result<u64, WrapError> {
        Err(Self::NO_RC4)
    }
}

/// An established context ready for per-message tokens, on the acceptor side.
///
/// It owns the [`SecurityContext`], so one context has exactly one sequence state.
pub struct MessageContext {
    ctx: SecurityContext,
    engine: Engine,
}

impl SecurityContext {
    /// Starts per-message protection; `clock` decides when the context has expired.
    pub fn into_message_context(self, clock: Arc<dyn Clock>) -> MessageContext {
        MessageContext::new(self, clock)
    }
}

macro_rules! per_message_api {
    () => {
        /// Wraps `data`, encrypted when `conf` (GSS_Wrap, RFC 2743 2.3.3), with RRC 0.
        ///
        /// # Errors
        /// [`WrapError::Expired`], [`WrapError::TooLong`], [`WrapError::Unsupported`]
        /// (arcfour without the `rc4` feature), [`WrapError::Crypto`].
        pub fn wrap(&mut self, data: &[u8], conf: bool) -> Result<Vec<u8>, WrapError> {
            self.engine.wrap_with(data, WrapOptions::new(conf))
        }

        /// Wraps `data` with explicit options (RRC and EC apply to RFC 4121 tokens).
        ///
        /// # Errors
        /// As [`Self::wrap`].
        pub fn wrap_with(&mut self, data: &[u8], opts: WrapOptions) -> Result<Vec<u8>, WrapError> {
            self.engine.wrap_with(data, opts)
        }

        /// Verifies and opens a Wrap token from the peer (GSS_Unwrap, RFC 2743 2.3.4).
        ///
        /// # Errors
        /// [`WrapError::Defective`] for malformed tokens, [`WrapError::BadMic`] when
        /// the integrity check fails, [`WrapError::WrongDirection`] for a reflected
        /// token, [`WrapError::Duplicate`] or [`WrapError::Old`] for replays,
        /// [`WrapError::Expired`].
        pub fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped, WrapError> {
            self.engine.unwrap(token)
        }

        /// Makes a MIC token over `data` (GSS_GetMIC, RFC 2743 2.3.1).
        ///
        /// # Errors
        /// As [`Self::wrap`].
        pub fn get_mic(&mut self, data: &[u8]) -> Result<Vec<u8>, WrapError> {
            self.engine.get_mic(data)
        }

        /// Verifies the peer's MIC `token` over `data` (GSS_VerifyMIC, RFC 2743 2.3.2);
        /// returns supplementary sequence status.
        ///
        /// # Errors
        /// As [`Self::unwrap`].
        pub fn verify_mic(
            &mut self,
            data: &[u8],
            token: &[u8],
        ) -> Result<Vec<Supplementary>, WrapError> {
            self.engine.verify_mic(data, token)
        }

        /// The largest message whose Wrap token (RRC and EC 0) fits in `max_output`
        /// bytes (GSS_Wrap_size_limit, RFC 2743 2.2.8); 0 if none fits.
        #[must_use]
        pub fn wrap_size_limit(&self, max_output: usize, conf: bool) -> usize {
            self.engine.wrap_size_limit(max_output, conf)
        }

        /// Whether tokens use the legacy RFC 4757 layout (arcfour-hmac).
        #[must_use]
        pub fn is_legacy(&self) -> bool {
            self.engine.legacy
        }
    };
}

impl MessageContext {
    /// Starts per-message protection on `ctx`, as the acceptor.
    pub fn new(ctx: SecurityContext, clock: Arc<dyn Clock>) -> Self {
        let engine = Engine::new(&ctx, clock, Role::Acceptor);
        Self { ctx, engine }
    }

    /// The established context.
    pub fn context(&self) -> &SecurityContext {
        &self.ctx
    }

    /// Gives the context back, dropping the sequence state.
    pub fn into_inner(self) -> SecurityContext {
        self.ctx
    }

    /// The initiator's view of this context, for tests, fuzzing and loopback checks:
    /// it wraps as the initiator would and accepts our tokens. It starts its own
    /// sequence state; never use it on a live connection.
    pub fn initiator_mirror(&self) -> InitiatorMirror {
        InitiatorMirror {
            engine: Engine::new(&self.ctx, Arc::clone(&self.engine.clock), Role::Initiator),
        }
    }

    per_message_api!();
}

impl fmt::Debug for MessageContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageContext")
            .field("context", &self.ctx)
            .field("legacy", &self.engine.legacy)
            .field("send_seq", &self.engine.send_seq)
            .finish_non_exhaustive()
    }
}

/// The initiator side of a [`MessageContext`]'s keys (see
/// [`MessageContext::initiator_mirror`]).
pub struct InitiatorMirror {
    engine: Engine,
}

impl InitiatorMirror {
    per_message_api!();
}

impl fmt::Debug for InitiatorMirror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitiatorMirror")
            .field("legacy", &self.engine.legacy)
            .finish_non_exhaustive()
    }
}
