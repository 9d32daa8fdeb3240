//! Focus targets of the seat. A qube window receives keys and pointer events as GUI-protocol
//! messages to its agent: KEYPRESS, BUTTON, MOTION, CROSSING and FOCUS (spec §3).

use guid_protocol::msg::{kind, Button, Crossing, Focus, Keypress, Message, Motion};
use smithay::backend::input::{Axis, KeyState};
use smithay::input::keyboard::{KeyboardTarget, KeysymHandle, ModifiersState};
use smithay::input::pointer::{
    AxisFrame, ButtonEvent, GestureHoldBeginEvent, GestureHoldEndEvent, GesturePinchBeginEvent,
    GesturePinchEndEvent, GesturePinchUpdateEvent, GestureSwipeBeginEvent, GestureSwipeEndEvent,
    GestureSwipeUpdateEvent, MotionEvent, PointerTarget, RelativeMotionEvent,
};
use smithay::input::touch::{
    DownEvent, MotionEvent as TouchMotionEvent, OrientationEvent, ShapeEvent, TouchTarget, UpEvent,
};
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::utils::{IsAlive, Serial};

use super::{keys_held_bitmap, x_modifiers};
use crate::qubes::{QubeTarget, WindowKey};
use crate::state::State;

/// X crossing and focus mode NotifyNormal, detail NotifyAncestor.
const NOTIFY_NORMAL: u32 = 0;
const NOTIFY_ANCESTOR: u32 = 0;

/// What can hold the keyboard or the pointer. The GUI qube's own Wayland clients join later.
#[derive(Clone, Debug, PartialEq)]
pub enum FocusTarget {
    Qube(QubeTarget),
}

impl FocusTarget {
    fn key(&self) -> WindowKey {
        match self {
            FocusTarget::Qube(target) => target.key,
        }
    }
}

impl IsAlive for FocusTarget {
    fn alive(&self) -> bool {
        match self {
            FocusTarget::Qube(target) => target.alive(),
        }
    }
}

impl SeatHandler for State {
    type KeyboardFocus = FocusTarget;
    type PointerFocus = FocusTarget;
    type TouchFocus = FocusTarget;

    fn seat_state(&mut self) -> &mut SeatState<State> {
        &mut self.airgui.seat_state
    }
}

/// The pointer's position relative to a window's content.
fn pointer_in(state: &State, key: WindowKey) -> (i32, i32) {
    let (x, y) = state.airgui.input.pointer;
    let origin = state
        .airgui
        .shell
        .window(key)
        .map_or((0, 0), |w| (w.content.x, w.content.y));
    (x as i32 - origin.0, y as i32 - origin.1)
}

fn x_state(state: &State) -> u32 {
    state.airgui.input.x_modifiers | state.airgui.input.buttons
}

impl KeyboardTarget<State> for FocusTarget {
    fn enter(
        &self,
        _seat: &Seat<State>,
        data: &mut State,
        keys: Vec<KeysymHandle<'_>>,
        _serial: Serial,
    ) {
        let focus = Message::Focus(Focus {
            kind: kind::FOCUS_IN,
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
        });
        // The keys come from the seat: asking the keyboard here would deadlock on its lock.
        let held = keys_held_bitmap(keys.iter().map(|key| key.raw_code().raw()));
        data.enter(self.key(), &focus, held);
    }

    fn leave(&self, _seat: &Seat<State>, data: &mut State, _serial: Serial) {
        let key = self.key();
        let focus = Message::Focus(Focus {
            kind: kind::FOCUS_OUT,
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
        });
        data.send(key.qube, Some(key.window), &focus);
    }

