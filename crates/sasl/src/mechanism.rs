//! The RFC 4752 server state machine: context establishment, then the
//! security-layer negotiation (section 3.1).

use std::fmt;
use std::sync::Arc;

use kerbgate::{Acceptor, Clock, MessageContext, Principal};

use crate::error::SaslError;
use crate::layer::SecurityLayer;

/// Most empty responses accepted before the first context token.
const MAX_EMPTY_RESPONSES: u32 = 2;

/// Largest maximum buffer size a 3-octet field can carry.
pub const MAX_BUFFER_LIMIT: u32 = 0x00ff_ffff;

/// Longest authorization identity accepted, in octets.
pub const MAX_AUTHZID_LEN: usize = 1024;

/// One security layer of RFC 4752 3.1, as its bit in the negotiation bitmask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// No security layer (bit 1).
    None,
    /// Integrity protection (bit 2).
    Integrity,
    /// Confidentiality protection (bit 4).
    Confidentiality,
}

impl Layer {
    /// The layer's bit in the negotiation octet.
    #[must_use]
    pub fn bit(self) -> u8 {
        match self {
            Layer::None => 1,
            Layer::Integrity => 2,
            Layer::Confidentiality => 4,
        }
    }

    fn from_bit(bit: u8) -> Option<Self> {
        match bit {
            1 => Some(Layer::None),
            2 => Some(Layer::Integrity),
            4 => Some(Layer::Confidentiality),
            _ => None,
        }
    }

    /// Parses `none`, `integrity` or `confidentiality` (also `auth`, `auth-int`,
    /// `auth-conf`).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" | "auth" => Some(Layer::None),
            "integrity" | "auth-int" => Some(Layer::Integrity),
            "confidentiality" | "auth-conf" => Some(Layer::Confidentiality),
            _ => None,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::None => "none",
            Layer::Integrity => "integrity",
            Layer::Confidentiality => "confidentiality",
        })
    }
}

/// Server configuration: which layers to offer and our maximum buffer size.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    layers: u8,
    max_buffer: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            layers: Layer::None.bit() | Layer::Integrity.bit() | Layer::Confidentiality.bit(),
            max_buffer: 65536,
        }
    }
}

impl ServerConfig {
    /// Offers exactly `layers` and receives frames up to `max_buffer` octets.
    ///
    /// # Errors
    /// [`SaslError::Config`] when `layers` is empty, or a protecting layer is offered
    /// with `max_buffer` 0 or above 2^24 - 1.
    pub fn new(layers: &[Layer], max_buffer: u32) -> Result<Self, SaslError> {
        let mask = layers.iter().fold(0u8, |m, l| m | l.bit());
        if mask == 0 {
            return Err(SaslError::Config {
                reason: "no security layer offered".into(),
            });
        }
        let protecting = mask & !Layer::None.bit() != 0;
        if protecting && (max_buffer == 0 || max_buffer > MAX_BUFFER_LIMIT) {
            return Err(SaslError::Config {
                reason: format!("maximum buffer size {max_buffer} not in 1..=16777215"),
            });
        }
        Ok(Self {
            layers: mask,
            max_buffer,
        })
    }

    /// The offered layers' bitmask.
    #[must_use]
    pub fn layer_mask(&self) -> u8 {
        self.layers
    }

    /// The maximum buffer size we announce: 0 when only "no layer" is offered
    /// (RFC 4752 3.1).
    #[must_use]
    pub fn announced_max_buffer(&self) -> u32 {
        if self.layers == Layer::None.bit() {
            0
        } else {
            self.max_buffer
        }
    }
}

/// What one call to [`GssapiServer::step`] produced.
#[derive(Debug)]
#[non_exhaustive]
pub enum Step {
    /// Send this challenge (possibly empty) and feed the next client response.
    Challenge(Vec<u8>),
    /// The exchange succeeded; authorization is the caller's next step.
    Done(Box<Negotiated>),
}

/// The result of a completed exchange, before authorization.
#[non_exhaustive]
pub struct Negotiated {
    /// The authenticated client principal.
    pub client: Principal,
    /// The service principal the client's ticket named.
    pub service: Principal,
    /// The authorization identity: empty when the client sent none or named its own
    /// principal (`name@REALM`); one trailing NUL is dropped.
    pub authzid: String,
    /// The chosen layer.
    pub layer: Layer,
    /// Per-message protection for the rest of the session; `None` for [`Layer::None`].
    pub security: Option<SecurityLayer>,
    /// The ticket's verified PAC (MS-PAC), for group rules ([`crate::Policy::authorize_negotiated`]).
    pub pac: Option<kerbgate::Pac>,
}

