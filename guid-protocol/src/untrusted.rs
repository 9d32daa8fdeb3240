//! What an agent sends, before anything in it has been checked.
//!
//! These types can be built by anyone (decoders, tests, fuzzers) but their contents can be read
//! only inside this crate, by [`crate::sanitize`]: code elsewhere never sees raw agent input.

use crate::codec::{self, DecodeError, DecodeLimits, Header};
use crate::msg::{Message, MsgType, Version};

/// One decoded agent→daemon message: its length matches its type, and nothing else is known.
#[derive(Clone, Debug)]
pub struct UntrustedMessage {
    pub(crate) window: u32,
    pub(crate) message: Message,
}

impl UntrustedMessage {
    pub fn new(window: u32, message: Message) -> Self {
        UntrustedMessage { window, message }
    }

    /// Decodes one message from its header and whole body.
    pub fn decode(
        header: &Header,
        body: &[u8],
        limits: &DecodeLimits,
    ) -> Result<Self, DecodeError> {
        codec::decode(header, body, limits).map(|message| UntrustedMessage {
            window: header.window,
            message,
        })
    }

    /// The message's type, which is safe to log.
    pub fn msg_type(&self) -> MsgType {
        self.message.msg_type()
    }
}

/// The version word an agent opens with.
#[derive(Clone, Copy, Debug)]
pub struct UntrustedVersion(pub(crate) u32);

impl UntrustedVersion {
    pub fn new(word: u32) -> Self {
        UntrustedVersion(word)
    }

    pub(crate) fn claimed(self) -> Version {
        Version::from_word(self.0)
    }
}
