//! The compositor's own key chords. They are swallowed, press and release: a qube never sees
//! them (spec §6 for the clipboard chords).

use std::collections::HashSet;

use smithay::input::keyboard::{xkb::Keysym, FilterResult, KeysymHandle, ModifiersState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Ctrl+Shift+C: copy the focused qube's clipboard into the GUI qube's.
    Copy,
    /// Ctrl+Shift+V: paste the GUI qube's clipboard into the focused qube.
    Paste,
    /// Alt+Tab: focus the next window.
    FocusNext,
    /// The release of a key whose press was a shortcut.
    Swallowed,
}

/// The shortcut for a key press with these modifiers and level-0 keysyms, if any.
pub fn shortcut_for(modifiers: &ModifiersState, syms: &[Keysym]) -> Option<Shortcut> {
    let has = |sym: Keysym| syms.contains(&sym);
    let ctrl_shift = modifiers.ctrl && modifiers.shift && !modifiers.alt && !modifiers.logo;
    if ctrl_shift && has(Keysym::c) {
        Some(Shortcut::Copy)
    } else if ctrl_shift && has(Keysym::v) {
        Some(Shortcut::Paste)
    } else if modifiers.alt && !modifiers.ctrl && has(Keysym::Tab) {
        Some(Shortcut::FocusNext)
    } else {
        None
    }
}

/// The keyboard filter: intercepts shortcut presses, and the releases of the same keys. With a
/// zone or one of the GUI qube's own windows focused (`chords_pass`), the clipboard chords pass
/// through to it: the zone's slave acts on them, a native program copies and pastes within the
/// GUI qube (a qube's clipboard never reaches it).
pub fn filter(
    swallowed: &mut HashSet<u32>,
    modifiers: &ModifiersState,
    key: &KeysymHandle<'_>,
    evdev: u32,
    pressed: bool,
    chords_pass: bool,
) -> FilterResult<Shortcut> {
    if !pressed {
        return if swallowed.remove(&evdev) {
            FilterResult::Intercept(Shortcut::Swallowed)
        } else {
            FilterResult::Forward
        };
    }
    match shortcut_for(modifiers, &key.raw_syms()) {
        Some(Shortcut::Copy | Shortcut::Paste) if chords_pass => FilterResult::Forward,
        Some(shortcut) => {
            swallowed.insert(evdev);
            FilterResult::Intercept(shortcut)
        }
        None => FilterResult::Forward,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mods(ctrl: bool, shift: bool, alt: bool) -> ModifiersState {
        ModifiersState {
            ctrl,
            shift,
            alt,
            ..ModifiersState::default()
        }
    }

    #[test]
    fn clipboard_chords_need_ctrl_and_shift() {
        assert_eq!(
            shortcut_for(&mods(true, true, false), &[Keysym::c]),
            Some(Shortcut::Copy)
        );
        assert_eq!(
            shortcut_for(&mods(true, true, false), &[Keysym::v]),
            Some(Shortcut::Paste)
        );
        assert_eq!(
            shortcut_for(&mods(true, false, false), &[Keysym::c]),
            None,
            "plain Ctrl+C is the qube's"
        );
        assert_eq!(shortcut_for(&mods(false, true, false), &[Keysym::v]), None);
        assert_eq!(shortcut_for(&mods(true, true, true), &[Keysym::c]), None);
    }

    #[test]
    fn alt_tab_cycles() {
        assert_eq!(
            shortcut_for(&mods(false, false, true), &[Keysym::Tab]),
            Some(Shortcut::FocusNext)
        );
        assert_eq!(
            shortcut_for(&mods(false, false, false), &[Keysym::Tab]),
            None
        );
    }
}
