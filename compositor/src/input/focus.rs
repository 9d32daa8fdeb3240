//! Focus targets of the seat: what can hold the keyboard or the pointer. Each kind turns input
//! into what its peer understands (`qube_target.rs`: GUI-protocol messages to an agent;
//! `zone_target.rs`: RDP input to a slave zone; a native surface: wl_keyboard and wl_pointer
//! events to the one Wayland client that owns it, through Smithay's own `WlSurface` targets).
//!
//! Isolation follows from this: a qube or zone target has no Wayland surface, so while one
//! holds the focus no native client hears a thing; a native target is no qube's window, so no
//! qube hears what the GUI qube's programs are sent.

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
use std::borrow::Cow;

use smithay::input::Seat;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{IsAlive, Serial, SERIAL_COUNTER};
use smithay::wayland::seat::WaylandFocus;

use super::codes::x_modifiers;
use super::zone_target::ZoneTarget;
use crate::qubes::QubeTarget;
use crate::shell_key::ShellKey;
use crate::state::State;

/// What can hold the keyboard or the pointer.
#[derive(Clone, Debug, PartialEq)]
pub enum FocusTarget {
    Qube(QubeTarget),
    Zone(ZoneTarget),
    /// A surface of the GUI qube's own Wayland clients: for the keyboard, a toplevel's root
    /// surface; for the pointer, the (sub)surface under it.
    Native(WlSurface),
}

impl IsAlive for FocusTarget {
    fn alive(&self) -> bool {
        match self {
            FocusTarget::Qube(target) => target.alive(),
            FocusTarget::Zone(_) => true,
            FocusTarget::Native(surface) => surface.alive(),
        }
    }
}

impl WaylandFocus for FocusTarget {
    /// Only a native target is a Wayland surface: Smithay sends Wayland input events, data
    /// device offers and virtual keys to nothing else.
    fn wl_surface(&self) -> Option<Cow<'_, WlSurface>> {
        match self {
            FocusTarget::Native(surface) => Some(Cow::Borrowed(surface)),
            FocusTarget::Qube(_) | FocusTarget::Zone(_) => None,
        }
    }
}

impl State {
    /// Makes the seat's keyboard focus follow the shell's focused window.
    pub fn sync_keyboard_focus(&mut self) {
        let wanted = self
            .airgui
            .shell
            .focus()
            .and_then(|key| self.focus_target(key));
        let Some(keyboard) = self.airgui.seat.get_keyboard() else {
            return;
        };
        if keyboard.current_focus() != wanted {
            keyboard.set_focus(self, wanted, SERIAL_COUNTER.next_serial());
        }
    }

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
            ShellKey::Native(id) => {
                let window = self.airgui.native.windows.get(id)?;
                Some(FocusTarget::Native(window.wl_surface().clone()))
            }
        }
    }
}

impl KeyboardTarget<State> for FocusTarget {
    fn enter(
        &self,
        seat: &Seat<State>,
        data: &mut State,
        keys: Vec<KeysymHandle<'_>>,
        serial: Serial,
    ) {
        match self {
            FocusTarget::Qube(target) => target.keyboard_enter(data, &keys),
            FocusTarget::Zone(target) => target.keyboard_enter(data),
            FocusTarget::Native(surface) => {
                KeyboardTarget::enter(surface, seat, data, keys, serial);
            }
        }
    }

    fn leave(&self, seat: &Seat<State>, data: &mut State, serial: Serial) {
        match self {
            FocusTarget::Qube(target) => target.keyboard_leave(data),
            FocusTarget::Zone(target) => target.keyboard_leave(data),
            FocusTarget::Native(surface) => KeyboardTarget::leave(surface, seat, data, serial),
        }
    }

    fn key(
        &self,
        seat: &Seat<State>,
        data: &mut State,
        key: KeysymHandle<'_>,
        state: KeyState,
        serial: Serial,
        time: u32,
    ) {
        match self {
            FocusTarget::Qube(target) => target.key(data, &key, state),
            FocusTarget::Zone(target) => target.key(data, &key, state),
            FocusTarget::Native(surface) => {
                KeyboardTarget::key(surface, seat, data, key, state, serial, time);
            }
        }
    }

