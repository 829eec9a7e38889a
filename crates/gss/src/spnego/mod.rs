//! SPNEGO acceptance ([RFC 4178]) over the Kerberos [`Acceptor`].
//!
//! A [`SpnegoExchange`] holds one negotiation: feed it each token from the client
//! with [`SpnegoExchange::step`] and send back the [`Progress::output_token`] until
//! [`Progress::complete`]. It picks the first Kerberos OID in the client's list
//! (the Microsoft OID counts as Kerberos, and is echoed in supportedMech when listed
//! first, as Windows expects), accepts the optimistic token when Kerberos was the
//! client's first choice, and otherwise asks for the token in a second leg.
//!
//! mechListMIC follows RFC 4178 section 5: it is required when the chosen mechanism
//! was not the client's first; a MIC the client sends is always verified and
//! answered with ours; and none is sent unasked when the first mechanism was chosen
//! (Windows clients fail on an unsolicited MIC). The MIC covers the DER of the
//! client's MechTypeList as sent, made with the context's RFC 4121 MIC routine; it
//! consumes one sequence number each way, which is why the established context is
//! handed out as a [`MessageContext`].
//!
//! A bare Kerberos token (RFC 2743 framing with a Kerberos OID, or a raw AP-REQ) is
//! accepted too, without SPNEGO around the reply, since some HTTP clients send one.
//!
//! ```no_run
//! # fn demo(acceptor: std::sync::Arc<kerbgate::Acceptor>, token: &[u8]) {
//! use kerbgate::spnego::SpnegoExchange;
//!
//! let mut exchange = SpnegoExchange::new(acceptor);
//! match exchange.step(token) {
//!     Ok(progress) => {
//!         // send progress.output_token (a NegTokenResp) if any
//!         if progress.complete {
//!             let ctx = exchange.context().map(|c| c.context().client().to_string());
//!             # let _ = ctx;
//!         }
//!     }
//!     Err(refused) => eprintln!("{}", refused.error),
//! }
//! # }
//! ```
//!
//! # Limitations
//! - Kerberos is the only mechanism; NegoEx and NTLM are refused (NegoEx-first clients
//!   get Kerberos through a second leg).
//! - The acceptor never starts the negotiation (no NegTokenInit2 hints).
//!
//! [RFC 4178]: https://www.rfc-editor.org/rfc/rfc4178

mod error;
pub mod token;

use std::sync::Arc;

use crate::acceptor::Acceptor;
use crate::clock::{Clock, Timestamp};
use crate::token::{parse_initial_context_token, Mech};
use crate::wrap::MessageContext;

pub use error::SpnegoError;
pub use token::{NegState, NegTokenInit, NegTokenResp, NegotiationToken};

/// The acceptor's clock, shared with the contexts it establishes.
#[derive(Debug)]
struct AcceptorClock(Arc<Acceptor>);

impl Clock for AcceptorClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

/// Where the exchange stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the NegTokenInit (or a bare Kerberos token).
    Start,
    /// Mechanism chosen, waiting for its token in a NegTokenResp.
    AwaitMechToken,
    /// Context established, waiting for the initiator's mechListMIC.
    AwaitMic,
    /// Finished.
    Complete,
    /// Refused; no further token is taken.
    Failed,
}

/// What one step produced.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct Progress {
    /// The token to send back, if any (a NegTokenResp; an AP-REP for bare Kerberos).
    pub output_token: Option<Vec<u8>>,
    /// True when the exchange is finished and [`SpnegoExchange::context`] is final.
    pub complete: bool,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field(
                "output_token_len",
                &self.output_token.as_ref().map(Vec::len),
            )
            .field("complete", &self.complete)
            .finish()
    }
}

/// A refused step: why, and the token to send the client (a reject NegTokenResp,
/// with the KRB-ERROR inside when the acceptor made one).
#[derive(Debug)]
#[non_exhaustive]
pub struct SpnegoRejected {
    /// Why.
    pub error: SpnegoError,
    /// The token for the client, if any.
    pub output_token: Option<Vec<u8>>,
}

impl std::fmt::Display for SpnegoRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for SpnegoRejected {}

/// One SPNEGO negotiation on the acceptor side (sans-IO).
#[derive(Debug)]
pub struct SpnegoExchange {
    acceptor: Arc<Acceptor>,
    state: State,
    spnego: bool,
    mech_types_der: Vec<u8>,
    supported: Option<Mech>,
    first_reply_sent: bool,
    mic_required: bool,
    mic_sent: bool,
    mic_received: bool,
    context: Option<MessageContext>,
}

impl SpnegoExchange {
    /// A new exchange using `acceptor` for the Kerberos token and its clock.
    #[must_use]
    pub fn new(acceptor: Arc<Acceptor>) -> Self {
        Self {
            acceptor,
            state: State::Start,
            spnego: false,
            mech_types_der: Vec::new(),
            supported: None,
            first_reply_sent: false,
            mic_required: false,
            mic_sent: false,
            mic_received: false,
            context: None,
        }
    }

