//! Input from any source (test input over IPC now; RDP and libinput later) enters here, as evdev
//! key codes and pointer events in output coordinates, and goes through the same shortcuts,
//! focus rules and routing whatever its source.

pub mod focus;
pub mod keymap;
pub mod shortcuts;

use std::collections::HashSet;

use guid_protocol::msg::{state as xstate, Message, KEYMAP_LEN};
use smithay::backend::input::{Axis, AxisSource, ButtonState, KeyState};
use smithay::input::keyboard::{Keycode, ModifiersState};
use smithay::input::pointer::{AxisFrame, ButtonEvent, MotionEvent};
use smithay::utils::{Logical, Point, SERIAL_COUNTER};
use tracing::info;

use crate::qubes::events::tell_geometry;
use crate::qubes::WindowKey;
use crate::render::cursor::Pointer;
use crate::shell::Hit;
use crate::state::State;
use focus::FocusTarget;
use shortcuts::Shortcut;

/// Scroll distance of one wheel notch, as libinput reports it.
const SCROLL_PER_NOTCH: f64 = 15.0;

/// Wheel steps sent for one axis event at most, however large the event says it is.
const MAX_WHEEL_STEPS: i32 = 10;

/// evdev button codes.
pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;
pub const BTN_SIDE: u32 = 0x113;
pub const BTN_EXTRA: u32 = 0x114;

#[derive(Debug, Default)]
pub struct InputState {
    /// Pointer position in output coordinates.
    pub pointer: (f64, f64),
    /// X button mask of the buttons held.
    pub buttons: u32,
    /// X modifier mask as last reported by the keyboard.
    pub x_modifiers: u32,
    /// A window being dragged by its title bar, and where the pointer was.
    drag: Option<(WindowKey, (f64, f64))>,
    /// Keys whose press was a shortcut: their release is swallowed too.
    swallowed: HashSet<u32>,
    /// The pointer shape last shown.
    shape: Option<Pointer>,
    /// Windows appeared, vanished, moved or restacked since the pointer focus was last checked.
    pub layout_changed: bool,
}

impl InputState {
    /// The pointer shape shown now.
    pub fn shape(&self) -> Option<Pointer> {
        self.shape
    }
}

/// KEYMAP_NOTIFY's bitmap of the keys held, from their X (xkb) keycodes.
pub fn keys_held_bitmap(keycodes: impl IntoIterator<Item = u32>) -> [u8; KEYMAP_LEN] {
    let mut bitmap = [0u8; KEYMAP_LEN];
    for code in keycodes {
        let code = code as usize;
        if let Some(byte) = bitmap.get_mut(code / 8) {
            *byte |= 1 << (code % 8);
        }
    }
    bitmap
}

