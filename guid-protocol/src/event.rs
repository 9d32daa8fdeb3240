//! What a qube's connection tells the compositor, in trusted types only.

use crate::msg::Version;
use crate::pool::WindowImage;
use crate::sanitize::{CursorShape, FlagsChange, SizeHints, Title, WindowClass};
use crate::types::{Rect, WindowId};

#[derive(Debug)]
pub enum QubeEvent {
    /// The handshake completed at this version.
    Connected {
        version: Version,
    },
    WindowCreated {
        window: WindowId,
        geometry: Rect,
        override_redirect: bool,
    },
    WindowDestroyed {
        window: WindowId,
    },
    WindowMapped {
        window: WindowId,
        transient_for: Option<WindowId>,
        override_redirect: bool,
    },
    WindowUnmapped {
        window: WindowId,
    },
    /// The agent moved or resized the window (never while the daemon's own CONFIGURE is pending).
    WindowConfigured {
        window: WindowId,
        geometry: Rect,
        override_redirect: bool,
    },
    Title {
        window: WindowId,
        title: Title,
    },
    Class {
        window: WindowId,
        class: WindowClass,
    },
    Hints {
        window: WindowId,
        hints: SizeHints,
    },
    Flags {
        window: WindowId,
        change: FlagsChange,
    },
    /// A new image for the window, mapped read-only from the grant pool. It replaces the old one.
    Image {
        window: WindowId,
        image: WindowImage,
    },
    /// This rectangle of the window's current image changed (already clamped to the image).
    Damage {
        window: WindowId,
        rect: Rect,
    },
    Cursor {
        window: WindowId,
        cursor: CursorShape,
    },
    /// The qube's clipboard, in answer to a CLIPBOARD_REQ (unsolicited data never gets here).
    ClipboardData {
        data: Vec<u8>,
    },
}
