//! The only way from an [`UntrustedMessage`] to trusted values: every rule of spec §4.
//!
//! Rules that need to know about the qube's windows ask a [`KnownWindows`]; the daemon
//! connection answers from its window table, tests and fuzzers from a map.

use crate::error::ProtocolError;
use crate::event::QubeEvent;
use crate::msg::*;
use crate::types::{Rect, WindowId};
use crate::untrusted::{UntrustedMessage, UntrustedVersion};

/// Largest |x| of a window position.
pub const MAX_ABS_X: i32 = MAX_WINDOW_WIDTH as i32;
/// Largest |y| of a window position.
pub const MAX_ABS_Y: i32 = MAX_WINDOW_HEIGHT as i32;
/// Default per-qube window limit.
pub const DEFAULT_MAX_WINDOWS: usize = 500;
/// An override-redirect window may cover at most this share of the output, in per mille.
const OVERRIDE_REDIRECT_MAX_PER_MILLE: u64 = 900;

/// What the sanitizer needs to know about an existing window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowFacts {
    pub geometry: Rect,
    pub mapped: bool,
    /// Whether the window is override-redirect now (after the daemon's own rules).
    pub override_redirect: bool,
    /// Size of the window's current image, once it has one.
    pub image: Option<(u32, u32)>,
}

/// The qube's windows as the daemon knows them.
pub trait KnownWindows {
    fn facts(&self, window: WindowId) -> Option<WindowFacts>;
    fn count(&self) -> usize;
}

/// Per-qube settings that rules depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_windows: usize,
    pub allow_utf8_titles: bool,
    pub output_width: u32,
    pub output_height: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_windows: DEFAULT_MAX_WINDOWS,
            allow_utf8_titles: false,
            output_width: 1920,
            output_height: 1080,
        }
    }
}

/// A sanitized message: an event, a dump whose pages still have to be mapped, or nothing.
#[derive(Debug)]
pub enum Sanitized {
    Event(QubeEvent),
    Dump {
        window: WindowId,
        layout: DumpLayout,
    },
    Ignored,
}

/// A WINDOW_DUMP that passed every check that does not need the pool itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpLayout {
    pub width: u32,
    pub height: u32,
    /// Exactly the pages the image needs, in order.
    pub refs: Vec<u32>,
}

impl DumpLayout {
    pub fn byte_len(&self) -> usize {
        self.width as usize * self.height as usize * 4
    }
}

/// A window title: at most 127 bytes from the agent, every unsafe character replaced by `_`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// WMCLASS, printable ASCII only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowClass {
    pub class: String,
    pub name: String,
}

/// Size hints; a group is present only if its flag was set and its values were in range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeHints {
    /// USPosition or PPosition: the agent's position is meant.
    pub position: bool,
    pub min: Option<(u32, u32)>,
    pub max: Option<(u32, u32)>,
    pub increment: Option<(u32, u32)>,
    pub base: Option<(u32, u32)>,
}

/// WINDOW_FLAGS with unknown bits removed; `set` and `unset` never overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlagsChange {
    pub set: u32,
    pub unset: u32,
}

/// The pointer shape requested for a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorShape {
    Default,
    /// An X font cursor glyph: even and below 154.
    XFont(u8),
}

/// The version rule of spec §2: major 1, minor 4 or newer; newer minors are served at 1.8.
pub fn version(untrusted: UntrustedVersion) -> Result<Version, ProtocolError> {
    let claimed = untrusted.claimed();
    if claimed.major != 1 || claimed.minor < 4 {
        return Err(ProtocolError::UnsupportedVersion(claimed));
    }
    Ok(Version {
        major: 1,
        minor: claimed.minor.min(Version::CURRENT.minor),
    })
}

/// Checks one agent message against every rule of spec §4.
pub fn message(
    untrusted: UntrustedMessage,
    known: &impl KnownWindows,
    limits: &Limits,
) -> Result<Sanitized, ProtocolError> {
    let UntrustedMessage {
        window: raw,
        message,
    } = untrusted;
    let msg_type = message.msg_type();
    if !matches!(msg_type.direction(), Direction::ToDaemon | Direction::Both) {
        return Err(ProtocolError::NotFromAgent(msg_type));
    }
    match message {
        Message::Create(create) => {
            let window = WindowId::new(raw).ok_or(ProtocolError::CreateOfWindowZero)?;
            if known.facts(window).is_some() {
                return Err(ProtocolError::DuplicateWindow(raw));
            }
            if known.count() >= limits.max_windows {
                return Err(ProtocolError::TooManyWindows(limits.max_windows));
            }
            let geometry = geometry(create.x, create.y, create.width, create.height)
                .ok_or(ProtocolError::ZeroSize(msg_type))?;
            // `parent` is ignored: there are no subwindows.
            Ok(Sanitized::Event(QubeEvent::WindowCreated {
                window,
                geometry,
                override_redirect: override_redirect(
                    create.override_redirect != 0,
                    &geometry,
                    limits,
                ),
            }))
        }
        Message::ClipboardData(data) => Ok(Sanitized::Event(QubeEvent::ClipboardData { data })),
        message => {
            let (window, facts) = WindowId::new(raw)
                .and_then(|id| known.facts(id).map(|facts| (id, facts)))
                .ok_or(ProtocolError::UnknownWindow {
                    msg_type,
                    window: raw,
                })?;
            window_message(window, facts, message, known, limits)
        }
    }
}