/// The X modifier mask for xkb's modifiers.
pub fn x_modifiers(modifiers: &ModifiersState) -> u32 {
    [
        (modifiers.shift, xstate::SHIFT),
        (modifiers.caps_lock, xstate::LOCK),
        (modifiers.ctrl, xstate::CONTROL),
        (modifiers.alt, xstate::MOD1),
        (modifiers.num_lock, xstate::MOD2),
        (modifiers.logo, xstate::MOD4),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .fold(0, |mask, (_, bit)| mask | bit)
}

/// The X button number for an evdev button.
pub fn x_button(evdev: u32) -> Option<u32> {
    match evdev {
        BTN_LEFT => Some(1),
        BTN_MIDDLE => Some(2),
        BTN_RIGHT => Some(3),
        BTN_SIDE => Some(8),
        BTN_EXTRA => Some(9),
        _ => None,
    }
}

/// The X state-mask bit of a held button (buttons 1 to 5 only).
fn x_button_mask(button: u32) -> u32 {
    match button {
        1 => xstate::BUTTON1,
        2 => xstate::BUTTON2,
        3 => xstate::BUTTON3,
        _ => 0,
    }
}

impl State {
    /// A key went down or up (`evdev` code).
    pub fn handle_key(&mut self, evdev: u32, pressed: bool) {
        let Some(keyboard) = self.airgui.seat.get_keyboard() else {
            return;
        };
        let state = if pressed {
            KeyState::Pressed
        } else {
            KeyState::Released
        };
        let serial = SERIAL_COUNTER.next_serial();
        let time = self.airgui.now_ms();
        let shortcut = keyboard.input(
            self,
            Keycode::new(evdev + 8),
            state,
            serial,
            time,
            |state, modifiers, key| {
                shortcuts::filter(
                    &mut state.airgui.input.swallowed,
                    modifiers,
                    &key,
                    evdev,
                    pressed,
                )
            },
        );
        if let Some(shortcut) = shortcut {
            self.run_shortcut(shortcut);
        }
    }

    /// Presses the keys in order and releases them in reverse.
    pub fn press_chord(&mut self, keys: &[u32]) {
        for key in keys {
            self.handle_key(*key, true);
        }
        for key in keys.iter().rev() {
            self.handle_key(*key, false);
        }
    }

    /// Whether Caps Lock and Num Lock are on.
    pub fn lock_state(&self) -> (bool, bool) {
        self.airgui
            .seat
            .get_keyboard()
            .map_or((false, false), |keyboard| {
                let modifiers = keyboard.modifier_state();
                (modifiers.caps_lock, modifiers.num_lock)
            })
    }

    fn run_shortcut(&mut self, shortcut: Shortcut) {
        let focused = self.airgui.shell.focus();
        match (shortcut, focused) {
            (Shortcut::Copy, Some(key)) => {
                let Some(name) = self.airgui.qubes.get(key.qube).map(|q| q.name().to_owned())
                else {
                    return;
                };
                self.airgui.clipboard.copy_requested(&name);
                self.send(key.qube, Some(key.window), &Message::ClipboardReq);
            }
            (Shortcut::Paste, Some(key)) => {
                let Some(name) = self.airgui.qubes.get(key.qube).map(|q| q.name().to_owned())
                else {
                    return;
                };
                match self
                    .airgui
                    .clipboard
                    .paste(&name, &self.airgui.config.clipboard)
                {
                    Ok(data) => {
                        self.send(key.qube, Some(key.window), &Message::ClipboardData(data))
                    }
                    Err(refused) => info!(qube = %name, "paste refused: {refused}"),
                }
            }
            (Shortcut::FocusNext, _) => {
                self.airgui.shell.cycle_focus();
                self.sync_keyboard_focus();
                self.airgui.queue_redraw();
            }
            (Shortcut::Copy | Shortcut::Paste | Shortcut::Swallowed, _) => {}
        }
    }

    /// The pointer moved to (x, y) in output coordinates.
    pub fn handle_pointer_motion(&mut self, x: f64, y: f64) {
        let (width, height) = self.airgui.shell.output();
        let x = x.clamp(0.0, f64::from(width.saturating_sub(1)));
        let y = y.clamp(0.0, f64::from(height.saturating_sub(1)));
        self.airgui.input.pointer = (x, y);
        if let Some((key, (last_x, last_y))) = self.airgui.input.drag {
            let (dx, dy) = ((x - last_x) as i32, (y - last_y) as i32);
            if dx != 0 || dy != 0 {
                self.airgui.input.drag =
                    Some((key, (last_x + f64::from(dx), last_y + f64::from(dy))));
                let moved = self.airgui.shell.move_by(key, dx, dy);
                tell_geometry(self, key, moved);
                self.airgui.queue_redraw();
            }
            return;
        }
        let focus = self.pointer_target_at(x, y);
        self.refresh_pointer_shape();
        let Some(pointer) = self.airgui.seat.get_pointer() else {
            return;
        };
        let event = MotionEvent {
            location: (x, y).into(),
            serial: SERIAL_COUNTER.next_serial(),
            time: self.airgui.now_ms(),
        };
        pointer.motion(self, focus, &event);
        pointer.frame(self);
    }

    /// After windows moved under a still pointer, gives the pointer to whatever is under it now
    /// (CROSSING leave and enter), as moving the pointer there would.
    pub fn refresh_pointer_focus(&mut self) {
        if !std::mem::take(&mut self.airgui.input.layout_changed)
            || self.airgui.input.drag.is_some()
        {
            return;
        }
        let (x, y) = self.airgui.input.pointer;
        let under = self.pointer_target_at(x, y).map(|(target, _)| target);
        let current = self
            .airgui
            .seat
            .get_pointer()
            .and_then(|pointer| pointer.current_focus());
        if under != current {
            self.handle_pointer_motion(x, y);
        } else {
            self.refresh_pointer_shape();
        }
    }

    /// Shows the shape the window under the pointer asked for (an arrow elsewhere, a move cross
    /// while dragging).
    pub fn refresh_pointer_shape(&mut self) {
        let (x, y) = self.airgui.input.pointer;
        let shape = match self.airgui.shell.hit(x as i32, y as i32) {
            _ if self.airgui.input.drag.is_some() => Pointer::Move,
            Some((key, Hit::Content { .. })) => self
                .airgui
                .qubes
                .get(key.qube)
                .and_then(|qube| qube.windows.get(&key.window))
                .map_or(Pointer::Arrow, |window| Pointer::for_shape(window.cursor)),
            _ => Pointer::Arrow,
        };
        if self.airgui.input.shape != Some(shape) {
            self.airgui.input.shape = Some(shape);
            crate::rdp::show_pointer(&self.airgui, shape);
        }
    }

    /// The window content under (x, y), as a pointer focus with its origin.
    fn pointer_target_at(&self, x: f64, y: f64) -> Option<(FocusTarget, Point<f64, Logical>)> {
        let (key, hit) = self.airgui.shell.hit(x as i32, y as i32)?;
        if !matches!(hit, Hit::Content { .. }) {
            return None;
        }
        let content = self.airgui.shell.window(key)?.content;
        let window = self.airgui.qubes.get(key.qube)?.windows.get(&key.window)?;
        Some((
            FocusTarget::Qube(window.target.clone()),
            (f64::from(content.x), f64::from(content.y)).into(),
        ))
    }

    /// A pointer button went down or up (`evdev` button code). Clicks focus and raise; the
    /// title bar drags, the close button asks the agent to close.
    pub fn handle_pointer_button(&mut self, evdev: u32, pressed: bool) {
        let (x, y) = self.airgui.input.pointer;
        if pressed {
            match self.airgui.shell.hit(x as i32, y as i32) {
                Some((key, Hit::Content { .. })) => self.focus_window(key),
                Some((key, Hit::TitleBar)) => {
                    self.focus_window(key);
                    if evdev == BTN_LEFT {
                        self.airgui.input.drag = Some((key, (x, y)));
                        self.refresh_pointer_shape();
                    }
                }
                Some((key, Hit::CloseButton)) => {
                    self.send(key.qube, Some(key.window), &Message::Close);
                }
                Some((key, Hit::Border)) => self.focus_window(key),
                None => {}
            }
        } else if evdev == BTN_LEFT && self.airgui.input.drag.take().is_some() {
            // The drag ends; the pointer is over whatever is there now.
            self.handle_pointer_motion(x, y);
        }
        let Some(pointer) = self.airgui.seat.get_pointer() else {
            return;
        };
        let event = ButtonEvent {
            serial: SERIAL_COUNTER.next_serial(),
            time: self.airgui.now_ms(),
            button: evdev,
            state: if pressed {
                ButtonState::Pressed
            } else {
                ButtonState::Released
            },
        };
        pointer.button(self, &event);
        pointer.frame(self);
        // X reports the buttons held before the event, so the mask changes after it is sent.
        let mask = x_button(evdev).map_or(0, x_button_mask);
        if pressed {
            self.airgui.input.buttons |= mask;
        } else {
            self.airgui.input.buttons &= !mask;
        }
    }

    /// The wheel turned, in 1/120 notches; positive is down and right.
    pub fn handle_pointer_axis(&mut self, vertical: i32, horizontal: i32) {
        let Some(pointer) = self.airgui.seat.get_pointer() else {
            return;
        };
        let mut frame = AxisFrame::new(self.airgui.now_ms()).source(AxisSource::Wheel);
        for (axis, v120) in [(Axis::Vertical, vertical), (Axis::Horizontal, horizontal)] {
            if v120 != 0 {
                frame = frame
                    .value(axis, f64::from(v120) * SCROLL_PER_NOTCH / 120.0)
                    .v120(axis, v120);
            }
        }
        pointer.axis(self, frame);
        pointer.frame(self);
    }

    /// The user clicked a window: it gets focus and comes to the top.
    fn focus_window(&mut self, key: WindowKey) {
        self.airgui.shell.set_focus(Some(key));
        self.sync_keyboard_focus();
        self.airgui.queue_redraw();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifier_masks_follow_x() {
        let modifiers = ModifiersState {
            ctrl: true,
            shift: true,
            logo: true,
            ..ModifiersState::default()
        };
        assert_eq!(x_modifiers(&modifiers), 1 | 4 | 64);
        assert_eq!(x_modifiers(&ModifiersState::default()), 0);
    }

    #[test]
    fn the_keymap_bitmap_sets_one_bit_per_x_keycode() {
        let bitmap = keys_held_bitmap([9, 38, 255, 256]);
        assert_eq!(bitmap[1], 0b10);
        assert_eq!(bitmap[4], 0b100_0000);
        assert_eq!(bitmap[31], 0b1000_0000);
        assert_eq!(bitmap.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
    }

    #[test]
    fn buttons_map_to_x_numbers() {
        assert_eq!(x_button(BTN_LEFT), Some(1));
        assert_eq!(x_button(BTN_MIDDLE), Some(2));
        assert_eq!(x_button(BTN_RIGHT), Some(3));
        assert_eq!(x_button(0x100), None);
    }
}
