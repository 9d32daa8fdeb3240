//! A qube window as a focus target: keys and pointer events become GUI-protocol messages to
//! its agent: KEYPRESS, BUTTON, MOTION, CROSSING and FOCUS (spec §3).

use guid_protocol::msg::{kind, Button, Crossing, Focus, Keypress, Message, Motion};
use smithay::backend::input::{Axis, KeyState};
use smithay::input::keyboard::KeysymHandle;
use smithay::input::pointer::{AxisFrame, ButtonEvent, MotionEvent};
use smithay::input::Seat;

use super::codes::{keys_held_bitmap, x_button, MAX_WHEEL_STEPS};
use crate::qubes::{QubeTarget, WindowKey};
use crate::shell_key::ShellKey;
use crate::state::State;

/// X crossing and focus mode NotifyNormal, detail NotifyAncestor.
const NOTIFY_NORMAL: u32 = 0;
const NOTIFY_ANCESTOR: u32 = 0;

/// The pointer's position relative to a window's content.
fn pointer_in(state: &State, key: WindowKey) -> (i32, i32) {
    let (x, y) = state.airgui.input.pointer;
    let origin = state
        .airgui
        .shell
        .window(ShellKey::Qube(key))
        .map_or((0, 0), |w| (w.content.x, w.content.y));
    (x as i32 - origin.0, y as i32 - origin.1)
}

fn x_state(state: &State) -> u32 {
    state.airgui.input.x_modifiers | state.airgui.input.buttons
}

impl QubeTarget {
    /// FOCUS in, after the keys held (KEYMAP_NOTIFY).
    pub fn keyboard_enter(&self, data: &mut State, keys: &[KeysymHandle<'_>]) {
        let focus = Message::Focus(Focus {
            kind: kind::FOCUS_IN,
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
        });
        // The keys come from the seat: asking the keyboard here would deadlock on its lock.
        let held = keys_held_bitmap(keys.iter().map(|key| key.raw_code().raw()));
        data.enter(self.key, &focus, held);
    }

    pub fn keyboard_leave(&self, data: &mut State) {
        let key = self.key;
        let focus = Message::Focus(Focus {
            kind: kind::FOCUS_OUT,
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
        });
        data.send(key.qube, Some(key.window), &focus);
    }

    pub fn key(&self, data: &mut State, key: &KeysymHandle<'_>, state: KeyState) {
        let window = self.key;
        let (x, y) = pointer_in(data, window);
        let message = Message::Keypress(Keypress {
            kind: match state {
                KeyState::Pressed => kind::KEY_PRESS,
                KeyState::Released => kind::KEY_RELEASE,
            },
            x,
            y,
            // X reports the modifiers as they were before this key.
            state: x_state(data),
            // xkb keycodes are X keycodes: evdev + 8.
            keycode: key.raw_code().raw(),
        });
        data.send(window.qube, Some(window.window), &message);
    }

    pub fn pointer_enter(&self, seat: &Seat<State>, data: &mut State, event: &MotionEvent) {
        let key = self.key;
        let held = keys_held_bitmap(
            seat.get_keyboard()
                .map(|keyboard| keyboard.pressed_keys())
                .unwrap_or_default()
                .into_iter()
                .map(|code| code.raw()),
        );
        let focused = data.airgui.shell.focus() == Some(ShellKey::Qube(key));
        let crossing = Message::Crossing(Crossing {
            kind: kind::ENTER,
            x: event.location.x as i32,
            y: event.location.y as i32,
            state: x_state(data),
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
            focus: u32::from(focused),
        });
        data.enter(key, &crossing, held);
    }

    pub fn motion(&self, data: &mut State, event: &MotionEvent) {
        let at = (event.location.x as i32, event.location.y as i32);
        send_motion(data, self.key, at);
    }

    pub fn button(&self, data: &mut State, event: &ButtonEvent) {
        let Some(button) = x_button(event.button) else {
            return;
        };
        let pressed = event.state == smithay::backend::input::ButtonState::Pressed;
        send_button(data, self.key, button, pressed);
    }

    pub fn axis(&self, data: &mut State, frame: &AxisFrame) {
        // X has no wheel events: each step is a press and release of buttons 4 to 7.
        for (axis, negative, positive) in [(Axis::Vertical, 4, 5), (Axis::Horizontal, 6, 7)] {
            let (value, steps) = match axis {
                Axis::Vertical => (frame.axis.1, frame.v120.map(|v| v.1)),
                Axis::Horizontal => (frame.axis.0, frame.v120.map(|v| v.0)),
            };
            let steps = steps.map_or(if value == 0.0 { 0 } else { 1 }, |v120| {
                (v120.abs() / 120).max(1)
            });
            let button = if value < 0.0 { negative } else { positive };
            for _ in 0..steps.min(MAX_WHEEL_STEPS) {
                send_button(data, self.key, button, true);
                send_button(data, self.key, button, false);
            }
        }
    }

    pub fn pointer_leave(&self, data: &mut State) {
        let key = self.key;
        // The agent may move its X pointer once ours has gone; assume nothing of it.
        data.airgui.input.qube_pointer = None;
        let (x, y) = pointer_in(data, key);
        let crossing = Message::Crossing(Crossing {
            kind: kind::LEAVE,
            x,
            y,
            state: x_state(data),
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
            focus: u32::from(data.airgui.shell.focus() == Some(ShellKey::Qube(key))),
        });
        data.send(key.qube, Some(key.window), &crossing);
    }
}

fn send_motion(data: &mut State, key: WindowKey, (x, y): (i32, i32)) {
    let motion = Message::Motion(Motion {
        x,
        y,
        state: x_state(data),
        is_hint: 0,
    });
    data.send(key.qube, Some(key.window), &motion);
    data.airgui.input.qube_pointer = Some((key, (x, y)));
}

/// A qube's X server gives a BUTTON to the window under its own pointer, which is where the last
/// MOTION put it: so a BUTTON for another window or point (the pointer just entered, which sends
/// CROSSING and no MOTION) follows a MOTION to it.
fn send_button(data: &mut State, key: WindowKey, button: u32, pressed: bool) {
    let (x, y) = pointer_in(data, key);
    if data.airgui.input.qube_pointer != Some((key, (x, y))) {
        send_motion(data, key, (x, y));
    }
    let message = Message::Button(Button {
        kind: if pressed {
            kind::BUTTON_PRESS
        } else {
            kind::BUTTON_RELEASE
        },
        x,
        y,
        state: x_state(data),
        button,
    });
    data.send(key.qube, Some(key.window), &message);
}
