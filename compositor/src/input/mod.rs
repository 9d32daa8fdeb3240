//! Input from any source (test input over IPC now; RDP and libinput later) enters here, as evdev
//! key codes and pointer events in output coordinates, and goes through the same shortcuts,
//! focus rules and routing whatever its source.

pub mod codes;
#[cfg(any(feature = "winit", feature = "udev"))]
mod devices;
pub mod focus;
pub mod keymap;
mod qube_target;
pub mod shortcuts;
pub mod tracking;
mod zone_target;

use guid_protocol::msg::{Message, Version};
use smithay::backend::input::{Axis, AxisSource, KeyState};
use smithay::input::keyboard::Keycode;
use smithay::input::pointer::{AxisFrame, MotionEvent};
use smithay::utils::{Logical, Point, SERIAL_COUNTER};
use tracing::info;

use crate::render::cursor::{Pointer, PointerShape};
use crate::shell::{Edges, Hit};
use crate::shell_key::ShellKey;
use crate::state::State;
use crate::zones::pointer::cut_to_zone;
use codes::{button_event, x_button, x_button_mask, BTN_LEFT, SCROLL_PER_NOTCH};
use focus::FocusTarget;
use shortcuts::Shortcut;
use tracking::Grab;

/// The pointer over a border whose drag moves these edges.
fn edges_pointer(edges: Edges) -> Pointer {
    match (edges.left || edges.right, edges.top || edges.bottom) {
        (true, false) => Pointer::ResizeHorizontal,
        (false, true) => Pointer::ResizeVertical,
        _ => Pointer::Move,
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