/// The rules for messages about an existing window.
fn window_message(
    window: WindowId,
    facts: WindowFacts,
    message: Message,
    known: &impl KnownWindows,
    limits: &Limits,
) -> Result<Sanitized, ProtocolError> {
    let event = match message {
        Message::Destroy => QubeEvent::WindowDestroyed { window },
        Message::Unmap => QubeEvent::WindowUnmapped { window },
        Message::Map(map) => {
            let transient_for = WindowId::new(map.transient_for)
                .filter(|parent| *parent != window && known.facts(*parent).is_some());
            // Override-redirect cannot be toggled on a mapped window.
            let requested = if facts.mapped {
                facts.override_redirect
            } else {
                map.override_redirect != 0
            };
            QubeEvent::WindowMapped {
                window,
                transient_for,
                override_redirect: override_redirect(requested, &facts.geometry, limits),
            }
        }
        Message::Configure(configure) => {
            let geometry = geometry(configure.x, configure.y, configure.width, configure.height)
                .ok_or(ProtocolError::ZeroSize(MsgType::Configure))?;
            // CONFIGURE's override_redirect is ignored; the window can only lose it here.
            QubeEvent::WindowConfigured {
                window,
                geometry,
                override_redirect: override_redirect(facts.override_redirect, &geometry, limits),
            }
        }
        Message::ShmImage(damage) => match damage_rect(&damage, facts.image) {
            Some(rect) => QubeEvent::Damage { window, rect },
            None => return Ok(Sanitized::Ignored),
        },
        Message::WmName(name) => QubeEvent::Title {
            window,
            title: title(&name.title, limits.allow_utf8_titles),
        },
        Message::WmClass(class) => QubeEvent::Class {
            window,
            class: window_class(&class),
        },
        Message::WindowHints(raw) => QubeEvent::Hints {
            window,
            hints: size_hints(&raw),
        },
        Message::WindowFlags(raw) => QubeEvent::Flags {
            window,
            change: flags_change(&raw)?,
        },
        Message::Cursor(raw) => QubeEvent::Cursor {
            window,
            cursor: cursor(raw.cursor)?,
        },
        Message::WindowDump(dump) => {
            return Ok(Sanitized::Dump {
                window,
                layout: dump_layout(dump)?,
            })
        }
        // A tray icon request: there is no tray, and a qube cannot place things outside windows.
        Message::Dock => return Ok(Sanitized::Ignored),
        other => return Err(ProtocolError::NotFromAgent(other.msg_type())),
    };
    Ok(Sanitized::Event(event))
}

/// Clamps a position and size from CREATE or CONFIGURE; `None` for a zero width or height.
pub fn geometry(x: i32, y: i32, width: u32, height: u32) -> Option<Rect> {
    if width == 0 || height == 0 {
        return None;
    }
    Some(Rect {
        x: x.clamp(-MAX_ABS_X, MAX_ABS_X),
        y: y.clamp(-MAX_ABS_Y, MAX_ABS_Y),
        width: width.min(MAX_WINDOW_WIDTH),
        height: height.min(MAX_WINDOW_HEIGHT),
    })
}

/// An override-redirect window that would cover more than 90% of the output becomes normal.
pub fn override_redirect(requested: bool, geometry: &Rect, limits: &Limits) -> bool {
    let covered = u64::from(geometry.width.min(limits.output_width))
        * u64::from(geometry.height.min(limits.output_height));
    let output = u64::from(limits.output_width) * u64::from(limits.output_height);
    requested && covered * 1000 <= output * OVERRIDE_REDIRECT_MAX_PER_MILLE
}

/// Clamps SHMIMAGE damage to the window's current image; a negative value, an empty result or a
/// window without an image yields nothing.
pub fn damage_rect(damage: &ShmImage, image: Option<(u32, u32)>) -> Option<Rect> {
    let (image_width, image_height) = image?;
    let x = u32::try_from(damage.x).ok()?;
    let y = u32::try_from(damage.y).ok()?;
    let width = damage.width.min(image_width.checked_sub(x)?);
    let height = damage.height.min(image_height.checked_sub(y)?);
    let rect = Rect {
        x: x as i32,
        y: y as i32,
        width,
        height,
    };
    (!rect.is_empty()).then_some(rect)
}

