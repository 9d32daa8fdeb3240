//! What input remembers between events: where the pointer is and what it looks like, the
//! buttons, modifiers and locks held, a window being dragged, and where each qube's X pointer is.

use std::collections::HashSet;

use smithay::input::keyboard::ModifiersState;

use crate::qubes::WindowKey;
use crate::render::cursor::PointerShape;
use crate::shell::Edges;
use crate::shell_key::ShellKey;

#[derive(Debug, Default)]
pub struct InputState {
    /// Pointer position in output coordinates.
    pub pointer: (f64, f64),
    /// X button mask of the buttons held.
    pub buttons: u32,
    /// X modifier mask as last reported by the keyboard.
    pub x_modifiers: u32,
    /// The seat keyboard's modifiers after its latest key: the only modifiers a qube is told
    /// about (a native virtual keyboard's are its own clients' business).
    pub keyboard_modifiers: ModifiersState,
    /// Caps Lock and Num Lock, as of the last key.
    pub locks: (bool, bool),
    /// A window being moved or resized with the pointer.
    pub(super) grab: Option<Grab>,
    /// Keys whose press was a shortcut: their release is swallowed too.
    pub(super) swallowed: HashSet<u32>,
    /// The pointer shape last shown.
    pub(super) shape: Option<PointerShape>,
    /// Windows appeared, vanished, moved or restacked since the pointer focus was last checked.
    pub layout_changed: bool,
    /// The window and point (in its content) of the last MOTION sent to a qube: where that
    /// qube's X pointer is, and so which of its X windows gets a BUTTON.
    pub(super) qube_pointer: Option<(WindowKey, (i32, i32))>,
}

/// A window being dragged: by its title bar, or by its border to resize it. `last` is the
/// pointer position the window was last moved to follow.
#[derive(Clone, Copy, Debug)]
pub(super) struct Grab {
    pub(super) key: ShellKey,
    pub(super) resize: Option<Edges>,
    pub(super) last: (f64, f64),
}

impl InputState {
    /// The pointer shape shown now.
    pub fn shape(&self) -> Option<&PointerShape> {
        self.shape.as_ref()
    }
}
