//! RDP input → neutral [`InputEvent`]s: set-1 scancodes become evdev key codes, buttons become
//! evdev `BTN_*`, wheel rotation keeps RDP's 120-per-notch units with Wayland's sign.
//!
//! ironrdp-server 0.13 loses some mouse input before it reaches this handler (its
//! `From<MousePdu>` / `From<MouseXPdu>` in handler.rs):
//! * the middle button and horizontal wheel of the standard mouse PDU arrive as a `Move` to the
//!   pointer's current position; we drop moves to the position we already reported, so such a
//!   click does nothing rather than jitter, but the click itself is lost;
//! * the extended buttons X1/X2 (back/forward) arrive as *left/right* presses and cannot be told
//!   apart from real ones;
//! * button events carry no position, so buttons act at the last reported position (clients send
//!   a move before a click, so this matches in practice).
//!
//! The relative-mouse PDU and the ainput channel map middle and X1/X2 correctly; a client we
//! write ourselves (the master) can send those buttons that way.

use std::sync::Arc;

use ironrdp_pdu::input::fast_path::SynchronizeFlags;
use ironrdp_server::{KeyboardEvent, MouseEvent, RdpServerInputHandler};
use tracing::{debug, trace};

use super::session::SessionState;
use super::{EventSink, ServerEvent};
use crate::frame::{InputEvent, BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE};
use crate::scancode::{to_evdev, Scancode};

/// ironrdp-server's input handler, one per connection: translates and hands each event to the
/// compositor's callback, unless another client is logged in.
pub(crate) struct InputBridge {
    events: EventSink,
    session: Arc<SessionState>,
    connection: u64,
    translator: Translator,
}

impl InputBridge {
    pub(crate) fn new(events: EventSink, session: Arc<SessionState>, connection: u64) -> Self {
        Self {
            events,
            session,
            connection,
            translator: Translator::default(),
        }
    }

    fn emit(&self, event: Option<InputEvent>) {
        let Some(event) = event else {
            return;
        };
        if !self.session.input_allowed(self.connection) {
            debug!(
                ?event,
                "input from an RDP connection that is not the session; dropped"
            );
            return;
        }
        trace!(?event, "RDP input");
        self.events.emit(ServerEvent::Input(event));
    }
}

impl RdpServerInputHandler for InputBridge {
    fn keyboard(&mut self, event: KeyboardEvent) {
        let event = self.translator.keyboard(event);
        self.emit(event);
    }

    fn mouse(&mut self, event: MouseEvent) {
        let event = self.translator.mouse(event);
        self.emit(event);
    }
}

/// The pure translation, with the little state it needs: the last pointer position (to drop the
/// phantom moves described above) and half of a UTF-16 surrogate pair.
#[derive(Debug, Default)]
pub(crate) struct Translator {
    last_position: Option<(u16, u16)>,
    high_surrogate_pressed: Option<u16>,
    high_surrogate_released: Option<u16>,
}

impl Translator {
    pub(crate) fn keyboard(&mut self, event: KeyboardEvent) -> Option<InputEvent> {
        match event {
            KeyboardEvent::Pressed { code, extended } => key(code, extended, true),
            KeyboardEvent::Released { code, extended } => key(code, extended, false),
            KeyboardEvent::UnicodePressed(unit) => self.unicode(unit, true),
            KeyboardEvent::UnicodeReleased(unit) => self.unicode(unit, false),
            KeyboardEvent::Synchronize(flags) => Some(InputEvent::Locks {
                caps: flags.contains(SynchronizeFlags::CAPS_LOCK),
                num: flags.contains(SynchronizeFlags::NUM_LOCK),
                scroll: flags.contains(SynchronizeFlags::SCROLL_LOCK),
            }),
        }
    }

    /// RDP sends UTF-16 code units; a character outside the BMP comes as two events.
    fn unicode(&mut self, unit: u16, pressed: bool) -> Option<InputEvent> {
        let pending = if pressed {
            &mut self.high_surrogate_pressed
        } else {
            &mut self.high_surrogate_released
        };
        let units: Vec<u16> = match unit {
            0xD800..=0xDBFF => {
                *pending = Some(unit);
                return None;
            }
            0xDC00..=0xDFFF => vec![pending.take()?, unit],
            _ => {
                *pending = None;
                vec![unit]
            }
        };
        let ch = char::decode_utf16(units).next()?.ok()?;
        Some(InputEvent::Unicode { ch, pressed })
    }

