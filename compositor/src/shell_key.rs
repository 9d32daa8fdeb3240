//! What the shell stacks, focuses and moves: a qube's window, one of the GUI qube's own
//! windows, or, on a master, a zone's frame.

use crate::qubes::WindowKey;
use crate::wayland::native_windows::NativeId;
use crate::zones::zone::ZoneId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ShellKey {
    Qube(WindowKey),
    Zone(ZoneId),
    /// A window of the GUI qube's own Wayland clients.
    Native(NativeId),
}
