//! virtual-keyboard-unstable-v1, only when `native.virtual_keyboard` is on (the global is not
//! created otherwise). Smithay delivers its keys to the focused Wayland surface, which is never
//! a qube's window.

use smithay::delegate_virtual_keyboard_manager;

use crate::state::State;

delegate_virtual_keyboard_manager!(State);
