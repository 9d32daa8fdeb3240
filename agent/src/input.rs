//! What the daemon sends, played back to the qube's clients: keys and pointer events through the
//! seat, focus as keyboard enter and leave, CLOSE and CONFIGURE through the shell.

use guid_protocol::msg::{kind, Configure, Message, KEYMAP_LEN, X_KEYCODES};
use smithay::backend::input::{Axis, AxisSource, KeyState};
use smithay::desktop::utils::under_from_surface_tree;
use smithay::desktop::WindowSurfaceType;
use smithay::input::keyboard::{FilterResult, Keycode};
use smithay::input::pointer::{AxisFrame, MotionEvent};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, SERIAL_COUNTER};

use super::windows::{self, Role};
use super::Agent;
use airgui_wayland_common::pointer::{button_event, evdev_button, SCROLL_PER_NOTCH};

/// Where the pointer is, as far as the daemon told us.
#[derive(Debug, Default)]
pub struct PointerState {
    /// The window under the pointer.
    pub window: Option<u32>,
}

/// One message from the daemon.
pub fn handle_message(agent: &mut Agent, window: u32, message: Message) {
    match message {
        // Keys for a window that is gone (the daemon sent them before our DESTROY) go nowhere,
        // and so do keycodes no X keymap has (smithay subtracts 8 from them).
        Message::Keypress(_) if agent.windows.get(window).is_none() => {}
        Message::Keypress(key) if !X_KEYCODES.contains(&key.keycode) => {
            tracing::debug!(
                keycode = key.keycode,
                "KEYPRESS of a keycode X has not: dropped"
            );
        }
        Message::Keypress(key) => {
            focus_keyboard(agent, window);
            let state = if key.kind == kind::KEY_PRESS {
                KeyState::Pressed
            } else {
                KeyState::Released
            };
            key_input(agent, key.keycode, state);
        }
        Message::Button(button) => {
            pointer_motion(agent, window, button.x, button.y);
            let pressed = button.kind == kind::BUTTON_PRESS;
            if pressed {
                dismiss_popups_outside(agent, window);
            }
            pointer_button(agent, button.button, pressed);
        }
        Message::Motion(motion) => pointer_motion(agent, window, motion.x, motion.y),
        Message::Crossing(crossing) if crossing.kind == kind::ENTER => {
            pointer_motion(agent, window, crossing.x, crossing.y)
        }
        Message::Crossing(_) => pointer_leave(agent, window),
        Message::Focus(focus) if focus.kind == kind::FOCUS_IN => focus_keyboard(agent, window),
        Message::Focus(_) => {
            let focused = keyboard_focus(agent);
            let ours = agent
                .windows
                .get(window)
                .map(|w| w.role.wl_surface().clone());
            if focused.is_some() && focused == ours {
                set_keyboard_focus(agent, None);
                dismiss_popups_outside(agent, 0);
            }
        }
        Message::Close => match agent.windows.get(window).map(|w| w.role.clone()) {
            Some(Role::Toplevel(toplevel)) => toplevel.send_close(),
            Some(Role::Popup { popup, .. }) => popup.send_popup_done(),
            None => {}
        },
        Message::Configure(configure) => configured(agent, window, configure),
        Message::WindowDumpAck => windows::dump_acknowledged(agent, window),
        Message::ClipboardReq => super::clipboard::requested(agent, window),
        Message::ClipboardData(data) => super::clipboard::received(agent, data),
        Message::KeymapNotify(held) => release_keys_not_held(agent, &held),
        // DESTROY is the daemon's acknowledgement of ours.
        _ => {}
    }
}

/// The daemon moved or resized the window: confirm its geometry, which it keeps until we do,
/// and ask a toplevel's client for the new size.
fn configured(agent: &mut Agent, id: u32, configure: Configure) {
    let Some(window) = agent.windows.get_mut(id) else {
        return;
    };
    let resized =
        (configure.width, configure.height) != (window.geometry.width, window.geometry.height);
    window.geometry =
        guid_protocol::Rect::new(configure.x, configure.y, configure.width, configure.height);
    let role = window.role.clone();
    windows::configure(agent, id);
    if let (true, Role::Toplevel(toplevel)) = (resized, role) {
        let size = (
            i32::try_from(configure.width).unwrap_or(i32::MAX),
            i32::try_from(configure.height).unwrap_or(i32::MAX),
        );
        toplevel.with_pending_state(|state| state.size = Some(size.into()));
        toplevel.send_pending_configure();
    }
}

fn keyboard_focus(agent: &Agent) -> Option<WlSurface> {
    agent.seat.get_keyboard().and_then(|k| k.current_focus())
}

fn set_keyboard_focus(agent: &mut Agent, surface: Option<WlSurface>) {
    if let Some(keyboard) = agent.seat.get_keyboard() {
        keyboard.set_focus(agent, surface, SERIAL_COUNTER.next_serial());
    }
}

/// Keys go to the window the daemon names; it focuses toplevels only, so a popup's keys arrive
/// for its parent and go to the topmost popup the client grabbed for (a menu being navigated).
fn focus_keyboard(agent: &mut Agent, id: u32) {
    let Some(window) = agent.windows.get(id) else {
        return;
    };
    let target = agent
        .windows
        .grabbing_popup(id)
        .unwrap_or_else(|| window.role.wl_surface().clone());
    if keyboard_focus(agent).as_ref() != Some(&target) {
        set_keyboard_focus(agent, Some(target));
    }
}

