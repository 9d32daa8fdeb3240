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
    /// Ctrl+Alt+F1..F12 on a login session: show that VT.
    SwitchVt(i32),
    /// The release of a key whose press was a shortcut.
    Swallowed,
}

/// The shortcut for a key press with these modifiers and level-0 keysyms (of the Latin layout,
/// see [`super::keymap::KeyResolver::shortcut_syms`]), if any.
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

/// XF86Switch_VT_1: what Ctrl+Alt+F1 gives in xkb's keymaps (F2 the next, and so on).
const SWITCH_VT_1: u32 = 0x1008_fe01;

/// The VT Ctrl+Alt+F`n` asks for: xkb's XF86Switch_VT_n, or F`n` with Ctrl and Alt held in a
/// keymap that has no such keysym.
pub fn vt_for(modifiers: &ModifiersState, modified: Keysym, raw: &[Keysym]) -> Option<i32> {
    let switch = modified.raw().wrapping_sub(SWITCH_VT_1);
    if switch < 12 {
        return Some(switch as i32 + 1);
    }
    if !(modifiers.ctrl && modifiers.alt) {
        return None;
    }
    raw.iter()
        .map(|sym| sym.raw().wrapping_sub(Keysym::F1.raw()))
        .find(|offset| *offset < 12)
        .map(|offset| offset as i32 + 1)
}

/// The keyboard filter: intercepts shortcut presses, and the releases of the same keys. `syms`
/// are the key's level-0 keysyms in the Latin layout, which shortcuts are matched on. With a
/// zone or one of the GUI qube's own windows focused (`chords_pass`), the clipboard chords pass
/// through to it: the zone's slave acts on them, a native program copies and pastes within the
/// GUI qube (a qube's clipboard never reaches it).
#[allow(clippy::too_many_arguments)]
pub fn filter(
    swallowed: &mut HashSet<u32>,
    modifiers: &ModifiersState,
    key: &KeysymHandle<'_>,
    syms: &[Keysym],
    evdev: u32,
    pressed: bool,
    chords_pass: bool,
    switches_vt: bool,
) -> FilterResult<Shortcut> {
    if !pressed {
        return if swallowed.remove(&evdev) {
            FilterResult::Intercept(Shortcut::Swallowed)
        } else {
            FilterResult::Forward
        };
    }
    let vt = switches_vt
        .then(|| vt_for(modifiers, key.modified_sym(), syms))
        .flatten();
    if let Some(vt) = vt {
        swallowed.insert(evdev);
        return FilterResult::Intercept(Shortcut::SwitchVt(vt));
    }
    match shortcut_for(modifiers, syms) {
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
    use crate::input::keymap::tests::resolver;

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
    fn clipboard_chords_match_the_latin_layout_while_a_cyrillic_one_is_active() {
        // evdev KEY_C and KEY_V, as X keycodes.
        const C: u32 = 46 + 8;
        const V: u32 = 47 + 8;
        let ctrl_shift = mods(true, true, false);
        // Russian is the first layout, active from the start; its C key makes Cyrillic es.
        let ru_us = resolver("ru,us");
        assert_eq!(ru_us.keymap_syms(0, C), [Keysym::Cyrillic_es]);
        assert_eq!(
            shortcut_for(&ctrl_shift, ru_us.shortcut_syms(0, C)),
            Some(Shortcut::Copy)
        );
        assert_eq!(
            shortcut_for(&ctrl_shift, ru_us.shortcut_syms(0, V)),
            Some(Shortcut::Paste)
        );
        // With the Latin layout active, its own keys count, whatever comes first.
        let us_ru = resolver("us,ru");
        assert_eq!(
            shortcut_for(&ctrl_shift, us_ru.shortcut_syms(1, C)),
            Some(Shortcut::Copy)
        );
        // A Latin layout that moves letters (French AZERTY's A is on Q's key) keeps its own.
        let fr_us = resolver("fr,us");
        assert_eq!(fr_us.shortcut_syms(0, 16 + 8), [Keysym::a]);
        // Alt+Tab needs no letter: Tab is Tab in every layout.
        assert_eq!(
            shortcut_for(&mods(false, false, true), ru_us.shortcut_syms(0, 15 + 8)),
            Some(Shortcut::FocusNext)
        );
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

    #[test]
    fn ctrl_alt_function_keys_name_vts() {
        let none = ModifiersState::default();
        let ctrl_alt = mods(true, false, true);
        let switch = |n: u32| Keysym::new(SWITCH_VT_1 + n - 1);
        assert_eq!(vt_for(&ctrl_alt, switch(1), &[Keysym::F1]), Some(1));
        assert_eq!(vt_for(&ctrl_alt, switch(12), &[Keysym::F12]), Some(12));
        assert_eq!(vt_for(&ctrl_alt, Keysym::F3, &[Keysym::F3]), Some(3));
        assert_eq!(vt_for(&none, Keysym::F3, &[Keysym::F3]), None);
        assert_eq!(
            vt_for(&mods(true, false, false), Keysym::F3, &[Keysym::F3]),
            None
        );
        assert_eq!(vt_for(&ctrl_alt, Keysym::F13, &[Keysym::F13]), None);
        assert_eq!(vt_for(&ctrl_alt, Keysym::a, &[Keysym::a]), None);
    }
}
