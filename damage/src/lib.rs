//! Damage rectangles for all of airgui: the one rectangle type (a window's geometry, the damage
//! an agent sends, the output's damage, an RDP update) and the one set that merges them within a
//! bound. The GUI protocol, the compositor, the qube-side agent and RDP share it, so rectangle
//! arithmetic on peer-supplied values is written, and checked for overflow, once.

mod merged;
mod rect;

pub use merged::MergedRects;
pub use rect::Rect;
