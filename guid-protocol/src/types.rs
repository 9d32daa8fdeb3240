//! Small trusted value types shared by the daemon and agent sides.

use std::num::NonZeroU32;

/// An agent's window id, never 0 (0 means "no window" on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowId(NonZeroU32);

impl WindowId {
    pub fn new(raw: u32) -> Option<Self> {
        NonZeroU32::new(raw).map(WindowId)
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl std::fmt::Display for WindowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A rectangle: a window's geometry in output coordinates, or damage in window coordinates. The
/// sanitizers make these from the wire's raw fields; the type and its arithmetic are airgui's
/// one rectangle type, shared with the compositor, the agent and RDP.
pub use airgui_damage::Rect;