    /// True once the exchange finished successfully.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// True when the client spoke SPNEGO (false for a bare Kerberos token).
    #[must_use]
    pub fn is_spnego(&self) -> bool {
        self.spnego
    }

    /// The Kerberos OID echoed in supportedMech, once chosen.
    #[must_use]
    pub fn supported_mech(&self) -> Option<Mech> {
        self.supported
    }

    /// The established context: present once the Kerberos token was accepted, final
    /// when [`Self::is_complete`] (before that a mechListMIC may still be pending).
    #[must_use]
    pub fn context(&self) -> Option<&MessageContext> {
        self.context.as_ref()
    }

    /// The established context, only when the exchange is complete.
    #[must_use]
    pub fn into_context(self) -> Option<MessageContext> {
        if self.state == State::Complete {
            self.context
        } else {
            None
        }
    }

    /// Takes the next token from the client.
    ///
    /// # Errors
    /// [`SpnegoRejected`] with the reason and the reject token to send; after an
    /// error, or once complete, every further token is refused.
    pub fn step(&mut self, input: &[u8]) -> Result<Progress, SpnegoRejected> {
        let result = match self.state {
            State::Start => self.first(input),
            State::AwaitMechToken => self.mech_leg(input),
            State::AwaitMic => self.mic_leg(input),
            State::Complete => Err((
                SpnegoError::UnexpectedToken {
                    what: "a token after the negotiation completed",
                },
                None,
            )),
            State::Failed => Err((
                SpnegoError::UnexpectedToken {
                    what: "a token after the negotiation failed",
                },
                None,
            )),
        };
        result.map_err(|(error, output_token)| {
            tracing::debug!(code = %error.code_name(), token_len = input.len(), "SPNEGO refused");
            self.state = State::Failed;
            let output_token = match (self.spnego, output_token) {
                (true, t) => Some(self.reject_token(t.as_deref())),
                (false, t) => t,
            };
            SpnegoRejected {
                error,
                output_token,
            }
        })
    }

    fn reject_token(&self, inner: Option<&[u8]>) -> Vec<u8> {
        token::encode_resp(&NegTokenResp {
            neg_state: Some(NegState::Reject),
            supported_mech: None,
            response_token: inner,
            mech_list_mic: None,
        })
    }

    fn first(&mut self, input: &[u8]) -> Result<Progress, (SpnegoError, Option<Vec<u8>>)> {
        if token::is_raw_ntlmssp(input) {
            return Err((SpnegoError::NtlmOnly { raw: true }, None));
        }
        let framed = parse_initial_context_token(input).map_err(|e| (e.into(), None))?;
        if framed.mech != Mech::Spnego {
            // A bare Kerberos token: the acceptor's own reply, no SPNEGO.
            return match self.acceptor.accept(input) {
                Ok(done) => {
                    self.context = Some(self.message_context(done.context));
                    self.state = State::Complete;
                    Ok(Progress {
                        output_token: done.output_token,
                        complete: true,
                    })
                }
                Err(r) => Err((SpnegoError::Accept(r.error), r.output_token)),
            };
        }
        self.spnego = true;
        let init = token::parse_initial(input).map_err(|e| (e.into(), None))?;
        self.mech_types_der = init.mech_types_der.to_vec();

        // RFC 4178 3.2 (b): pick the first mechanism we support, in the client's order.
        let Some(chosen) = init.mech_types.iter().find_map(|o| token::kerberos_mech(o)) else {
            let error = if init.mech_types.iter().any(|o| token::is_ntlm_oid(o)) {
                SpnegoError::NtlmOnly { raw: false }
            } else {
                SpnegoError::no_common_mech(
                    init.mech_types
                        .iter()
                        .map(|o| crate::der::oid_to_dotted(o.get(..64).unwrap_or(o))),
                )
            };
            return Err((error, None));
        };
        self.supported = Some(chosen);
        let first_is_chosen = init
            .mech_types
            .first()
            .is_some_and(|o| token::kerberos_mech(o).is_some());

        // RFC 4178 5: a MIC is required when the client's first choice was not taken.
        self.mic_required = !first_is_chosen;
        match (first_is_chosen, init.mech_token) {
            (true, Some(tok)) => self.accept_mech_token(tok, init.mech_list_mic),
            _ => {
                // RFC 4178 3.2 (c)/(d): an optimistic token for another mechanism is
                // discarded; ask for Kerberos' token in the next leg.
                let state = if self.mic_required {
                    NegState::RequestMic
                } else {
                    NegState::AcceptIncomplete
                };
                self.state = State::AwaitMechToken;
                Ok(Progress {
                    output_token: Some(self.reply(state, None, None)),
                    complete: false,
                })
            }
        }
    }

    fn mech_leg(&mut self, input: &[u8]) -> Result<Progress, (SpnegoError, Option<Vec<u8>>)> {
        let resp = parse_resp(input)?;
        let Some(tok) = resp.response_token else {
            return Err((
                SpnegoError::UnexpectedToken {
                    what: "NegTokenResp without the Kerberos token (responseToken)",
                },
                None,
            ));
        };
        self.accept_mech_token(tok, resp.mech_list_mic)
    }

