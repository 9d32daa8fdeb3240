//! The neutral interface between the compositor and RDP.

/// A rectangle of the output that changed, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DamageRect {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

/// One composed output frame: B, G, R, X pixels with `stride` bytes per row, and what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: u16,
    pub height: u16,
    pub stride: usize,
    pub pixels: Vec<u8>,
    pub damage: Vec<DamageRect>,
}

/// Input from a remote user, in evdev terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputEvent {
    Key { evdev_code: u32, pressed: bool },
    PointerMotion { x: u16, y: u16 },
    PointerButton { evdev_button: u32, pressed: bool },
    PointerAxis { vertical: i32, horizontal: i32 },
}
