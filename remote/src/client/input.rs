//! Neutral [`InputEvent`]s → what ironrdp-server 0.13 turns back into the same events.
//!
//! Keys go as fast-path set-1 scancodes (the inverse of the server's table). The mouse goes by
//! whichever PDU that server maps correctly (checked in `ironrdp-server-0.13.0/src/handler.rs`):
//!
//! | input                     | sent as                                   | server sees            |
//! |---------------------------|-------------------------------------------|------------------------|
//! | motion                    | fast-path mouse `MOVE` at x, y            | `Move { x, y }`        |
//! | left, right button        | fast-path mouse `LEFT/RIGHT_BUTTON`       | `Left/Right*`          |
//! | middle button             | slow-path *relative* mouse `BUTTON3`, 0 Δ | `Middle*`              |
//! | side, extra (back, fwd)   | slow-path relative mouse `XBUTTON1/2`     | `Button4*`, `Button5*` |
//! | vertical wheel            | fast-path mouse `VERTICAL_WHEEL`          | `VerticalScroll`       |
//! | horizontal wheel          | advanced-input channel `WHEEL`, x = units | `Scroll { x, y: 0 }`   |
//! | relative motion           | slow-path relative mouse `MOVE`           | `RelMove`              |
//!
//! The standard mouse PDU's `MIDDLE_BUTTON_OR_WHEEL` and `HORIZONTAL_WHEEL` become a `Move` in
//! `From<MousePdu>`, and the extended PDU's X1/X2 become left/right in `From<MouseXPdu>`; the
//! relative PDU's `From<MouseRelPdu>` maps all five buttons. The relative PDU goes slow-path
//! (an Input PDU on the I/O channel) because ironrdp-pdu 0.9 cannot encode its fast-path form:
//! `impl Encode for FastPathInputEvent` (src/input/fast_path.rs) counts the body of a
//! `MouseEventRel` in `size()` but never writes it (`_ => {}`). The server reads slow- and
//! fast-path input from the same stream in order, so the order of events is kept. The
//! advanced-input channel is the only one whose wheel has a horizontal axis, but the server
//! handles it in `spawn_blocking`, so a horizontal scroll may overtake events sent just before.

use ironrdp_ainput::{MouseEventFlags, MousePdu as AInputMousePdu};
use ironrdp_pdu::input::fast_path::{FastPathInputEvent, KeyboardFlags, SynchronizeFlags};
use ironrdp_pdu::input::mouse::PointerFlags;
use ironrdp_pdu::input::mouse_rel::PointerRelFlags;
use ironrdp_pdu::input::{InputEvent as SlowPathEvent, MousePdu, MouseRelPdu};
use tracing::debug;

use crate::frame::{InputEvent, BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE};
use crate::scancode::from_evdev;

/// The wheel field of the mouse PDU is 9-bit two's complement.
const MAX_WHEEL_STEP: i32 = 255;
/// A wheel value larger than this many PDUs is cut (no real wheel turns 60 notches at once).
const MAX_WHEEL_PDUS: usize = 64;

/// One event on the wire, by the route it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outgoing {
    FastPath(FastPathInputEvent),
    /// In a slow-path Input PDU.
    SlowPath(SlowPathEvent),
    /// On the advanced-input channel.
    AInput(AInputMousePdu),
}

/// What input events become, in order.
pub(crate) type Encoded = Vec<Outgoing>;

/// Remembers the pointer position: RDP's button PDUs carry one.
#[derive(Debug, Default)]
pub(crate) struct InputEncoder {
    x: u16,
    y: u16,
}

