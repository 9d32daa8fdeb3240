//! The agent's side of the connection, without I/O: the mirror image of [`crate::daemon`].
//!
//! The agent trusts the daemon, but still parses it with the same bounded framer, so a broken
//! daemon gives an error rather than a panic.

use crate::codec::{self, DecodeError, DecodeLimits, Framer};
use crate::msg::*;
use crate::outgoing::Outgoing;

#[derive(Debug, PartialEq, Eq)]
pub enum AgentEvent {
    /// The daemon accepted the handshake.
    Connected { version: Version, xconf: XConf },
    /// A message from the daemon for `window` (0 for none).
    Message { window: u32, message: Message },
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("the daemon answered with version {answered}, which we did not offer")]
    BadVersion { answered: Version },
    #[error("{0} is not sent by a daemon")]
    NotFromDaemon(MsgType),
    #[error("{0} is not sent by an agent")]
    NotFromAgent(MsgType),
    #[error("clipboard data of {bytes} bytes, more than protocol {version} takes ({max})")]
    ClipboardTooLong {
        bytes: usize,
        max: usize,
        version: Version,
    },
    #[error("the connection already failed")]
    AlreadyFailed,
}

/// Bytes of the daemon's greeting: the version word and xconf.
const GREETING_LEN: usize = 4 + XConf::LEN;

#[derive(Debug)]
enum Phase {
    Greeting {
        bytes: [u8; GREETING_LEN],
        have: usize,
    },
    Running,
    Failed,
}

/// One agent's connection to the daemon.
#[derive(Debug)]
pub struct AgentConnection {
    offered: Version,
    negotiated: Option<Version>,
    phase: Phase,
    framer: Framer,
    outgoing: Outgoing,
}

impl AgentConnection {
    /// A connection offering `version`; its version word is the first outgoing bytes (the
    /// transport attaches the pool descriptor to them).
    pub fn new(offered: Version) -> Self {
        let mut outgoing = Outgoing::default();
        outgoing
            .buffer()
            .extend_from_slice(&offered.to_word().to_le_bytes());
        AgentConnection {
            offered,
            negotiated: None,
            phase: Phase::Greeting {
                bytes: [0; GREETING_LEN],
                have: 0,
            },
            framer: Framer::new(),
            outgoing,
        }
    }

    pub fn version(&self) -> Option<Version> {
        self.negotiated
    }

    pub fn outgoing(&mut self) -> &mut Outgoing {
        &mut self.outgoing
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.outgoing.len()
    }

    /// The largest clipboard the daemon takes, and sends, at the negotiated version (the offered
    /// one until the daemon answers).
    pub fn max_clipboard(&self) -> usize {
        self.negotiated.unwrap_or(self.offered).max_clipboard()
    }

    /// Queues a message for the daemon.
    pub fn send(&mut self, window: u32, message: &Message) -> Result<(), AgentError> {
        let msg_type = message.msg_type();
        if !matches!(msg_type.direction(), Direction::ToDaemon | Direction::Both) {
            return Err(AgentError::NotFromAgent(msg_type));
        }
        if let Message::ClipboardData(data) = message {
            if data.len() > self.max_clipboard() {
                return Err(AgentError::ClipboardTooLong {
                    bytes: data.len(),
                    max: self.max_clipboard(),
                    version: self.negotiated.unwrap_or(self.offered),
                });
            }
        }
        codec::encode(window, message, self.outgoing.buffer());
        Ok(())
    }

    /// Consumes bytes until one event is ready or `input` is used up.
    pub fn receive(&mut self, input: &mut &[u8]) -> Result<Option<AgentEvent>, AgentError> {
        let result = self.receive_one(input);
        if result.is_err() {
            self.phase = Phase::Failed;
        }
        result
    }

    fn receive_one(&mut self, input: &mut &[u8]) -> Result<Option<AgentEvent>, AgentError> {
        match &mut self.phase {
            Phase::Failed => Err(AgentError::AlreadyFailed),
            Phase::Greeting { bytes, have } => {
                if !codec::fill_fixed(bytes, have, input) {
                    return Ok(None);
                }
                let (word, xconf) = bytes.split_first_chunk::<4>().unwrap_or((&[0; 4], &[]));
                let answered = Version::from_word(u32::from_le_bytes(*word));
                let xconf = xconf
                    .first_chunk::<{ XConf::LEN }>()
                    .map(XConf::decode)
                    .unwrap_or(XConf::for_output(0, 0));
                if answered.major != self.offered.major || answered.minor > self.offered.minor {
                    return Err(AgentError::BadVersion { answered });
                }
                self.negotiated = Some(answered);
                self.phase = Phase::Running;
                Ok(Some(AgentEvent::Connected {
                    version: answered,
                    xconf,
                }))
            }
            Phase::Running => {
                // An older daemon sends no more than its version allows, as we do.
                let limits = DecodeLimits::for_version(self.negotiated.unwrap_or(self.offered));
                let Some((header, message)) = self.framer.next_message(input, &limits)? else {
                    return Ok(None);
                };
                let msg_type = message.msg_type();
                if !matches!(msg_type.direction(), Direction::ToAgent | Direction::Both) {
                    return Err(AgentError::NotFromDaemon(msg_type));
                }
                Ok(Some(AgentEvent::Message {
                    window: header.window,
                    message,
                }))
            }
        }
    }
}