    fn mic_leg(&mut self, input: &[u8]) -> Result<Progress, (SpnegoError, Option<Vec<u8>>)> {
        let resp = parse_resp(input)?;
        if resp.response_token.is_some() {
            return Err((
                SpnegoError::UnexpectedToken {
                    what: "a mechanism token after the Kerberos context was established",
                },
                None,
            ));
        }
        let Some(mic) = resp.mech_list_mic else {
            return Err((SpnegoError::MicMissing, None));
        };
        self.verify_mic(mic)?;

        // RFC 4178 5: both MICs exchanged; ours went out with the previous reply, so
        // nothing more is sent (as MIT does).
        self.state = State::Complete;
        Ok(Progress {
            output_token: None,
            complete: true,
        })
    }

    fn accept_mech_token(
        &mut self,
        tok: &[u8],
        mic: Option<&[u8]>,
    ) -> Result<Progress, (SpnegoError, Option<Vec<u8>>)> {
        // A mechToken must be a Kerberos token, never a nested SPNEGO one.
        if let Ok(inner) = parse_initial_context_token(tok) {
            if !inner.mech.is_kerberos() {
                return Err((
                    SpnegoError::UnexpectedToken {
                        what: "the mechanism token is not a Kerberos token",
                    },
                    None,
                ));
            }
        }
        let done = self
            .acceptor
            .accept(tok)
            .map_err(|r| (SpnegoError::Accept(r.error), r.output_token))?;
        self.context = Some(self.message_context(done.context));
        let ap_rep = done.output_token;

        // RFC 4178 5: a MIC from the initiator is verified and makes ours required.
        if let Some(mic) = mic {
            self.verify_mic(mic)?;
        } else if self.mic_required && ap_rep.is_none() {
            // The initiator's last token had to carry its MIC.
            return Err((SpnegoError::MicMissing, None));
        }
        let mut our_mic = None;
        if self.mic_required && !self.mic_sent {
            our_mic = Some(self.make_mic()?);
        }

        let (state, complete) = if self.mic_required && !self.mic_received {
            self.state = State::AwaitMic;
            (NegState::AcceptIncomplete, false)
        } else {
            self.state = State::Complete;
            (NegState::AcceptCompleted, true)
        };
        Ok(Progress {
            output_token: Some(self.reply(state, ap_rep.as_deref(), our_mic.as_deref())),
            complete,
        })
    }

    fn verify_mic(&mut self, mic: &[u8]) -> Result<(), (SpnegoError, Option<Vec<u8>>)> {
        let Some(ctx) = self.context.as_mut() else {
            return Err((
                SpnegoError::UnexpectedToken {
                    what: "a mechListMIC before the Kerberos context was established",
                },
                None,
            ));
        };
        if self.mic_received {
            return Err((
                SpnegoError::UnexpectedToken {
                    what: "a second mechListMIC",
                },
                None,
            ));
        }
        ctx.verify_mic(&self.mech_types_der, mic)
            .map_err(|e| (SpnegoError::BadMic(e), None))?;
        self.mic_received = true;
        self.mic_required = true;
        Ok(())
    }

    fn make_mic(&mut self) -> Result<Vec<u8>, (SpnegoError, Option<Vec<u8>>)> {
        let Some(ctx) = self.context.as_mut() else {
            return Err((
                SpnegoError::UnexpectedToken {
                    what: "no context to make a mechListMIC with",
                },
                None,
            ));
        };
        let mic = ctx
            .get_mic(&self.mech_types_der)
            .map_err(|e| (SpnegoError::MicFailed(e), None))?;
        self.mic_sent = true;
        Ok(mic)
    }

    fn message_context(&self, ctx: crate::context::SecurityContext) -> MessageContext {
        ctx.into_message_context(Arc::new(AcceptorClock(Arc::clone(&self.acceptor))))
    }

    /// A NegTokenResp; supportedMech only in the first reply (RFC 4178 4.2.2).
    fn reply(&mut self, state: NegState, response: Option<&[u8]>, mic: Option<&[u8]>) -> Vec<u8> {
        let supported = if self.first_reply_sent {
            None
        } else {
            self.supported.map(Mech::oid)
        };
        self.first_reply_sent = true;
        token::encode_resp(&NegTokenResp {
            neg_state: Some(state),
            supported_mech: supported,
            response_token: response,
            mech_list_mic: mic,
        })
    }
}

fn parse_resp(input: &[u8]) -> Result<NegTokenResp<'_>, (SpnegoError, Option<Vec<u8>>)> {
    match token::parse_negotiation_token(input) {
        Ok(NegotiationToken::Resp(r)) => Ok(r),
        Ok(NegotiationToken::Init(_)) => Err((
            SpnegoError::UnexpectedToken {
                what: "a second NegTokenInit where a NegTokenResp was expected",
            },
            None,
        )),
        Err(e) => Err((e.into(), None)),
    }
}
