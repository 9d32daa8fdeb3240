//! A zone frame as a focus target on a master: keys go to the zone's slave as evdev codes, the
//! pointer as positions in the zone's desktop and evdev buttons, through its RDP link. The
//! slave applies its own focus rules, shortcuts and clipboard chords inside the zone.

use airgui_remote::frame::WHEEL_STEP;
use airgui_remote::InputEvent;
use smithay::backend::input::{Axis, ButtonState, KeyState};
use smithay::input::keyboard::KeysymHandle;
use smithay::input::pointer::{AxisFrame, ButtonEvent, MotionEvent};

use super::codes::SCROLL_PER_NOTCH;
use crate::state::State;
use crate::zones::zone::ZoneId;

/// A zone frame as the keyboard or pointer focus. Zones live as long as airgui does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneTarget(pub ZoneId);

impl ZoneTarget {
    /// The slave's lock keys take ours; keys already held were pressed elsewhere and stay there.
    pub fn keyboard_enter(&self, data: &mut State) {
        let (caps, num) = data.airgui.input.locks;
        data.send_to_zone(
            self.0,
            InputEvent::Locks {
                caps,
                num,
                scroll: false,
            },
        );
    }

    /// Releases in the zone what was pressed there, so no key stays down in the slave.
    pub fn keyboard_leave(&self, data: &mut State) {
        let held = data
            .airgui
            .zones
            .get_mut(self.0 .0)
            .map(|zone| std::mem::take(&mut zone.keys_down))
            .unwrap_or_default();
        for evdev_code in held {
            data.send_to_zone(
                self.0,
                InputEvent::Key {
                    evdev_code,
                    pressed: false,
                },
            );
        }
    }

    pub fn key(&self, data: &mut State, key: &KeysymHandle<'_>, state: KeyState) {
        // xkb keycodes are evdev + 8.
        let Some(evdev_code) = key.raw_code().raw().checked_sub(8) else {
            return;
        };
        let pressed = state == KeyState::Pressed;
        let Some(zone) = data.airgui.zones.get_mut(self.0 .0) else {
            return;
        };
        // A release whose press went elsewhere is not the zone's business.
        let known = if pressed {
            zone.keys_down.insert(evdev_code);
            true
        } else {
            zone.keys_down.remove(&evdev_code)
        };
        if known {
            data.send_to_zone(
                self.0,
                InputEvent::Key {
                    evdev_code,
                    pressed,
                },
            );
        }
    }

    /// The pointer at `event.location`, relative to the zone's desktop.
    pub fn motion(&self, data: &mut State, event: &MotionEvent) {
        let (width, height) = data
            .airgui
            .zones
            .get(self.0 .0)
            .and_then(|zone| zone.size)
            .unwrap_or((0, 0));
        let clamp = |v: f64, len: u32| v.clamp(0.0, f64::from(len.saturating_sub(1))) as u16;
        let (x, y) = (
            clamp(event.location.x, width),
            clamp(event.location.y, height),
        );
        data.send_to_zone(self.0, InputEvent::PointerMotion { x, y });
    }

    pub fn button(&self, data: &mut State, event: &ButtonEvent) {
        data.send_to_zone(
            self.0,
            InputEvent::PointerButton {
                evdev_button: event.button,
                pressed: event.state == ButtonState::Pressed,
            },
        );
    }

    pub fn axis(&self, data: &mut State, frame: &AxisFrame) {
        let units = |axis: Axis| {
            let (value, v120) = match axis {
                Axis::Vertical => (frame.axis.1, frame.v120.map(|v| v.1)),
                Axis::Horizontal => (frame.axis.0, frame.v120.map(|v| v.0)),
            };
            v120.unwrap_or((value / SCROLL_PER_NOTCH * f64::from(WHEEL_STEP)) as i32)
        };
        let (vertical, horizontal) = (units(Axis::Vertical), units(Axis::Horizontal));
        if vertical != 0 || horizontal != 0 {
            data.send_to_zone(
                self.0,
                InputEvent::PointerAxis {
                    vertical,
                    horizontal,
                },
            );
        }
    }
}