    pub(crate) fn mouse(&mut self, event: MouseEvent) -> Option<InputEvent> {
        let button = |evdev_button, pressed| {
            Some(InputEvent::PointerButton {
                evdev_button,
                pressed,
            })
        };
        match event {
            MouseEvent::Move { x, y } => {
                if self.last_position.replace((x, y)) == Some((x, y)) {
                    return None;
                }
                Some(InputEvent::PointerMotion { x, y })
            }
            MouseEvent::LeftPressed => button(BTN_LEFT, true),
            MouseEvent::LeftReleased => button(BTN_LEFT, false),
            MouseEvent::RightPressed => button(BTN_RIGHT, true),
            MouseEvent::RightReleased => button(BTN_RIGHT, false),
            MouseEvent::MiddlePressed => button(BTN_MIDDLE, true),
            MouseEvent::MiddleReleased => button(BTN_MIDDLE, false),
            MouseEvent::Button4Pressed => button(BTN_SIDE, true),
            MouseEvent::Button4Released => button(BTN_SIDE, false),
            MouseEvent::Button5Pressed => button(BTN_EXTRA, true),
            MouseEvent::Button5Released => button(BTN_EXTRA, false),
            // RDP: positive = wheel turned away from the user = scroll up; Wayland: positive =
            // down. Same 120-per-notch units.
            MouseEvent::VerticalScroll { value } => {
                (value != 0).then_some(InputEvent::PointerAxis {
                    vertical: -i32::from(value),
                    horizontal: 0,
                })
            }
            // ainput: x is horizontal (positive = right), y vertical with RDP's sign.
            MouseEvent::Scroll { x, y } => (x != 0 || y != 0).then_some(InputEvent::PointerAxis {
                vertical: y.saturating_neg(),
                horizontal: x,
            }),
            MouseEvent::RelMove { x, y } => {
                (x != 0 || y != 0).then_some(InputEvent::PointerMotionRelative { dx: x, dy: y })
            }
        }
    }
}

fn key(code: u8, extended: bool, pressed: bool) -> Option<InputEvent> {
    // ironrdp-server 0.13 drops the EXTENDED1 (0xE1) flag, so Pause arrives as Ctrl + NumLock.
    let scancode = Scancode {
        code,
        extended,
        extended1: false,
    };
    match to_evdev(scancode) {
        Some(evdev_code) => Some(InputEvent::Key {
            evdev_code,
            pressed,
        }),
        None => {
            debug!(code, extended, "RDP scancode without an evdev key; dropped");
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_evdev_codes() {
        let mut t = Translator::default();
        assert_eq!(
            t.keyboard(KeyboardEvent::Pressed {
                code: 0x1E,
                extended: false
            }),
            Some(InputEvent::Key {
                evdev_code: 30,
                pressed: true
            })
        );
        // Right Ctrl: 0xE0 0x1D.
        assert_eq!(
            t.keyboard(KeyboardEvent::Released {
                code: 0x1D,
                extended: true
            }),
            Some(InputEvent::Key {
                evdev_code: 97,
                pressed: false
            })
        );
    }

    #[test]
    fn unicode_with_surrogates() {
        let mut t = Translator::default();
        assert_eq!(
            t.keyboard(KeyboardEvent::UnicodePressed(0x00E9)),
            Some(InputEvent::Unicode {
                ch: 'é',
                pressed: true
            })
        );
        // U+1F600 = D83D DE00
        assert_eq!(t.keyboard(KeyboardEvent::UnicodePressed(0xD83D)), None);
        assert_eq!(
            t.keyboard(KeyboardEvent::UnicodePressed(0xDE00)),
            Some(InputEvent::Unicode {
                ch: '😀',
                pressed: true
            })
        );
        // A lone low surrogate is dropped.
        assert_eq!(t.keyboard(KeyboardEvent::UnicodeReleased(0xDE00)), None);
    }

    #[test]
    fn lock_keys() {
        let mut t = Translator::default();
        assert_eq!(
            t.keyboard(KeyboardEvent::Synchronize(
                SynchronizeFlags::CAPS_LOCK | SynchronizeFlags::SCROLL_LOCK
            )),
            Some(InputEvent::Locks {
                caps: true,
                num: false,
                scroll: true
            })
        );
    }

    #[test]
    fn mouse_buttons_wheel_and_phantom_moves() {
        let mut t = Translator::default();
        assert_eq!(
            t.mouse(MouseEvent::Move { x: 10, y: 20 }),
            Some(InputEvent::PointerMotion { x: 10, y: 20 })
        );
        // What a middle click becomes in 0.13: a move to where the pointer is.
        assert_eq!(t.mouse(MouseEvent::Move { x: 10, y: 20 }), None);
        assert_eq!(
            t.mouse(MouseEvent::RightPressed),
            Some(InputEvent::PointerButton {
                evdev_button: BTN_RIGHT,
                pressed: true
            })
        );
        assert_eq!(
            t.mouse(MouseEvent::Button4Released),
            Some(InputEvent::PointerButton {
                evdev_button: BTN_SIDE,
                pressed: false
            })
        );
        assert_eq!(
            t.mouse(MouseEvent::VerticalScroll { value: 120 }),
            Some(InputEvent::PointerAxis {
                vertical: -120,
                horizontal: 0
            })
        );
        assert_eq!(
            t.mouse(MouseEvent::Scroll { x: 120, y: -240 }),
            Some(InputEvent::PointerAxis {
                vertical: 240,
                horizontal: 120
            })
        );
        assert_eq!(t.mouse(MouseEvent::RelMove { x: 0, y: 0 }), None);
        // A new connection's translator starts without the last position.
        t = Translator::default();
        assert_eq!(
            t.mouse(MouseEvent::Move { x: 10, y: 20 }),
            Some(InputEvent::PointerMotion { x: 10, y: 20 })
        );
    }
}
