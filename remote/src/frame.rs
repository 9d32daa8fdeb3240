//! The neutral interface between the compositor and RDP: pixels and rectangles in, evdev-style
//! input out. Nothing here names an RDP or Smithay type, so either side can change its library
//! without touching the other.

/// A rectangle of the output that changed, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DamageRect {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl DamageRect {
    pub const fn new(x: u16, y: u16, width: u16, height: u16) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// The exclusive right edge, in `u32` so that `x + width` cannot overflow.
    pub fn right(&self) -> u32 {
        u32::from(self.x) + u32::from(self.width)
    }

    /// The exclusive bottom edge, in `u32` so that `y + height` cannot overflow.
    pub fn bottom(&self) -> u32 {
        u32::from(self.y) + u32::from(self.height)
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The part of `self` inside a `width` x `height` output, or `None` when nothing is left.
    pub fn clamp_to(&self, width: u16, height: u16) -> Option<DamageRect> {
        let right = self.right().min(u32::from(width));
        let bottom = self.bottom().min(u32::from(height));
        let w = u16::try_from(right.checked_sub(u32::from(self.x))?).ok()?;
        let h = u16::try_from(bottom.checked_sub(u32::from(self.y))?).ok()?;
        let rect = DamageRect::new(self.x, self.y, w, h);
        (!rect.is_empty()).then_some(rect)
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &DamageRect) -> DamageRect {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let right = self.right().max(other.right());
        let bottom = self.bottom().max(other.bottom());
        DamageRect::new(
            x,
            y,
            u16::try_from(right - u32::from(x)).unwrap_or(u16::MAX),
            u16::try_from(bottom - u32::from(y)).unwrap_or(u16::MAX),
        )
    }

    /// True when the two rectangles overlap or share an edge, so that their union adds no pixel
    /// that is in neither of them along the shared edge.
    pub fn touches(&self, other: &DamageRect) -> bool {
        u32::from(self.x) <= other.right()
            && u32::from(other.x) <= self.right()
            && u32::from(self.y) <= other.bottom()
            && u32::from(other.y) <= self.bottom()
    }

    pub fn contains(&self, other: &DamageRect) -> bool {
        self.x <= other.x
            && self.y <= other.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }
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
    pub damage: &'a [DamageRect],
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
