//! Focus targets of the seat: what can hold the keyboard or the pointer. Each kind turns input
//! into what its peer understands (`qube_target.rs`: GUI-protocol messages to an agent;
//! `zone_target.rs`: RDP input to a slave zone).

use smithay::backend::input::KeyState;
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

use super::x_modifiers;
use super::zone_target::ZoneTarget;
use crate::qubes::QubeTarget;
use crate::shell_key::ShellKey;
use crate::state::State;

/// What can hold the keyboard or the pointer. The GUI qube's own Wayland clients join later.
#[derive(Clone, Debug, PartialEq)]
pub enum FocusTarget {
    Qube(QubeTarget),
    Zone(ZoneTarget),
}

impl IsAlive for FocusTarget {
    fn alive(&self) -> bool {
        match self {
            FocusTarget::Qube(target) => target.alive(),
            FocusTarget::Zone(_) => true,
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

impl State {
    /// The focus target of a window in the shell, if it still exists.
    pub fn focus_target(&self, key: ShellKey) -> Option<FocusTarget> {
        match key {
            ShellKey::Qube(key) => {
                let window = self.airgui.qubes.get(key.qube)?.windows.get(&key.window)?;
                Some(FocusTarget::Qube(window.target.clone()))
            }
            ShellKey::Zone(id) => {
                self.airgui.zones.get(id.0)?;
                Some(FocusTarget::Zone(ZoneTarget(id)))
            }
        }
    }
}

impl KeyboardTarget<State> for FocusTarget {
    fn enter(
        &self,
        _seat: &Seat<State>,
        data: &mut State,
        keys: Vec<KeysymHandle<'_>>,
        _serial: Serial,
    ) {
        match self {
            FocusTarget::Qube(target) => target.keyboard_enter(data, &keys),
            FocusTarget::Zone(target) => target.keyboard_enter(data),
        }
    }

    fn leave(&self, _seat: &Seat<State>, data: &mut State, _serial: Serial) {
        match self {
            FocusTarget::Qube(target) => target.keyboard_leave(data),
            FocusTarget::Zone(target) => target.keyboard_leave(data),
        }
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
        match self {
            FocusTarget::Qube(target) => target.key(data, &key, state),
            FocusTarget::Zone(target) => target.key(data, &key, state),
        }
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
        match self {
            FocusTarget::Qube(target) => target.pointer_enter(seat, data, event),
            FocusTarget::Zone(target) => target.motion(data, event),
        }
    }

    fn motion(&self, _seat: &Seat<State>, data: &mut State, event: &MotionEvent) {
        match self {
            FocusTarget::Qube(target) => target.motion(data, event),
            FocusTarget::Zone(target) => target.motion(data, event),
        }
    }

    fn relative_motion(
        &self,
        _seat: &Seat<State>,
        _data: &mut State,
        _event: &RelativeMotionEvent,
    ) {
    }

    fn button(&self, _seat: &Seat<State>, data: &mut State, event: &ButtonEvent) {
        match self {
            FocusTarget::Qube(target) => target.button(data, event),
            FocusTarget::Zone(target) => target.button(data, event),
        }
    }

    fn axis(&self, _seat: &Seat<State>, data: &mut State, frame: AxisFrame) {
        match self {
            FocusTarget::Qube(target) => target.axis(data, &frame),
            FocusTarget::Zone(target) => target.axis(data, &frame),
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
        match self {
            FocusTarget::Qube(target) => target.pointer_leave(data),
            // The slave's own pointer focus follows the pointer's next position in it.
            FocusTarget::Zone(_) => {}
        }
    }
}

/// No target takes touch input yet: there is no touch device on any backend.
impl TouchTarget<State> for FocusTarget {
    fn down(&self, _: &Seat<State>, _: &mut State, _: &DownEvent, _: Serial) {}
    fn up(&self, _: &Seat<State>, _: &mut State, _: &UpEvent, _: Serial) {}
    fn motion(&self, _: &Seat<State>, _: &mut State, _: &TouchMotionEvent, _: Serial) {}
    fn frame(&self, _: &Seat<State>, _: &mut State, _: Serial) {}
    fn cancel(&self, _: &Seat<State>, _: &mut State, _: Serial) {}
    fn shape(&self, _: &Seat<State>, _: &mut State, _: &ShapeEvent, _: Serial) {}
    fn orientation(&self, _: &Seat<State>, _: &mut State, _: &OrientationEvent, _: Serial) {}
}
