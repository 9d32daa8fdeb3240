//! WINDOW_FLAGS to the agent: the window's state as the daemon has it (fullscreen, demanding
//! attention, minimized), told whenever it differs from what the agent was last told. This is how
//! the reference daemon acknowledges an agent's request (a FULLSCREEN turned into maximize is
//! acknowledged as FULLSCREEN, so applications do not wait for it) and reports the user's own
//! changes (restoring a minimized window, attending to one that asked for attention).

use guid_protocol::msg::{flags, Message, WindowFlags};

use super::WindowKey;
use crate::shell::{ShellWindow, Sizing};
use crate::shell_key::ShellKey;
use crate::state::State;

/// The flags a window has now. `fullscreen_requested` is an agent's FULLSCREEN that became
/// maximize.
pub fn current<K>(
    window: &ShellWindow<K>,
    fullscreen_requested: bool,
    demands_attention: bool,
) -> u32 {
    let fullscreen = match window.sizing {
        Sizing::Fullscreen { .. } => true,
        Sizing::Maximized { .. } => fullscreen_requested,
        Sizing::Normal => false,
    };
    let mut now = 0;
    for (on, bit) in [
        (fullscreen, flags::FULLSCREEN),
        (demands_attention, flags::DEMANDS_ATTENTION),
        (window.minimized, flags::MINIMIZE),
    ] {
        if on {
            now |= bit;
        }
    }
    now
}

/// The message taking the agent from `told` to `now`, if they differ.
pub fn change(told: u32, now: u32) -> Option<WindowFlags> {
    (told != now).then_some(WindowFlags {
        set: now & !told,
        unset: told & !now,
    })
}

/// Tells every agent the flags of its mapped windows that changed since it was last told.
/// Called after each turn of the event loop, so that every path that changes them (the agent's
/// requests, the user's focus) is covered. A window the user focused no longer demands
/// attention.
pub fn sync_all(state: &mut State) {
    let focus = state.airgui.shell.focus();
    let mut changes = Vec::new();
    for (index, qube) in state.airgui.qubes.iter_mut().enumerate() {
        if qube.link.is_none() {
            continue;
        }
        for (id, window) in &mut qube.windows {
            let key = WindowKey {
                qube: index,
                window: *id,
            };
            let Some(shown) = state.airgui.shell.window(ShellKey::Qube(key)) else {
                continue;
            };
            if !shown.mapped {
                continue;
            }
            if focus == Some(ShellKey::Qube(key)) {
                window.demands_attention = false;
            }
            let now = current(shown, window.fullscreen_requested, window.demands_attention);
            if let Some(message) = change(window.flags_told, now) {
                window.flags_told = now;
                changes.push((key, message));
            }
        }
    }
    for (key, message) in changes {
        state.send(key.qube, Some(key.window), &Message::WindowFlags(message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guid_protocol::Rect;

    fn window(sizing: Sizing, minimized: bool) -> ShellWindow<u32> {
        ShellWindow {
            content: Rect::new(0, 0, 10, 10),
            kind: crate::shell::WindowKind::Normal,
            mapped: true,
            minimized,
            sizing,
            transient_for: None,
            size_limits: Default::default(),
        }
    }

    #[test]
    fn a_fullscreen_request_turned_into_maximize_is_acknowledged_as_fullscreen() {
        let restore = Rect::new(0, 0, 10, 10);
        let maximized = window(Sizing::Maximized { restore }, false);
        assert_eq!(current(&maximized, true, false), flags::FULLSCREEN);
        assert_eq!(current(&maximized, false, false), 0);
        let fullscreen = window(Sizing::Fullscreen { restore }, true);
        assert_eq!(
            current(&fullscreen, false, true),
            flags::FULLSCREEN | flags::DEMANDS_ATTENTION | flags::MINIMIZE
        );
    }

    #[test]
    fn only_what_changed_is_set_or_unset() {
        assert_eq!(change(3, 3), None);
        assert_eq!(
            change(
                flags::FULLSCREEN | flags::DEMANDS_ATTENTION,
                flags::MINIMIZE | 1
            ),
            Some(WindowFlags {
                set: flags::MINIMIZE,
                unset: flags::DEMANDS_ATTENTION
            })
        );
    }
}