impl fmt::Debug for Negotiated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Negotiated")
            .field("client", &self.client.to_string())
            .field("authzid", &self.authzid)
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

enum State {
    AwaitToken { empties: u32 },
    AwaitEmpty(Box<MessageContext>),
    AwaitReply(Box<MessageContext>),
    Finished,
}

/// The server side of one SASL GSSAPI exchange (RFC 4752), sans-IO.
///
/// Feed each client response (the initial response too, or an empty one when the
/// protocol had none) to [`GssapiServer::step`] and send back each challenge until it
/// returns [`Step::Done`] or an error; any error ends the exchange.
pub struct GssapiServer {
    acceptor: Arc<Acceptor>,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    state: State,
}

impl fmt::Debug for GssapiServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::AwaitToken { .. } => "await-token",
            State::AwaitEmpty(_) => "await-empty",
            State::AwaitReply(_) => "await-reply",
            State::Finished => "finished",
        };
        f.debug_struct("GssapiServer")
            .field("config", &self.config)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl GssapiServer {
    /// Starts an exchange; `clock` judges context expiry for the per-message tokens.
    pub fn new(acceptor: Arc<Acceptor>, clock: Arc<dyn Clock>, config: ServerConfig) -> Self {
        Self {
            acceptor,
            clock,
            config,
            state: State::AwaitToken { empties: 0 },
        }
    }

    /// The initiator's view of the established context, for tests, fuzzing and
    /// loopback checks (see [`MessageContext::initiator_mirror`]); `None` before the
    /// context exists or after the exchange ended.
    #[must_use]
    pub fn initiator_mirror(&self) -> Option<kerbgate::wrap::InitiatorMirror> {
        match &self.state {
            State::AwaitEmpty(m) | State::AwaitReply(m) => Some(m.initiator_mirror()),
            State::AwaitToken { .. } | State::Finished => None,
        }
    }

    /// Feeds one client response.
    ///
    /// # Errors
    /// Any [`SaslError`] naming the failed check; the exchange is then finished.
    pub fn step(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        let state = std::mem::replace(&mut self.state, State::Finished);
        let (next, out) = match self.advance(state, response) {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(error = %e, "sasl gssapi exchange failed");
                return Err(e);
            }
        };
        self.state = next;
        Ok(out)
    }

    fn advance(&self, state: State, response: &[u8]) -> Result<(State, Step), SaslError> {
        match state {
            State::AwaitToken { empties } => {
                // RFC 4422 5: without an initial response the first challenge is empty;
                // tolerate a client that answers it with an empty response.
                if response.is_empty() {
                    let empties = empties.saturating_add(1);
                    if empties > MAX_EMPTY_RESPONSES {
                        return Err(SaslError::TooManyEmptyResponses { count: empties });
                    }
                    return Ok((State::AwaitToken { empties }, Step::Challenge(Vec::new())));
                }
                let accepted = self
                    .acceptor
                    .accept(response)
                    .map_err(|r| SaslError::ContextRefused { source: r.error })?;
                tracing::debug!(
                    principal = %accepted.context.client(),
                    mutual = accepted.output_token.is_some(),
                    "gssapi context established"
                );
                let msgs = Box::new(
                    accepted
                        .context
                        .into_message_context(Arc::clone(&self.clock)),
                );
                match accepted.output_token {
                    // RFC 4752 3.1: the AP-REP goes out; the client answers with an
                    // empty response before the server's offer.
                    Some(token) => Ok((State::AwaitEmpty(msgs), Step::Challenge(token))),
                    None => self.offer(msgs),
                }
            }
            State::AwaitEmpty(msgs) => {
                // RFC 4752 3.1: the client's context is complete, its response is empty.
                if !response.is_empty() {
                    return Err(SaslError::UnexpectedResponse {
                        state: "awaiting the empty response after the AP-REP",
                        len: response.len(),
                    });
                }
                self.offer(msgs)
            }
            State::AwaitReply(msgs) => self.reply(msgs, response),
            State::Finished => Err(SaslError::Finished),
        }
    }

    /// RFC 4752 3.1: wrap (without confidentiality) the layer bitmask and our maximum
    /// buffer size.
    fn offer(&self, mut msgs: Box<MessageContext>) -> Result<(State, Step), SaslError> {
        let size = self.config.announced_max_buffer().to_be_bytes();
        let [_, a, b, c] = size;
        let offer = [self.config.layers, a, b, c];
        let token = msgs.wrap(&offer, false).map_err(|source| SaslError::Wrap {
            what: "the security-layer offer",
            source,
        })?;
        tracing::trace!(
            layers = self.config.layers,
            max_buffer = self.config.announced_max_buffer(),
            "security-layer offer"
        );
        Ok((State::AwaitReply(msgs), Step::Challenge(token)))
    }

    fn reply(
        &self,
        mut msgs: Box<MessageContext>,
        response: &[u8],
    ) -> Result<(State, Step), SaslError> {
        let opened = msgs.unwrap(response).map_err(|source| SaslError::Unwrap {
            what: "the security-layer reply",
            source,
        })?;
        let mut reply = parse_reply(&opened.data, self.config.layers)?;

        let client = msgs.context().client().clone();
        let service = msgs.context().service().clone();

        // An authzid naming the authenticated principal itself (`name@REALM`, MIT's
        // unparsed form) asks for that principal's own identity, as if empty; Dovecot
        // compares the two as GSS names and treats them the same way.
        if reply.authzid == client.to_string() {
            reply.authzid.clear();
        }
        let pac = msgs.context().pac().cloned();
        tracing::debug!(
            principal = %client,
            authzid = %reply.authzid,
            layer = %reply.layer,
            "sasl gssapi negotiation complete"
        );
        let security = match reply.layer {
            Layer::None => None,
            layer => Some(SecurityLayer::new(
                *msgs,
                layer == Layer::Confidentiality,
                self.config.max_buffer,
                reply.max_buffer,
            )),
        };
        let done = Negotiated {
            client,
            service,
            authzid: reply.authzid,
            layer: reply.layer,
            security,
            pac,
        };
        Ok((State::Finished, Step::Done(Box::new(done))))
    }
}

