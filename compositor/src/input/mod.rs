//! Input from any source (test input over IPC now; RDP and libinput later) enters here, as evdev
//! key codes and pointer events in output coordinates, and goes through the same shortcuts,
//! focus rules and routing whatever its source.

#[cfg(any(feature = "winit", feature = "udev"))]
mod devices;
pub mod focus;
pub mod keymap;
mod qube_target;
pub mod shortcuts;
mod zone_target;

use std::collections::HashSet;

use guid_protocol::msg::{state as xstate, Message, Version, KEYMAP_LEN};
use smithay::backend::input::{Axis, AxisSource, ButtonState, KeyState};
use smithay::input::keyboard::{Keycode, ModifiersState};
use smithay::input::pointer::{AxisFrame, ButtonEvent, MotionEvent};
use smithay::utils::{Logical, Point, SERIAL_COUNTER};
use tracing::info;

use airgui_remote::Cursor;

use crate::render::cursor::Pointer;
use crate::shell::{Edges, Hit};
use crate::shell_key::ShellKey;
use crate::state::State;
use crate::zones::pointer::cut_to_zone;
use focus::FocusTarget;
use shortcuts::Shortcut;

/// Scroll distance of one wheel notch, as libinput reports it.
pub const SCROLL_PER_NOTCH: f64 = 15.0;

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
    /// The seat keyboard's modifiers after its latest key: the only modifiers a qube is told
    /// about (a native virtual keyboard's are its own clients' business).
    pub keyboard_modifiers: ModifiersState,
    /// Caps Lock and Num Lock, as of the last key.
    pub locks: (bool, bool),
    /// A window being moved or resized with the pointer.
    grab: Option<Grab>,
    /// Keys whose press was a shortcut: their release is swallowed too.
    swallowed: HashSet<u32>,
    /// The pointer shape last shown.
    shape: Option<PointerShape>,
    /// Windows appeared, vanished, moved or restacked since the pointer focus was last checked.
    pub layout_changed: bool,
    /// The window and point (in its content) of the last MOTION sent to a qube: where that
    /// qube's X pointer is, and so which of its X windows gets a BUTTON.
    qube_pointer: Option<(crate::qubes::WindowKey, (i32, i32))>,
}

/// A window being dragged: by its title bar, or by its border to resize it. `last` is the
/// pointer position the window was last moved to follow.
#[derive(Clone, Copy, Debug)]
struct Grab {
    key: ShellKey,
    resize: Option<Edges>,
    last: (f64, f64),
}

/// What the pointer looks like.
#[derive(Clone, Debug, PartialEq)]
pub enum PointerShape {
    /// One of airgui's (an arrow, a move cross, a qube window's choice).
    Airgui(Pointer),
    /// What a zone's slave shows over the zone.
    Zone(Cursor),
}