impl InputEncoder {
    pub(crate) fn encode(&mut self, event: InputEvent, out: &mut Encoded) {
        match event {
            InputEvent::Key {
                evdev_code,
                pressed,
            } => key(evdev_code, pressed, out),
            InputEvent::Unicode { ch, pressed } => {
                let flags = release_flag(pressed);
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    out.push(Outgoing::FastPath(
                        FastPathInputEvent::UnicodeKeyboardEvent(flags, *unit),
                    ));
                }
            }
            InputEvent::Locks { caps, num, scroll } => {
                let mut flags = SynchronizeFlags::empty();
                flags.set(SynchronizeFlags::CAPS_LOCK, caps);
                flags.set(SynchronizeFlags::NUM_LOCK, num);
                flags.set(SynchronizeFlags::SCROLL_LOCK, scroll);
                out.push(Outgoing::FastPath(FastPathInputEvent::SyncEvent(flags)));
            }
            InputEvent::PointerMotion { x, y } => {
                self.x = x;
                self.y = y;
                out.push(self.mouse(PointerFlags::MOVE, 0));
            }
            InputEvent::PointerMotionRelative { dx, dy } => relative_motion(dx, dy, out),
            InputEvent::PointerButton {
                evdev_button,
                pressed,
            } => self.button(evdev_button, pressed, out),
            InputEvent::PointerAxis {
                vertical,
                horizontal,
            } => {
                // Wayland: positive = down; RDP: positive = wheel turned away = up.
                for step in wheel_steps(vertical.saturating_neg()) {
                    out.push(self.mouse(PointerFlags::VERTICAL_WHEEL, step));
                }
                if horizontal != 0 {
                    // ironrdp-server hands ainput's x through as the horizontal amount, with
                    // Wayland's sign (positive = right); our server keeps it.
                    out.push(Outgoing::AInput(AInputMousePdu {
                        time: 0,
                        flags: MouseEventFlags::WHEEL,
                        x: horizontal,
                        y: 0,
                    }));
                }
            }
        }
    }

    fn mouse(&self, flags: PointerFlags, wheel: i16) -> Outgoing {
        Outgoing::FastPath(FastPathInputEvent::MouseEvent(MousePdu {
            flags,
            number_of_wheel_rotation_units: wheel,
            x_position: self.x,
            y_position: self.y,
        }))
    }

    fn button(&self, evdev_button: u32, pressed: bool, out: &mut Encoded) {
        let standard = match evdev_button {
            BTN_LEFT => Some(PointerFlags::LEFT_BUTTON),
            BTN_RIGHT => Some(PointerFlags::RIGHT_BUTTON),
            _ => None,
        };
        if let Some(button) = standard {
            let flags = if pressed {
                button | PointerFlags::DOWN
            } else {
                button
            };
            out.push(self.mouse(flags, 0));
            return;
        }
        let relative = match evdev_button {
            BTN_MIDDLE => PointerRelFlags::BUTTON3,
            BTN_SIDE => PointerRelFlags::XBUTTON1,
            BTN_EXTRA => PointerRelFlags::XBUTTON2,
            other => {
                debug!(button = other, "pointer button RDP cannot carry; dropped");
                return;
            }
        };
        out.push(Outgoing::SlowPath(SlowPathEvent::MouseRel(MouseRelPdu {
            flags: if pressed {
                relative | PointerRelFlags::DOWN
            } else {
                relative
            },
            x_delta: 0,
            y_delta: 0,
        })));
    }
}

fn release_flag(pressed: bool) -> KeyboardFlags {
    if pressed {
        KeyboardFlags::empty()
    } else {
        KeyboardFlags::RELEASE
    }
}

fn key(evdev_code: u32, pressed: bool, out: &mut Encoded) {
    let Some(scancode) = from_evdev(evdev_code) else {
        debug!(evdev_code, "key without a set-1 scancode; dropped");
        return;
    };
    let mut flags = release_flag(pressed);
    if scancode.extended1 {
        // Pause: a keyboard sends E1 1D 45; RDP carries it as (EXTENDED1, 0x1D) then a plain
        // 0x45 in the same direction (see crate::scancode).
        out.push(Outgoing::FastPath(FastPathInputEvent::KeyboardEvent(
            flags | KeyboardFlags::EXTENDED1,
            scancode.code,
        )));
        out.push(Outgoing::FastPath(FastPathInputEvent::KeyboardEvent(
            flags, 0x45,
        )));
        return;
    }
    if scancode.extended {
        flags |= KeyboardFlags::EXTENDED;
    }
    out.push(Outgoing::FastPath(FastPathInputEvent::KeyboardEvent(
        flags,
        scancode.code,
    )));
}

/// Splits a wheel amount into what the 9-bit field carries, at most [`MAX_WHEEL_PDUS`] of them.
fn wheel_steps(mut amount: i32) -> Vec<i16> {
    let mut steps = Vec::new();
    while amount != 0 && steps.len() < MAX_WHEEL_PDUS {
        let step = amount.clamp(-MAX_WHEEL_STEP, MAX_WHEEL_STEP);
        amount -= step;
        steps.push(i16::try_from(step).unwrap_or(0));
    }
    steps
}