/// An X keycode (evdev + 8, the GUI qube's keymap, which is ours too) to the focused client.
fn key_input(agent: &mut Agent, keycode: u32, state: KeyState) {
    let Some(keyboard) = agent.seat.get_keyboard() else {
        return;
    };
    let time = agent.now_ms();
    keyboard.input::<(), _>(
        agent,
        Keycode::new(keycode),
        state,
        SERIAL_COUNTER.next_serial(),
        time,
        |_, _, _| FilterResult::Forward,
    );
}

/// Before focus or the pointer comes back, the daemon says which keys are held (KEYMAP_NOTIFY).
/// A key released while another window had focus (the Alt of Alt+Tab) never reached us:
/// release it now, or the qube's keyboard would go on thinking it is held.
fn release_keys_not_held(agent: &mut Agent, held: &[u8; KEYMAP_LEN]) {
    let Some(keyboard) = agent.seat.get_keyboard() else {
        return;
    };
    let stale: Vec<Keycode> = keyboard
        .pressed_keys()
        .into_iter()
        .filter(|code| !is_held(held, code.raw()))
        .collect();
    for code in stale {
        key_input(agent, code.raw(), KeyState::Released);
    }
}

/// Whether X keycode `code` is set in a KEYMAP_NOTIFY bitmap.
fn is_held(bitmap: &[u8; KEYMAP_LEN], code: u32) -> bool {
    let code = code as usize;
    bitmap
        .get(code / 8)
        .is_some_and(|byte| byte & (1 << (code % 8)) != 0)
}

/// The pointer is at (x, y) of a window's content: the surface of its tree under that point
/// gets the motion. Locations are in output coordinates, so that a drag which leaves the window
/// still reaches the surface it started on at the right place.
fn pointer_motion(agent: &mut Agent, id: u32, x: i32, y: i32) {
    let Some(window) = agent.windows.get(id) else {
        return;
    };
    let root = window.role.wl_surface().clone();
    let root_at = window.surface_origin();
    let location: Point<f64, Logical> = (
        f64::from(window.geometry.x.saturating_add(x)),
        f64::from(window.geometry.y.saturating_add(y)),
    )
        .into();
    let in_root = location - root_at.to_f64();
    let focus = under_from_surface_tree(
        &root,
        in_root,
        (0, 0),
        WindowSurfaceType::TOPLEVEL | WindowSurfaceType::SUBSURFACE,
    )
    .map(|(surface, at)| (surface, (at + root_at).to_f64()));
    agent.input.window = Some(id);
    let Some(pointer) = agent.seat.get_pointer() else {
        return;
    };
    let event = MotionEvent {
        location,
        serial: SERIAL_COUNTER.next_serial(),
        time: agent.now_ms(),
    };
    pointer.motion(agent, focus, &event);
    pointer.frame(agent);
}

/// The pointer left the window.
fn pointer_leave(agent: &mut Agent, id: u32) {
    if agent.input.window != Some(id) {
        return;
    }
    agent.input.window = None;
    let Some(pointer) = agent.seat.get_pointer() else {
        return;
    };
    let event = MotionEvent {
        location: pointer.current_location(),
        serial: SERIAL_COUNTER.next_serial(),
        time: agent.now_ms(),
    };
    pointer.motion(agent, None, &event);
    pointer.frame(agent);
}

/// An X button: 1 to 3 and 8, 9 are buttons; 4 to 7 are wheel notches, sent as axis events.
fn pointer_button(agent: &mut Agent, button: u32, pressed: bool) {
    let Some(pointer) = agent.seat.get_pointer() else {
        return;
    };
    let time = agent.now_ms();
    let (axis, notches) = match button {
        4 => (Axis::Vertical, -1),
        5 => (Axis::Vertical, 1),
        6 => (Axis::Horizontal, -1),
        7 => (Axis::Horizontal, 1),
        _ => {
            let Some(evdev) = evdev_button(button) else {
                return;
            };
            pointer.button(agent, &button_event(evdev, pressed, time));
            pointer.frame(agent);
            return;
        }
    };
    // A notch arrives as a press and a release: one scroll step, on the press.
    if !pressed {
        return;
    }
    let frame = AxisFrame::new(time)
        .source(AxisSource::Wheel)
        .value(axis, f64::from(notches) * SCROLL_PER_NOTCH)
        .v120(axis, notches * 120);
    pointer.axis(agent, frame);
    pointer.frame(agent);
}

/// A click outside a grabbing popup's chain closes the chain, as the user expects of a menu.
fn dismiss_popups_outside(agent: &mut Agent, clicked: u32) {
    for popup in agent.windows.grabbing_popups_outside(clicked) {
        popup.send_popup_done();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keymap_bitmap_is_read_one_bit_per_x_keycode() {
        let mut bitmap = [0u8; KEYMAP_LEN];
        // X keycode 64 (Alt_L, evdev 56) and 255, the last one.
        bitmap[8] = 1;
        bitmap[31] = 0x80;
        assert!(is_held(&bitmap, 64));
        assert!(is_held(&bitmap, 255));
        assert!(!is_held(&bitmap, 65));
        assert!(!is_held(&bitmap, 256), "beyond the bitmap nothing is held");
    }
}