    fn key(
        &self,
        _seat: &Seat<State>,
        data: &mut State,
        key: KeysymHandle<'_>,
        state: KeyState,
        _serial: Serial,
        _time: u32,
    ) {
        let window = self.key();
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

    fn modifiers(
        &self,
        _seat: &Seat<State>,
        data: &mut State,
        modifiers: ModifiersState,
        _serial: Serial,
    ) {
        data.airgui.input.x_modifiers = x_modifiers(&modifiers);
    }
}

impl PointerTarget<State> for FocusTarget {
    fn enter(&self, seat: &Seat<State>, data: &mut State, event: &MotionEvent) {
        let key = self.key();
        let held = keys_held_bitmap(
            seat.get_keyboard()
                .map(|keyboard| keyboard.pressed_keys())
                .unwrap_or_default()
                .into_iter()
                .map(|code| code.raw()),
        );
        let focused = data.airgui.shell.focus() == Some(key);
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

    fn motion(&self, _seat: &Seat<State>, data: &mut State, event: &MotionEvent) {
        let key = self.key();
        let motion = Message::Motion(Motion {
            x: event.location.x as i32,
            y: event.location.y as i32,
            state: x_state(data),
            is_hint: 0,
        });
        data.send(key.qube, Some(key.window), &motion);
    }

    fn relative_motion(
        &self,
        _seat: &Seat<State>,
        _data: &mut State,
        _event: &RelativeMotionEvent,
    ) {
    }

    fn button(&self, _seat: &Seat<State>, data: &mut State, event: &ButtonEvent) {
        let Some(button) = super::x_button(event.button) else {
            return;
        };
        let pressed = event.state == smithay::backend::input::ButtonState::Pressed;
        send_button(data, self.key(), button, pressed);
    }

    fn axis(&self, _seat: &Seat<State>, data: &mut State, frame: AxisFrame) {
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
            for _ in 0..steps.min(super::MAX_WHEEL_STEPS) {
                send_button(data, self.key(), button, true);
                send_button(data, self.key(), button, false);
            }
        }
    }

    fn frame(&self, _seat: &Seat<State>, _data: &mut State) {}

    fn gesture_swipe_begin(&self, _: &Seat<State>, _: &mut State, _: &GestureSwipeBeginEvent) {}
    fn gesture_swipe_update(&self, _: &Seat<State>, _: &mut State, _: &GestureSwipeUpdateEvent) {}
    fn gesture_swipe_end(&self, _: &Seat<State>, _: &mut State, _: &GestureSwipeEndEvent) {}
    fn gesture_pinch_begin(&self, _: &Seat<State>, _: &mut State, _: &GesturePinchBeginEvent) {}
    fn gesture_pinch_update(&self, _: &Seat<State>, _: &mut State, _: &GesturePinchUpdateEvent) {}
    fn gesture_pinch_end(&self, _: &Seat<State>, _: &mut State, _: &GesturePinchEndEvent) {}
    fn gesture_hold_begin(&self, _: &Seat<State>, _: &mut State, _: &GestureHoldBeginEvent) {}
    fn gesture_hold_end(&self, _: &Seat<State>, _: &mut State, _: &GestureHoldEndEvent) {}

    fn leave(&self, _seat: &Seat<State>, data: &mut State, _serial: Serial, _time: u32) {
        let key = self.key();
        let (x, y) = pointer_in(data, key);
        let crossing = Message::Crossing(Crossing {
            kind: kind::LEAVE,
            x,
            y,
            state: x_state(data),
            mode: NOTIFY_NORMAL,
            detail: NOTIFY_ANCESTOR,
            focus: u32::from(data.airgui.shell.focus() == Some(key)),
        });
        data.send(key.qube, Some(key.window), &crossing);
    }
}

fn send_button(data: &mut State, key: WindowKey, button: u32, pressed: bool) {
    let (x, y) = pointer_in(data, key);
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

/// Qube windows take no touch input yet: there is no touch device on any backend.
impl TouchTarget<State> for FocusTarget {
    fn down(&self, _: &Seat<State>, _: &mut State, _: &DownEvent, _: Serial) {}
    fn up(&self, _: &Seat<State>, _: &mut State, _: &UpEvent, _: Serial) {}
    fn motion(&self, _: &Seat<State>, _: &mut State, _: &TouchMotionEvent, _: Serial) {}
    fn frame(&self, _: &Seat<State>, _: &mut State, _: Serial) {}
    fn cancel(&self, _: &Seat<State>, _: &mut State, _: Serial) {}
    fn shape(&self, _: &Seat<State>, _: &mut State, _: &ShapeEvent, _: Serial) {}
    fn orientation(&self, _: &Seat<State>, _: &mut State, _: &OrientationEvent, _: Serial) {}
}
