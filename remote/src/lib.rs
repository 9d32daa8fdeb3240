//! RDP for airgui. Its interface to the compositor is neutral: frames in (a size, pixels and the
//! damaged rectangles), input events out. It knows nothing of Smithay or of the GUI protocol.

pub mod frame;

pub use frame::{DamageRect, Frame, InputEvent};