    fn modifiers(
        &self,
        seat: &Seat<State>,
        data: &mut State,
        modifiers: ModifiersState,
        serial: Serial,
    ) {
        match self {
            FocusTarget::Native(surface) => {
                KeyboardTarget::modifiers(surface, seat, data, modifiers, serial);
            }
            // Smithay reports a native virtual keyboard's modifiers here too: a qube takes only
            // those of the real keyboard, reported after each of its keys.
            FocusTarget::Qube(_) | FocusTarget::Zone(_)
                if modifiers == data.airgui.input.keyboard_modifiers =>
            {
                data.airgui.input.x_modifiers = x_modifiers(&modifiers);
            }
            FocusTarget::Qube(_) | FocusTarget::Zone(_) => {
                // Once per change of a native virtual keyboard's modifiers: worth seeing.
                tracing::info!("modifiers not from the seat's keyboard kept from a qube");
            }
        }
    }
}

impl PointerTarget<State> for FocusTarget {
    fn enter(&self, seat: &Seat<State>, data: &mut State, event: &MotionEvent) {
        match self {
            FocusTarget::Qube(target) => target.pointer_enter(seat, data, event),
            FocusTarget::Zone(target) => target.motion(data, event),
            FocusTarget::Native(surface) => PointerTarget::enter(surface, seat, data, event),
        }
    }

    fn motion(&self, seat: &Seat<State>, data: &mut State, event: &MotionEvent) {
        match self {
            FocusTarget::Qube(target) => target.motion(data, event),
            FocusTarget::Zone(target) => target.motion(data, event),
            FocusTarget::Native(surface) => PointerTarget::motion(surface, seat, data, event),
        }
    }

    fn relative_motion(
        &self,
        _seat: &Seat<State>,
        _data: &mut State,
        _event: &RelativeMotionEvent,
    ) {
    }

    fn button(&self, seat: &Seat<State>, data: &mut State, event: &ButtonEvent) {
        match self {
            FocusTarget::Qube(target) => target.button(data, event),
            FocusTarget::Zone(target) => target.button(data, event),
            FocusTarget::Native(surface) => PointerTarget::button(surface, seat, data, event),
        }
    }

    fn axis(&self, seat: &Seat<State>, data: &mut State, frame: AxisFrame) {
        match self {
            FocusTarget::Qube(target) => target.axis(data, &frame),
            FocusTarget::Zone(target) => target.axis(data, &frame),
            FocusTarget::Native(surface) => PointerTarget::axis(surface, seat, data, frame),
        }
    }

    fn frame(&self, seat: &Seat<State>, data: &mut State) {
        if let FocusTarget::Native(surface) = self {
            PointerTarget::frame(surface, seat, data);
        }
    }

    fn gesture_swipe_begin(&self, _: &Seat<State>, _: &mut State, _: &GestureSwipeBeginEvent) {}
    fn gesture_swipe_update(&self, _: &Seat<State>, _: &mut State, _: &GestureSwipeUpdateEvent) {}
    fn gesture_swipe_end(&self, _: &Seat<State>, _: &mut State, _: &GestureSwipeEndEvent) {}
    fn gesture_pinch_begin(&self, _: &Seat<State>, _: &mut State, _: &GesturePinchBeginEvent) {}
    fn gesture_pinch_update(&self, _: &Seat<State>, _: &mut State, _: &GesturePinchUpdateEvent) {}
    fn gesture_pinch_end(&self, _: &Seat<State>, _: &mut State, _: &GesturePinchEndEvent) {}
    fn gesture_hold_begin(&self, _: &Seat<State>, _: &mut State, _: &GestureHoldBeginEvent) {}
    fn gesture_hold_end(&self, _: &Seat<State>, _: &mut State, _: &GestureHoldEndEvent) {}

    fn leave(&self, seat: &Seat<State>, data: &mut State, serial: Serial, time: u32) {
        match self {
            FocusTarget::Qube(target) => target.pointer_leave(data),
            // The slave's own pointer focus follows the pointer's next position in it.
            FocusTarget::Zone(_) => {}
            FocusTarget::Native(surface) => {
                PointerTarget::leave(surface, seat, data, serial, time);
            }
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
