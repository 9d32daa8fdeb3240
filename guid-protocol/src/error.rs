//! The errors that end a qube's connection. Each names the rule of spec §4 that was broken.

use crate::codec::DecodeError;
use crate::msg::{MsgType, Version};
use crate::pool::PoolError;

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("agent speaks protocol {0}; only 1.4 and newer 1.x are accepted")]
    UnsupportedVersion(Version),
    #[error("{0} may not be sent by an agent")]
    NotFromAgent(MsgType),
    #[error("{msg_type} names window {window:#x}, which the qube has not created")]
    UnknownWindow { msg_type: MsgType, window: u32 },
    #[error("CREATE of window 0")]
    CreateOfWindowZero,
    #[error("CREATE of window {0:#x}, which already exists")]
    DuplicateWindow(u32),
    #[error("{0} with zero width or height")]
    ZeroSize(MsgType),
    #[error("more windows than the limit of {0}")]
    TooManyWindows(usize),
    #[error("WINDOW_FLAGS sets and clears the same flags ({0:#x})")]
    FlagsConflict(u32),
    #[error("WINDOW_DUMP of type {0}; only 0 exists")]
    DumpType(u32),
    #[error("WINDOW_DUMP of {width}x{height}, larger than 16384x6144")]
    DumpTooLarge { width: u32, height: u32 },
    #[error("WINDOW_DUMP of {width}x{height} needs {needed} pages but names {given}")]
    TooFewPages {
        width: u32,
        height: u32,
        needed: usize,
        given: usize,
    },
    #[error("CURSOR {0:#x} is neither 0 nor an X font cursor")]
    CursorOutOfRange(u32),
    #[error("the qube's window images would hold {bytes} bytes, more than its pool may ({max})")]
    ImagesTooLarge { bytes: u64, max: u64 },
    #[error("WINDOW_DUMP before the qube provided a grant pool")]
    NoPool,
    #[error("grant pool: {0}")]
    Pool(#[from] PoolError),
    #[error("a file descriptor arrived after the handshake, or more than one")]
    UnexpectedDescriptor,
    #[error("the qube does not read: its write queue passed {0} bytes")]
    WriteQueueFull(usize),
    #[error("the connection already failed")]
    AlreadyFailed,
}
