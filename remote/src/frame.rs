//! The neutral interface between the compositor and RDP: pixels and rectangles in, evdev-style
//! input out. Nothing here names an RDP or Smithay type, so either side can change its library
//! without touching the other.

/// A rectangle of the output that changed: airgui's one rectangle type. A frame's rectangles
/// lie inside it (at most 65535 x 65535, RDP's limit), so their fields fit RDP's `u16`s.
pub use airgui_damage::Rect;

/// One composed output frame: B, G, R, X pixels with `stride` bytes per row, and what changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: u16,
    pub height: u16,
    pub stride: usize,
    pub pixels: Vec<u8>,
    pub damage: Vec<Rect>,
}

impl Frame {
    /// A borrowed view of this frame, for APIs that only copy the damaged part.
    pub fn as_frame_ref(&self) -> FrameRef<'_> {
        FrameRef {
            width: self.width,
            height: self.height,
            stride: self.stride,
            pixels: &self.pixels,
            damage: &self.damage,
        }
    }
}

/// A borrowed frame: lets the compositor hand over its render buffer without copying it first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRef<'a> {
    pub width: u16,
    pub height: u16,
    pub stride: usize,
    pub pixels: &'a [u8],
    pub damage: &'a [Rect],
}

/// Mouse buttons, as evdev codes (linux/input-event-codes.h).
pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;
pub const BTN_SIDE: u32 = 0x113;
pub const BTN_EXTRA: u32 = 0x114;

/// One wheel notch, in the units of [`InputEvent::PointerAxis`] (the same as Wayland's
/// `axis_value120` and RDP's wheel rotation units).
pub const WHEEL_STEP: i32 = 120;

/// Input from a remote user, in evdev terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputEvent {
    /// A key by its evdev code (`KEY_A` = 30), as a local keyboard would send it.
    Key { evdev_code: u32, pressed: bool },
    /// A character the client sent as text rather than as a key (RDP unicode input, used by
    /// on-screen keyboards and IMEs). The compositor types it through its keymap if it can.
    Unicode { ch: char, pressed: bool },
    /// The client's lock-key state, sent on connect and on focus-in so both sides agree.
    Locks { caps: bool, num: bool, scroll: bool },
    /// The absolute pointer position, in output pixels.
    PointerMotion { x: u16, y: u16 },
    /// A relative pointer motion (clients in relative-mouse mode), in pixels.
    PointerMotionRelative { dx: i32, dy: i32 },
    /// A button by evdev code (`BTN_LEFT` ...), at the last reported position.
    PointerButton { evdev_button: u32, pressed: bool },
    /// Wheel rotation in units of 1/120 notch ([`WHEEL_STEP`]). Positive `vertical` scrolls
    /// down and positive `horizontal` scrolls right, as in Wayland's `wl_pointer.axis`.
    PointerAxis { vertical: i32, horizontal: i32 },
}
