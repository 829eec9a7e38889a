//! The negotiated security layer (RFC 4752 3.1, RFC 4422 3.7): every buffer is a
//! GSS Wrap token preceded by its length as 4 octets, big-endian.

use std::fmt;

use kerbgate::MessageContext;

use crate::error::SaslError;

/// Per-message protection after a successful exchange with a layer.
pub struct SecurityLayer {
    msgs: MessageContext,
    conf: bool,
    /// Longest frame body we accept (what we announced).
    our_max: usize,
    /// Longest frame body the peer accepts (what it announced).
    peer_max: usize,
}

impl fmt::Debug for SecurityLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityLayer")
            .field("conf", &self.conf)
            .field("our_max", &self.our_max)
            .field("peer_max", &self.peer_max)
            .finish_non_exhaustive()
    }
}

impl SecurityLayer {
    pub(crate) fn new(msgs: MessageContext, conf: bool, our_max: u32, peer_max: u32) -> Self {
        Self {
            msgs,
            conf,
            our_max: usize::try_from(our_max).unwrap_or(usize::MAX),
            peer_max: usize::try_from(peer_max).unwrap_or(usize::MAX),
        }
    }

    /// Whether buffers are encrypted (confidentiality) or only integrity protected.
    #[must_use]
    pub fn confidential(&self) -> bool {
        self.conf
    }

    /// The largest plaintext one frame to the peer can carry.
    #[must_use]
    pub fn max_plaintext(&self) -> usize {
        self.msgs.wrap_size_limit(self.peer_max, self.conf)
    }

    /// The underlying message context (peer principal, flags).
    #[must_use]
    pub fn message_context(&self) -> &MessageContext {
        &self.msgs
    }

    /// Protects `data` as one or more frames (length prefix plus Wrap token), each
    /// within the peer's maximum buffer size.
    ///
    /// # Errors
    /// [`SaslError::MessageTooLarge`] when not even one octet fits the peer's size;
    /// [`SaslError::Wrap`].
    pub fn wrap(&mut self, data: &[u8]) -> Result<Vec<u8>, SaslError> {
        let max = self.max_plaintext();
        if max == 0 {
            return Err(SaslError::MessageTooLarge {
                len: data.len(),
                max,
            });
        }
        let mut out = Vec::new();
        for chunk in data.chunks(max) {
            let token = self
                .msgs
                .wrap(chunk, self.conf)
                .map_err(|source| SaslError::Wrap {
                    what: "an application buffer",
                    source,
                })?;

            // RFC 4752 3.1: the wrapped buffer must fit the peer's maximum size.
            if token.len() > self.peer_max {
                return Err(SaslError::MessageTooLarge {
                    len: chunk.len(),
                    max,
                });
            }
            let len = u32::try_from(token.len()).map_err(|_| SaslError::MessageTooLarge {
                len: chunk.len(),
                max,
            })?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&token);
        }
        Ok(out)
    }

    /// Takes one complete frame off the front of `buf` and unwraps it; `Ok(None)` when
    /// `buf` does not yet hold a whole frame.
    ///
    /// # Errors
    /// [`SaslError::FrameTooLarge`] as soon as the length prefix exceeds our maximum
    /// buffer size (before the body arrives); [`SaslError::Unwrap`]; an integrity-only
    /// token where confidentiality was negotiated is
    /// [`SaslError::NotConfidential`].
    pub fn unwrap(&mut self, buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, SaslError> {
        let Some((len, rest)) = buf.split_first_chunk::<4>() else {
            return Ok(None);
        };
        let len = usize::try_from(u32::from_be_bytes(*len)).unwrap_or(usize::MAX);

        // RFC 4752 3.1: never accept more than we announced.
        if len > self.our_max {
            return Err(SaslError::FrameTooLarge {
                len,
                max: self.our_max,
            });
        }
        let Some(token) = rest.get(..len) else {
            return Ok(None);
        };
        let opened = self
            .msgs
            .unwrap(token)
            .map_err(|source| SaslError::Unwrap {
                what: "a protected buffer",
                source,
            })?;
        if self.conf && !opened.conf {
            return Err(SaslError::NotConfidential);
        }
        buf.drain(..len.saturating_add(4));
        Ok(Some(opened.data))
    }
}