impl InputState {
    /// The pointer shape shown now.
    pub fn shape(&self) -> Option<&PointerShape> {
        self.shape.as_ref()
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

/// The pointer over a border whose drag moves these edges.
fn edges_pointer(edges: Edges) -> Pointer {
    match (edges.left || edges.right, edges.top || edges.bottom) {
        (true, false) => Pointer::ResizeHorizontal,
        (false, true) => Pointer::ResizeVertical,
        _ => Pointer::Move,
    }
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

/// The evdev button of an X button number: the inverse of [`x_button`].
pub fn evdev_button(x: u32) -> Option<u32> {
    [BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE, BTN_EXTRA]
        .into_iter()
        .find(|evdev| x_button(*evdev) == Some(x))
}

/// A press or release of an evdev button, for a Smithay pointer.
pub fn button_event(evdev: u32, pressed: bool, time: u32) -> ButtonEvent {
    ButtonEvent {
        serial: SERIAL_COUNTER.next_serial(),
        time,
        button: evdev,
        state: if pressed {
            ButtonState::Pressed
        } else {
            ButtonState::Released
        },
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
                state.airgui.input.locks = (modifiers.caps_lock, modifiers.num_lock);
                state.airgui.input.keyboard_modifiers = *modifiers;
                // In a zone, the clipboard chords are the slave's to act on; in one of the GUI
                // qube's own windows, its program's.
                let chords_pass = matches!(
                    state.airgui.shell.focus(),
                    Some(ShellKey::Zone(_) | ShellKey::Native(_))
                );
                let layout = modifiers.serialized.layout_effective;
                let syms = state.airgui.keys.shortcut_syms(layout, evdev + 8);
                shortcuts::filter(
                    &mut state.airgui.input.swallowed,
                    modifiers,
                    &key,
                    syms,
                    evdev,
                    pressed,
                    chords_pass,
                    state.backend.switches_vt(),
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
        let focused = match self.airgui.shell.focus() {
            Some(ShellKey::Qube(key)) => Some(key),
            // The GUI qube's own windows have no part in the qubes' clipboard.
            Some(ShellKey::Zone(_) | ShellKey::Native(_)) | None => None,
        };
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
                let Some(qube) = self.airgui.qubes.get(key.qube) else {
                    return;
                };
                let name = qube.name().to_owned();
                let version = qube.link.as_ref().and_then(|l| l.connection.version());
                let max = version.map_or(0, Version::max_clipboard);
                match self
                    .airgui
                    .clipboard
                    .paste(&name, max, &self.airgui.config.clipboard)
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
            (Shortcut::SwitchVt(vt), _) => self.backend.change_vt(vt),
            (Shortcut::Copy | Shortcut::Paste | Shortcut::Swallowed, _) => {}
        }
    }

    /// The pointer moved to (x, y) in output coordinates.
    pub fn handle_pointer_motion(&mut self, x: f64, y: f64) {
        let (width, height) = self.airgui.shell.output();
        let x = x.clamp(0.0, f64::from(width.saturating_sub(1)));
        let y = y.clamp(0.0, f64::from(height.saturating_sub(1)));
        self.airgui.input.pointer = (x, y);
        if let Some(grab) = self.airgui.input.grab {
            self.follow_grab(grab, (x, y));
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

    /// Moves or resizes the grabbed window by whole pixels as the pointer moves.
    fn follow_grab(&mut self, grab: Grab, (x, y): (f64, f64)) {
        let (last_x, last_y) = grab.last;
        let (dx, dy) = ((x - last_x) as i32, (y - last_y) as i32);
        if dx == 0 && dy == 0 {
            return;
        }
        self.airgui.input.grab = Some(Grab {
            last: (last_x + f64::from(dx), last_y + f64::from(dy)),
            ..grab
        });
        let changed = match grab.resize {
            Some(edges) => self.airgui.shell.resize_by(grab.key, edges, dx, dy),
            None => self.airgui.shell.move_by(grab.key, dx, dy),
        };
        if let Some(content) = changed {
            self.window_changed(grab.key, content);
            self.airgui.queue_redraw();
        }
    }

    /// After windows moved under a still pointer, gives the pointer to whatever is under it now
    /// (CROSSING leave and enter), as moving the pointer there would.
    pub fn refresh_pointer_focus(&mut self) {
        if !std::mem::take(&mut self.airgui.input.layout_changed)
            || self.airgui.input.grab.is_some()
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
        let airgui = &self.airgui;
        let shape = match airgui.shell.hit(x as i32, y as i32) {
            _ if airgui.input.grab.is_some() => {
                let resize = airgui.input.grab.and_then(|grab| grab.resize);
                PointerShape::Airgui(resize.map_or(Pointer::Move, edges_pointer))
            }
            Some((_, Hit::Border(edges))) => PointerShape::Airgui(edges_pointer(edges)),
            Some((ShellKey::Qube(key), Hit::Content { .. })) => PointerShape::Airgui(
                airgui
                    .qubes
                    .get(key.qube)
                    .and_then(|qube| qube.windows.get(&key.window))
                    .map_or(Pointer::Arrow, |window| Pointer::for_shape(window.cursor)),
            ),
            Some((key @ ShellKey::Zone(id), Hit::Content { .. })) => {
                match (airgui.zones.get(id.0), airgui.shell.window(key)) {
                    (Some(zone), Some(placed)) if zone.status.is_connected() => {
                        PointerShape::Zone(cut_to_zone(&zone.cursor, (x, y), placed.content))
                    }
                    _ => PointerShape::Airgui(Pointer::Arrow),
                }
            }
            _ => PointerShape::Airgui(Pointer::Arrow),
        };
        if self.airgui.input.shape.as_ref() != Some(&shape) {
            crate::rdp::show_pointer(&self.airgui, &shape);
            self.airgui.input.shape = Some(shape);
        }
    }

    /// The window content under (x, y), as a pointer focus with its origin.
    fn pointer_target_at(&self, x: f64, y: f64) -> Option<(FocusTarget, Point<f64, Logical>)> {
        let (key, hit) = self.airgui.shell.hit(x as i32, y as i32)?;
        if !matches!(hit, Hit::Content { .. }) {
            return None;
        }
        let content = self.airgui.shell.window(key)?.content;
        if let ShellKey::Native(id) = key {
            return crate::wayland::windows::surface_under(self, id, content, (x, y))
                .map(|(surface, origin)| (FocusTarget::Native(surface), origin));
        }
        Some((
            self.focus_target(key)?,
            (f64::from(content.x), f64::from(content.y)).into(),
        ))
    }

    /// A pointer button went down or up (`evdev` button code). Clicks focus and raise; the
    /// title bar moves, the border resizes, the close button asks the agent to close.
    pub fn handle_pointer_button(&mut self, evdev: u32, pressed: bool) {
        let (x, y) = self.airgui.input.pointer;
        if pressed {
            let pressed_on = self
                .airgui
                .shell
                .hit(x as i32, y as i32)
                .map(|(key, _)| key);
            crate::wayland::windows::dismiss_grabbed_popups(self, pressed_on);
            let grab = |key, resize| Grab {
                key,
                resize,
                last: (x, y),
            };
            match self.airgui.shell.hit(x as i32, y as i32) {
                Some((key, Hit::Content { .. })) => self.focus_window(key),
                Some((key, Hit::TitleBar)) => {
                    self.focus_window(key);
                    self.start_grab(evdev, grab(key, None));
                }
                Some((key, Hit::Border(edges))) => {
                    self.focus_window(key);
                    self.start_grab(evdev, grab(key, Some(edges)));
                }
                Some((ShellKey::Qube(key), Hit::CloseButton)) => {
                    self.send(key.qube, Some(key.window), &Message::Close);
                }
                Some((ShellKey::Native(id), Hit::CloseButton)) => {
                    let window = self.airgui.native.windows.get(id);
                    if let Some(toplevel) = window.and_then(|w| w.toplevel()) {
                        toplevel.send_close();
                    }
                }
                Some((ShellKey::Zone(_), Hit::CloseButton)) | None => {}
            }
        } else if evdev == BTN_LEFT && self.airgui.input.grab.take().is_some() {
            // The drag ends; the pointer is over whatever is there now.
            self.handle_pointer_motion(x, y);
        }
        let Some(pointer) = self.airgui.seat.get_pointer() else {
            return;
        };
        let event = button_event(evdev, pressed, self.airgui.now_ms());
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

    fn start_grab(&mut self, evdev: u32, grab: Grab) {
        if evdev == BTN_LEFT {
            self.airgui.input.grab = Some(grab);
            self.refresh_pointer_shape();
        }
    }

    /// The user clicked a window: it gets focus and comes to the top.
    fn focus_window(&mut self, key: ShellKey) {
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
        for x in [1, 2, 3, 8, 9] {
            assert_eq!(evdev_button(x).and_then(x_button), Some(x));
        }
        assert_eq!(evdev_button(4), None);
    }
}
