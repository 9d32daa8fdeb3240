//! The IPC socket: one JSON request and one JSON reply per line. `airgui msg` is its client;
//! tests and scripts use the same commands.

pub mod client;
mod commands;
mod connection;
mod outbox;
pub mod server;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A request, as `{"command": "...", ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// The configured qubes: name, label, colour, connected (and, when not, why), window count,
    /// and the memory their windows hold (pool bytes named by their images, image bytes)
    /// against their cap.
    Qubes,
    /// Every window: qube (or `native` for the GUI qube's own), id, sanitized title, geometry,
    /// mapped, focused, stacking order.
    Windows,
    /// The GUI qube's own Wayland clients: their socket (what `WAYLAND_DISPLAY` must say) and
    /// which protocols are on.
    Native,
    /// What the GUI qube's clipboard holds: its source and size, never its data.
    Clipboard,
    /// How many frames were drawn, and what the most recent ones redrew.
    Frames,
    /// The RDP listener: address, certificate fingerprint, connected client.
    Rdp,
    /// A master's zones: name, label, link state (with why it fails), size, frame.
    Zones,
    /// Writes the composed output to a PNG file.
    Screenshot { path: PathBuf },
    /// Presses and releases a key or chord (test input only).
    Key { name: String },
    /// Types text (test input only).
    Type { text: String },
    /// Moves the pointer to output coordinates (test input only).
    PointerMove { x: f64, y: f64 },
    /// Moves the pointer there and clicks a button, 1 left, 2 middle, 3 right (test input only).
    Click { x: f64, y: f64, button: Option<u32> },
    /// Presses the left button at `from`, moves to `to` and releases it (test input only).
    Drag { from: (f64, f64), to: (f64, f64) },
}