/// The client's unwrapped security-layer reply.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) layer: Layer,
    pub(crate) max_buffer: u32,
    pub(crate) authzid: String,
}

/// Checks the client's reply against the offered bitmask (RFC 4752 3.1).
pub(crate) fn parse_reply(data: &[u8], offered: u8) -> Result<Reply, SaslError> {
    let Some(([mask, a, b, c], rest)) = data.split_first_chunk::<4>() else {
        return Err(SaslError::ReplyTooShort { len: data.len() });
    };

    // RFC 4752 3.1: exactly one of the offered layers.
    let Some(layer) = Layer::from_bit(*mask) else {
        return Err(SaslError::NotExactlyOneLayer { mask: *mask });
    };
    if offered & mask == 0 {
        return Err(SaslError::LayerNotOffered {
            chosen: *mask,
            offered,
        });
    }

    // RFC 4752 3.1: the size is 0 without a layer; a layer needs room for a frame.
    let max_buffer = u32::from_be_bytes([0, *a, *b, *c]);
    if (layer == Layer::None) != (max_buffer == 0) {
        return Err(SaslError::ImpossibleSize {
            layer: *mask,
            size: max_buffer,
        });
    }

    // One trailing NUL is dropped, as Dovecot does for clients that send C strings.
    let rest = rest.strip_suffix(&[0]).unwrap_or(rest);

    // RFC 4752 3.1: the authorization identity is UTF-8 (RFC 4422 3.4.1: no NUL).
    if rest.len() > MAX_AUTHZID_LEN || rest.contains(&0) {
        return Err(SaslError::AuthzidNotUtf8 { len: rest.len() });
    }
    let authzid = std::str::from_utf8(rest)
        .map_err(|_| SaslError::AuthzidNotUtf8 { len: rest.len() })?
        .to_owned();
    Ok(Reply {
        layer,
        max_buffer,
        authzid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u8 = 7;

    #[test]
    fn accepts_each_single_offered_layer() {
        let r = parse_reply(&[1, 0, 0, 0], ALL).unwrap();
        assert_eq!(
            (r.layer, r.max_buffer, r.authzid.as_str()),
            (Layer::None, 0, "")
        );
        let r = parse_reply(&[2, 0, 1, 0, b'b', b'o', b'b'], ALL).unwrap();
        assert_eq!(
            (r.layer, r.max_buffer, r.authzid.as_str()),
            (Layer::Integrity, 256, "bob")
        );
        let r = parse_reply(&[4, 0xff, 0xff, 0xff], ALL).unwrap();
        assert_eq!(
            (r.layer, r.max_buffer),
            (Layer::Confidentiality, MAX_BUFFER_LIMIT)
        );
        let r = parse_reply("\u{1}\0\0\0jürgen".as_bytes(), 1).unwrap();
        assert_eq!(r.authzid, "jürgen");
    }

    #[test]
    fn rejects_short_reply() {
        for len in 0..4 {
            let data = [1u8, 0, 0, 0];
            let e = parse_reply(data.get(..len).unwrap(), ALL).unwrap_err();
            assert!(
                matches!(e, SaslError::ReplyTooShort { len: l } if l == len),
                "{len}"
            );
        }
    }

    #[test]
    fn rejects_several_or_no_layers() {
        for mask in [0u8, 3, 5, 6, 7, 8, 0x80, 0xff] {
            let e = parse_reply(&[mask, 0, 1, 0], ALL).unwrap_err();
            assert!(
                matches!(e, SaslError::NotExactlyOneLayer { mask: m } if m == mask),
                "{mask}"
            );
        }
    }

    #[test]
    fn rejects_layer_not_offered() {
        let e = parse_reply(&[4, 0, 1, 0], 1 | 2).unwrap_err();
        assert!(matches!(
            e,
            SaslError::LayerNotOffered {
                chosen: 4,
                offered: 3
            }
        ));
        let e = parse_reply(&[1, 0, 0, 0], 4).unwrap_err();
        assert!(matches!(
            e,
            SaslError::LayerNotOffered {
                chosen: 1,
                offered: 4
            }
        ));
    }

    #[test]
    fn rejects_impossible_sizes() {
        let e = parse_reply(&[1, 0, 0, 1], ALL).unwrap_err();
        assert!(matches!(e, SaslError::ImpossibleSize { layer: 1, size: 1 }));
        let e = parse_reply(&[2, 0, 0, 0], ALL).unwrap_err();
        assert!(matches!(e, SaslError::ImpossibleSize { layer: 2, size: 0 }));
        let e = parse_reply(&[4, 0, 0, 0], ALL).unwrap_err();
        assert!(matches!(e, SaslError::ImpossibleSize { layer: 4, size: 0 }));
    }

    #[test]
    fn drops_one_trailing_nul_as_dovecot_does() {
        let r = parse_reply(&[1, 0, 0, 0, b'b', b'o', b'b', 0], ALL).unwrap();
        assert_eq!(r.authzid, "bob");
        let r = parse_reply(&[1, 0, 0, 0, 0], ALL).unwrap();
        assert_eq!(r.authzid, "");
    }

    #[test]
    fn rejects_bad_authzid() {
        let e = parse_reply(&[1, 0, 0, 0, 0xff, 0xfe], ALL).unwrap_err();
        assert!(matches!(e, SaslError::AuthzidNotUtf8 { len: 2 }));
        let e = parse_reply(&[1, 0, 0, 0, b'a', 0, b'b'], ALL).unwrap_err();
        assert!(matches!(e, SaslError::AuthzidNotUtf8 { len: 3 }));
        let e = parse_reply(&[1, 0, 0, 0, b'a', 0, 0], ALL).unwrap_err();
        assert!(matches!(e, SaslError::AuthzidNotUtf8 { len: 2 }));
        let mut long = vec![1u8, 0, 0, 0];
        long.resize(4 + MAX_AUTHZID_LEN + 1, b'a');
        assert!(matches!(
            parse_reply(&long, ALL),
            Err(SaslError::AuthzidNotUtf8 { .. })
        ));
    }

    #[test]
    fn config_announces_zero_for_no_layer_only() {
        let c = ServerConfig::new(&[Layer::None], 4096).unwrap();
        assert_eq!((c.layer_mask(), c.announced_max_buffer()), (1, 0));
        let c = ServerConfig::new(&[Layer::None, Layer::Confidentiality], 4096).unwrap();
        assert_eq!((c.layer_mask(), c.announced_max_buffer()), (5, 4096));
        assert!(ServerConfig::new(&[], 4096).is_err());
        assert!(ServerConfig::new(&[Layer::Integrity], 0).is_err());
        assert!(ServerConfig::new(&[Layer::Integrity], MAX_BUFFER_LIMIT + 1).is_err());
    }
}