/// A relative motion in as many PDUs as its 16-bit deltas need (at most a few for any sane one).
fn relative_motion(mut dx: i32, mut dy: i32, out: &mut Encoded) {
    let max = i32::from(i16::MAX);
    for _ in 0..4 {
        if dx == 0 && dy == 0 {
            break;
        }
        let step_x = dx.clamp(-max, max);
        let step_y = dy.clamp(-max, max);
        dx -= step_x;
        dy -= step_y;
        out.push(Outgoing::SlowPath(SlowPathEvent::MouseRel(MouseRelPdu {
            flags: PointerRelFlags::MOVE,
            x_delta: i16::try_from(step_x).unwrap_or(0),
            y_delta: i16::try_from(step_y).unwrap_or(0),
        })));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn encode(events: &[InputEvent]) -> Encoded {
        let mut encoder = InputEncoder::default();
        let mut out = Encoded::default();
        for event in events {
            encoder.encode(*event, &mut out);
        }
        out
    }

    #[test]
    fn keys_become_scancodes() {
        let out = encode(&[
            InputEvent::Key {
                evdev_code: 30, // KEY_A
                pressed: true,
            },
            InputEvent::Key {
                evdev_code: 97, // KEY_RIGHTCTRL
                pressed: false,
            },
            InputEvent::Key {
                evdev_code: 119, // KEY_PAUSE
                pressed: true,
            },
            InputEvent::Key {
                evdev_code: 0x2FF, // no scancode
                pressed: true,
            },
        ]);
        let key = |flags, code| Outgoing::FastPath(FastPathInputEvent::KeyboardEvent(flags, code));
        assert_eq!(
            out,
            vec![
                key(KeyboardFlags::empty(), 0x1E),
                key(KeyboardFlags::RELEASE | KeyboardFlags::EXTENDED, 0x1D),
                key(KeyboardFlags::EXTENDED1, 0x1D),
                key(KeyboardFlags::empty(), 0x45),
            ]
        );
    }

    #[test]
    fn buttons_go_where_the_server_maps_them() {
        let out = encode(&[
            InputEvent::PointerMotion { x: 7, y: 9 },
            InputEvent::PointerButton {
                evdev_button: BTN_LEFT,
                pressed: true,
            },
            InputEvent::PointerButton {
                evdev_button: BTN_MIDDLE,
                pressed: false,
            },
            InputEvent::PointerButton {
                evdev_button: BTN_EXTRA,
                pressed: true,
            },
        ]);
        let mouse = |flags| {
            Outgoing::FastPath(FastPathInputEvent::MouseEvent(MousePdu {
                flags,
                number_of_wheel_rotation_units: 0,
                x_position: 7,
                y_position: 9,
            }))
        };
        let rel = |flags| {
            Outgoing::SlowPath(SlowPathEvent::MouseRel(MouseRelPdu {
                flags,
                x_delta: 0,
                y_delta: 0,
            }))
        };
        assert_eq!(
            out,
            vec![
                mouse(PointerFlags::MOVE),
                mouse(PointerFlags::LEFT_BUTTON | PointerFlags::DOWN),
                rel(PointerRelFlags::BUTTON3),
                rel(PointerRelFlags::XBUTTON2 | PointerRelFlags::DOWN),
            ]
        );
    }

    /// If this fails, ironrdp-pdu learnt to encode the fast-path relative mouse event, and the
    /// buttons it carries could go fast-path again.
    #[test]
    fn ironrdp_pdu_cannot_encode_the_fast_path_relative_mouse_event() {
        let event = FastPathInputEvent::MouseEventRel(MouseRelPdu {
            flags: PointerRelFlags::BUTTON3,
            x_delta: 0,
            y_delta: 0,
        });
        let mut buf = vec![0u8; ironrdp_core::Encode::size(&event)];
        let written = ironrdp_core::encode(&event, &mut buf).unwrap();
        assert!(written < buf.len(), "{written} of {} bytes", buf.len());
    }

    #[test]
    fn wheels() {
        let out = encode(&[InputEvent::PointerAxis {
            vertical: 600,
            horizontal: -120,
        }]);
        let steps: Vec<i16> = out
            .iter()
            .filter_map(|e| match e {
                Outgoing::FastPath(FastPathInputEvent::MouseEvent(m)) => {
                    Some(m.number_of_wheel_rotation_units)
                }
                _ => None,
            })
            .collect();
        assert_eq!(steps, vec![-255, -255, -90]);
        assert_eq!(
            out.last(),
            Some(&Outgoing::AInput(AInputMousePdu {
                time: 0,
                flags: MouseEventFlags::WHEEL,
                x: -120,
                y: 0
            }))
        );
        assert_eq!(wheel_steps(i32::MIN).len(), MAX_WHEEL_PDUS);
    }

    #[test]
    fn unicode_outside_the_bmp_is_two_units() {
        let out = encode(&[InputEvent::Unicode {
            ch: '😀',
            pressed: false,
        }]);
        assert_eq!(
            out,
            vec![
                Outgoing::FastPath(FastPathInputEvent::UnicodeKeyboardEvent(
                    KeyboardFlags::RELEASE,
                    0xD83D
                )),
                Outgoing::FastPath(FastPathInputEvent::UnicodeKeyboardEvent(
                    KeyboardFlags::RELEASE,
                    0xDE00
                )),
            ]
        );
    }
}
