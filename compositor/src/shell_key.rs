//! What the shell stacks, focuses and moves: a qube's window or, on a master, a zone's frame.

use crate::qubes::WindowKey;
use crate::zones::ZoneId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ShellKey {
    Qube(WindowKey),
    Zone(ZoneId),
}
