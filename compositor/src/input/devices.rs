//! Input from devices (libinput on a login session, the host's window in nested mode) enters
//! the same path as every other input: evdev key codes and pointer positions on the output.

use smithay::backend::input::{
    AbsolutePositionEvent, Axis, ButtonState, InputBackend, InputEvent, KeyState, KeyboardKeyEvent,
    PointerAxisEvent, PointerButtonEvent, PointerMotionEvent,
};

use super::codes::SCROLL_PER_NOTCH;
use crate::state::State;

impl State {
    /// One event from an input backend.
    pub fn handle_input_event<B: InputBackend>(&mut self, event: InputEvent<B>) {
        match event {
            InputEvent::Keyboard { event } => {
                // xkb keycodes are evdev codes + 8.
                let evdev = event.key_code().raw().saturating_sub(8);
                self.handle_key(evdev, event.state() == KeyState::Pressed);
            }
            InputEvent::PointerMotion { event } => {
                let (x, y) = self.airgui.input.pointer;
                self.handle_pointer_motion(x + event.delta_x(), y + event.delta_y());
            }
            InputEvent::PointerMotionAbsolute { event } => {
                let (width, height) = self.airgui.shell.output();
                let size = (
                    i32::try_from(width).unwrap_or(i32::MAX),
                    i32::try_from(height).unwrap_or(i32::MAX),
                );
                let at = event.position_transformed(size.into());
                self.handle_pointer_motion(at.x, at.y);
            }
            InputEvent::PointerButton { event } => {
                let pressed = event.state() == ButtonState::Pressed;
                self.handle_pointer_button(event.button_code(), pressed);
            }
            InputEvent::PointerAxis { event } => {
                let v120 = |axis| {
                    event
                        .amount_v120(axis)
                        .or_else(|| event.amount(axis).map(|a| a / SCROLL_PER_NOTCH * 120.0))
                        .unwrap_or(0.0) as i32
                };
                self.handle_pointer_axis(v120(Axis::Vertical), v120(Axis::Horizontal));
            }
            // Touch, tablets, gestures and device hot-plug: nothing to route yet.
            _ => {}
        }
    }
}