/// Title rules: cut at the first NUL and at 127 bytes; without UTF-8 every byte outside printable
/// ASCII becomes `_`; with it, malformed bytes, control characters and bidirectional or invisible
/// formatting characters become `_`.
pub fn title(raw: &[u8; TITLE_LEN], allow_utf8: bool) -> Title {
    let bytes = until_nul(raw, TITLE_LEN - 1);
    if !allow_utf8 {
        return Title(printable_ascii(bytes));
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.extend(
            chunk
                .valid()
                .chars()
                .map(|c| if is_unsafe_in_title(c) { '_' } else { c }),
        );
        out.extend(std::iter::repeat_n('_', chunk.invalid().len()));
    }
    Title(out)
}

/// WMCLASS: each field cut at its first NUL, printable ASCII only.
pub fn window_class(raw: &WmClass) -> WindowClass {
    WindowClass {
        class: printable_ascii(until_nul(&raw.res_class, WMCLASS_FIELD_LEN - 1)),
        name: printable_ascii(until_nul(&raw.res_name, WMCLASS_FIELD_LEN - 1)),
    }
}

/// Hints: unknown flags dropped, and each group whose values are out of range.
pub fn size_hints(raw: &WindowHints) -> SizeHints {
    let flags = raw.flags & hints::HONOURED;
    let group = |flag: u32, w: u32, h: u32, least: u32| {
        let in_range =
            (least..=MAX_WINDOW_WIDTH).contains(&w) && (least..=MAX_WINDOW_HEIGHT).contains(&h);
        (flags & flag != 0 && in_range).then_some((w, h))
    };
    let min = group(hints::P_MIN_SIZE, raw.min_width, raw.min_height, 0);
    let max = group(hints::P_MAX_SIZE, raw.max_width, raw.max_height, 1);
    // A maximum below the minimum cannot be honoured; the minimum keeps the window usable.
    let max = max.filter(|(w, h)| min.is_none_or(|(min_w, min_h)| *w >= min_w && *h >= min_h));
    SizeHints {
        position: flags & (hints::US_POSITION | hints::P_POSITION) != 0,
        min,
        max,
        increment: group(hints::P_RESIZE_INC, raw.width_inc, raw.height_inc, 1),
        base: group(hints::P_BASE_SIZE, raw.base_width, raw.base_height, 0),
    }
}

/// WINDOW_FLAGS: setting and clearing the same flag is an error; unknown flags are dropped.
pub fn flags_change(raw: &WindowFlags) -> Result<FlagsChange, ProtocolError> {
    if raw.set & raw.unset != 0 {
        return Err(ProtocolError::FlagsConflict(raw.set & raw.unset));
    }
    Ok(FlagsChange {
        set: raw.set & flags::KNOWN,
        unset: raw.unset & flags::KNOWN,
    })
}

/// CURSOR: 0, or `0x100 | n` with n even and below 154.
pub fn cursor(raw: u32) -> Result<CursorShape, ProtocolError> {
    const X_FONT: u32 = 0x100;
    const X_FONT_GLYPHS: u32 = 154;
    if raw == 0 {
        return Ok(CursorShape::Default);
    }
    let glyph = raw ^ X_FONT;
    if raw & X_FONT != 0 && glyph < X_FONT_GLYPHS && glyph.is_multiple_of(2) {
        return Ok(CursorShape::XFont(glyph as u8));
    }
    Err(ProtocolError::CursorOutOfRange(raw))
}

/// WINDOW_DUMP: type 0, within 16384x6144, not empty, and enough pages for its pixels. Pages
/// beyond those needed are dropped; whether the refs lie in the pool is checked when mapping.
pub fn dump_layout(dump: WindowDump) -> Result<DumpLayout, ProtocolError> {
    let WindowDump {
        kind,
        width,
        height,
        refs,
        ..
    } = dump;
    if kind != 0 {
        return Err(ProtocolError::DumpType(kind));
    }
    if width > MAX_WINDOW_WIDTH || height > MAX_WINDOW_HEIGHT {
        return Err(ProtocolError::DumpTooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ProtocolError::ZeroSize(MsgType::WindowDump));
    }
    let needed = (width as usize * height as usize * 4).div_ceil(PAGE_SIZE);
    if refs.len() < needed {
        return Err(ProtocolError::TooFewPages {
            width,
            height,
            needed,
            given: refs.len(),
        });
    }
    let mut refs = refs;
    refs.truncate(needed);
    Ok(DumpLayout {
        width,
        height,
        refs,
    })
}

fn until_nul(raw: &[u8], max: usize) -> &[u8] {
    let end = raw
        .iter()
        .take(max)
        .position(|b| *b == 0)
        .unwrap_or(max.min(raw.len()));
    raw.get(..end).unwrap_or_default()
}

fn printable_ascii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if (0x20..=0x7e).contains(b) {
                char::from(*b)
            } else {
                '_'
            }
        })
        .collect()
}

/// Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional and
/// invisible formatting characters (general category Cf, and invisible fillers and joiners) that
/// could make a title lie about where its text starts or what it says.
fn is_unsafe_in_title(c: char) -> bool {
    const INVISIBLE: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x2028, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ];
    let code = u32::from(c);
    c.is_control()
        || INVISIBLE
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&code))
}

#[cfg(test)]
mod tests;
