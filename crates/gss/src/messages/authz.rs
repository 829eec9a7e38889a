//! AuthorizationData (RFC 4120 5.2.6), AD-IF-RELEVANT nesting (5.2.6.1)
//! and KERB-AD-ENCTYPE-NEGOTIATION (RFC 4537).

use std::fmt;

use crate::consts::ad_type;
use crate::der::{DecodeError, DecodeErrorKind, Reader};
use crate::messages::common::{Element, SeqOf, SeqOfIter};

/// Most AuthorizationData elements in one message, counted through nesting.
pub const MAX_AD_ELEMENTS: usize = 1024;
/// Deepest AD-IF-RELEVANT nesting accepted.
pub const MAX_AD_DEPTH: u8 = 8;
/// Most enctypes in one AD-ETYPE-NEGOTIATION list.
pub const MAX_ETYPES: usize = 64;

/// One AuthorizationData element. Debug shows the data length only.
#[derive(Clone, Copy)]
pub struct AdElement<'a> {
    /// ad-type (see [`crate::consts::ad_type`]).
    pub ad_type: i32,
    /// ad-data: the element's encoding.
    pub ad_data: &'a [u8],
    /// Reader positioned at ad-data, for nested decoding with offsets.
    at: Reader<'a>,
}

impl<'a> Element<'a> for AdElement<'a> {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut s = r.read_sequence("AuthorizationData element")?;
        let ad_type = s.explicit(0, "ad-type", |r| r.read_i32("ad-type"))?;
        let (ad_data, at) = s.explicit(1, "ad-data", |r| {
            let tlv = r.expect(crate::der::TAG_OCTET_STRING, "ad-data")?;
            Ok((tlv.value, r.enter(&tlv)?))
        })?;
        s.skip_extensions(1, "AuthorizationData element")?;
        Ok(Self {
            ad_type,
            ad_data,
            at,
        })
    }
}

impl<'a> AdElement<'a> {
    /// For AD-IF-RELEVANT (type 1): the nested AuthorizationData.
    ///
    /// # Errors
    /// When the element is of another type or its data is malformed.
    pub fn if_relevant(&self) -> Result<AuthorizationData<'a>, DecodeError> {
        self.expect_type(ad_type::IF_RELEVANT)?;
        let mut r = self.at;
        let ad = AuthorizationData::decode(&mut r)?;
        r.finish("AD-IF-RELEVANT")?;
        Ok(ad)
    }

    /// For AD-ETYPE-NEGOTIATION (type 129, RFC 4537): the client's enctype
    /// list, strongest first.
    ///
    /// # Errors
    /// When the element is of another type or its data is malformed.
    pub fn etype_negotiation(&self) -> Result<SeqOf<'a, i32>, DecodeError> {
        self.expect_type(ad_type::ETYPE_NEGOTIATION)?;
        let mut r = self.at;
        let list = SeqOf::decode(&mut r, "EtypeList", MAX_ETYPES)?;
        r.finish("EtypeList")?;
        Ok(list)
    }

    fn expect_type(&self, expected: i32) -> Result<(), DecodeError> {
        if self.ad_type == expected {
            return Ok(());
        }
        Err(self.at.error(DecodeErrorKind::BadValue {
            field: "ad-type",
            expected: i64::from(expected),
            found: i64::from(self.ad_type),
        }))
    }
}

impl PartialEq for AdElement<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.ad_type == other.ad_type && self.ad_data == other.ad_data
    }
}

impl fmt::Debug for AdElement<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdElement")
            .field("ad_type", &self.ad_type)
            .field("len", &self.ad_data.len())
            .finish()
    }
}

/// AuthorizationData, with every AD-IF-RELEVANT level validated up to
/// [`MAX_AD_DEPTH`] and at most [`MAX_AD_ELEMENTS`] elements in total.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AuthorizationData<'a> {
    elements: SeqOf<'a, AdElement<'a>>,
}

impl<'a> AuthorizationData<'a> {
    /// Reads AuthorizationData and validates its AD-IF-RELEVANT nesting.
    ///
    /// # Errors
    /// When malformed, nested too deep or too many elements.
    pub fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut count = 0usize;
        Self::decode_nested(r, 0, &mut count)
    }

    fn decode_nested(
        r: &mut Reader<'a>,
        depth: u8,
        count: &mut usize,
    ) -> Result<Self, DecodeError> {
        let inner = r.read_sequence("AuthorizationData")?;

        // One pass: check each element, count it against the cap shared by
        // every level, and open AD-IF-RELEVANT (RFC 4120 5.2.6.1) right away.
        let mut walk = inner;
        let mut len = 0usize;
        while !walk.is_empty() {
            if *count >= MAX_AD_ELEMENTS {
                return Err(walk.error(DecodeErrorKind::TooMany {
                    field: "AuthorizationData",
                    limit: MAX_AD_ELEMENTS,
                }));
            }
            let el = AdElement::decode(&mut walk)?;
            *count += 1;
            len += 1;
            if el.ad_type == ad_type::IF_RELEVANT {
                if depth >= MAX_AD_DEPTH {
                    return Err(el.at.error(DecodeErrorKind::TooDeep {
                        limit: MAX_AD_DEPTH,
                    }));
                }
                let mut nested = el.at;
                Self::decode_nested(&mut nested, depth + 1, count)?;
                nested.finish("AD-IF-RELEVANT")?;
            }
        }
        Ok(Self {
            elements: SeqOf::validated(inner, len),
        })
    }

    /// The top-level elements.
    #[must_use]
    pub fn iter(&self) -> SeqOfIter<'a, AdElement<'a>> {
        self.elements.iter()
    }

    /// Number of top-level elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// All elements with AD-IF-RELEVANT containers opened, depth first.
    /// Each item carries the number of AD-IF-RELEVANT levels around it.
    #[must_use]
    pub fn flatten(&self) -> Flatten<'a> {
        let mut stack: [Option<SeqOfIter<'a, AdElement<'a>>>; MAX_AD_DEPTH as usize + 1] =
            Default::default();
        stack[0] = Some(self.elements.iter());
        Flatten { stack, top: 0 }
    }

    /// The first element of `ad_type`, looking inside AD-IF-RELEVANT.
    #[must_use]
    pub fn find(&self, ad_type: i32) -> Option<AdElement<'a>> {
        self.flatten()
            .map(|(e, _)| e)
            .find(|e| e.ad_type == ad_type)
    }
}

/// Depth-first iterator from [`AuthorizationData::flatten`].
pub struct Flatten<'a> {
    stack: [Option<SeqOfIter<'a, AdElement<'a>>>; MAX_AD_DEPTH as usize + 1],
    top: usize,
}

impl<'a> Iterator for Flatten<'a> {
    type Item = (AdElement<'a>, u8);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let level = self.stack.get_mut(self.top)?;
            let Some(el) = level.as_mut().and_then(Iterator::next) else {
                *level = None;
                self.top = self.top.checked_sub(1)?;
                continue;
            };
            if el.ad_type != ad_type::IF_RELEVANT {
                return Some((el, u8::try_from(self.top).unwrap_or(u8::MAX)));
            }
            // Validated at decode time, including the depth bound, so only
            // the SEQUENCE header is read here.
            let mut at = el.at;
            let Ok(nested) = at.read_sequence("AuthorizationData") else {
                continue;
            };
            if let Some(slot) = self.stack.get_mut(self.top + 1) {
                *slot = Some(SeqOfIter::over_validated(nested));
                self.top += 1;
            }
        }
    }
}
