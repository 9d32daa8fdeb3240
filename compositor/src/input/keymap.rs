//! Key names and text as the key presses that produce them under the configured keymap, for
//! test input (`airgui msg key ctrl+shift+c`, `airgui msg type hello`); and the keysyms the
//! compositor's shortcuts are matched on, whatever layout is active.

use guid_protocol::msg::X_KEYCODES;
use smithay::input::keyboard::xkb::{self, Keysym};

use crate::config::KeyboardConfig;

/// The lowest evdev code xkb keycodes map to (X keycode = evdev + 8).
const EVDEV_OFFSET: u32 = 8;
/// evdev codes of the lock keys, for following a remote client's lock state.
pub const KEY_CAPSLOCK: u32 = 58;
pub const KEY_NUMLOCK: u32 = 69;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("{0:?} is not a key name (use xkb names such as Return, Tab, F5, a, or ctrl+shift+c)")]
    UnknownName(String),
    #[error("{0:?} is not a modifier (use ctrl, shift, alt, super or altgr)")]
    UnknownModifier(String),
    #[error("the keymap has no key for {0:?}")]
    NotInKeymap(String),
}

/// The keymap, for finding which keys make which symbols.
pub struct KeyResolver {
    keymap: xkb::Keymap,
    /// Per layout (xkb group): whether it has the Latin letters.
    latin: Vec<bool>,
}

impl std::fmt::Debug for KeyResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyResolver")
    }
}

/// A key, and the modifier keys to hold while it is pressed (evdev codes).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stroke {
    modifiers: Vec<u32>,
    evdev: u32,
}

/// The modifiers a symbol may need, tried in this order: none, Shift, AltGr (level 3, where
/// German keeps `~` and `|`), both.
const LEVEL_MODIFIERS: [&[Keysym]; 4] = [
    &[],
    &[Keysym::Shift_L],
    &[Keysym::ISO_Level3_Shift],
    &[Keysym::Shift_L, Keysym::ISO_Level3_Shift],
];

impl KeyResolver {
    pub fn new(config: &KeyboardConfig) -> anyhow::Result<Self> {
        let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
        let options = (!config.options.is_empty()).then(|| config.options.clone());
        let keymap = xkb::Keymap::new_from_names(
            &context,
            "",
            &config.model,
            &config.layout,
            &config.variant,
            options,
            xkb::KEYMAP_COMPILE_NO_FLAGS,
        )
        .ok_or_else(|| {
            anyhow::anyhow!(
                "cannot compile the keymap {:?}; is xkb-data installed?",
                config.layout
            )
        })?;
        let latin = (0..keymap.num_layouts())
            .map(|group| has_latin_letters(&keymap, group))
            .collect();
        Ok(KeyResolver { keymap, latin })
    }

    /// The keys of a chord such as `Return` or `ctrl+shift+c`, in the order to press them
    /// (release in reverse). A key is looked for in the first layout, then in the others, so that
    /// `ctrl+shift+c` is the key that is C in a Latin layout after a Cyrillic one.
    pub fn chord(&self, chord: &str) -> Result<Vec<u32>, KeyError> {
        let mut parts: Vec<&str> = chord.split('+').collect();
        let name = parts
            .pop()
            .filter(|name| !name.is_empty())
            .ok_or_else(|| KeyError::UnknownName(chord.into()))?;
        let mut keys = Vec::new();
        for modifier in parts {
            let sym = match modifier.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => Keysym::Control_L,
                "shift" => Keysym::Shift_L,
                "alt" => Keysym::Alt_L,
                "super" | "logo" | "win" => Keysym::Super_L,
                "altgr" => Keysym::ISO_Level3_Shift,
                _ => return Err(KeyError::UnknownModifier(modifier.into())),
            };
            keys.push(
                self.key_for(sym, &[], 0)
                    .ok_or_else(|| KeyError::NotInKeymap(modifier.into()))?,
            );
        }
        let sym = named_keysym(name).ok_or_else(|| KeyError::UnknownName(name.into()))?;
        let stroke = (0..self.keymap.num_layouts())
            .find_map(|group| self.find(sym, group))
            .ok_or_else(|| KeyError::NotInKeymap(name.into()))?;
        // The key itself: the modifiers are the chord's to name.
        keys.push(stroke.evdev);
        Ok(keys)
    }

    /// The chords that type `text` in the first layout, one per character.
    pub fn text(&self, text: &str) -> Result<Vec<Vec<u32>>, KeyError> {
        text.chars()
            .map(|c| {
                let sym = match c {
                    '\n' => Keysym::Return,
                    '\t' => Keysym::Tab,
                    c => xkb::utf32_to_keysym(u32::from(c)),
                };
                let mut stroke = self
                    .find(sym, 0)
                    .ok_or_else(|| KeyError::NotInKeymap(c.to_string()))?;
                stroke.modifiers.push(stroke.evdev);
                Ok(stroke.modifiers)
            })
            .collect()
    }

    /// The level-0 keysyms of X keycode `keycode` that shortcuts are matched on while `layout`
    /// is active: that layout's if it has the Latin letters, else the first Latin layout's, so
    /// that Ctrl+Shift+C is the same key on a Russian layout as on the user's Latin one (as
    /// GNOME and sway match their bindings).
    pub fn shortcut_syms(&self, layout: u32, keycode: u32) -> &[Keysym] {
        let is_latin = |group: usize| self.latin.get(group).copied().unwrap_or(false);
        let group = match self.latin.iter().position(|latin| *latin) {
            Some(first) if !is_latin(layout as usize) => first as u32,
            _ => layout,
        };
        self.keymap
            .key_get_syms_by_level(xkb::Keycode::new(keycode), group, 0)
    }

    /// The level-0 keysyms of X keycode `keycode` in layout `group`, as the keymap has them.
    #[cfg(test)]
    pub fn keymap_syms(&self, group: u32, keycode: u32) -> &[Keysym] {
        self.keymap
            .key_get_syms_by_level(xkb::Keycode::new(keycode), group, 0)
    }

    /// The first way to make `sym` in layout `group`: a key alone, else with the fewest
    /// modifiers (see [`LEVEL_MODIFIERS`]).
    fn find(&self, sym: Keysym, group: u32) -> Option<Stroke> {
        if sym == Keysym::NoSymbol {
            return None;
        }
        LEVEL_MODIFIERS.iter().find_map(|modifiers| {
            let modifiers = modifiers
                .iter()
                .map(|modifier| self.key_for(*modifier, &[], group))
                .collect::<Option<Vec<u32>>>()?;
            let evdev = self.key_for(sym, &modifiers, group)?;
            Some(Stroke { modifiers, evdev })
        })
    }

    /// The evdev code of the first key making `sym` while the keys `held` are down in layout
    /// `group`. Only keys an X server has count: a qube's agent is one (keycode 442, KEY_DOLLAR,
    /// makes `$` in xkb's keymaps but reaches no X client).
    fn key_for(&self, sym: Keysym, held: &[u32], group: u32) -> Option<u32> {
        let mut state = xkb::State::new(&self.keymap);
        for evdev in held {
            state.update_key(
                xkb::Keycode::new(evdev + EVDEV_OFFSET),
                xkb::KeyDirection::Down,
            );
        }
        let mods = |component| state.serialize_mods(component);
        let (depressed, latched, locked) = (
            mods(xkb::STATE_MODS_DEPRESSED),
            mods(xkb::STATE_MODS_LATCHED),
            mods(xkb::STATE_MODS_LOCKED),
        );
        state.update_mask(depressed, latched, locked, 0, 0, group);
        X_KEYCODES
            .clone()
            .find(|code| state.key_get_syms(xkb::Keycode::new(*code)).contains(&sym))
            .map(|code| code - EVDEV_OFFSET)
    }
}

/// Whether layout `group` has every Latin letter on some key's first level.
fn has_latin_letters(keymap: &xkb::Keymap, group: u32) -> bool {
    let mut letters = 0u32;
    for code in X_KEYCODES {
        for sym in keymap.key_get_syms_by_level(xkb::Keycode::new(code), group, 0) {
            if let Some(offset) = sym.raw().checked_sub(Keysym::a.raw()).filter(|o| *o < 26) {
                letters |= 1 << offset;
            }
        }
    }
    letters == (1 << 26) - 1
}

/// The keysym for an xkb key name, exact first, then ignoring case.
fn named_keysym(name: &str) -> Option<Keysym> {
    // xkbcommon's binding panics on an interior NUL; no key name has one.
    if name.contains('\0') {
        return None;
    }
    [xkb::KEYSYM_NO_FLAGS, xkb::KEYSYM_CASE_INSENSITIVE]
        .into_iter()
        .map(|flags| xkb::keysym_from_name(name, flags))
        .find(|sym| *sym != Keysym::NoSymbol)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The resolver for an xkb layout such as "de" or "ru,us".
    pub fn resolver(layout: &str) -> KeyResolver {
        KeyResolver::new(&KeyboardConfig {
            layout: layout.into(),
            variant: String::new(),
            options: String::new(),
            model: String::new(),
            repeat_delay_ms: 600,
            repeat_rate_hz: 25,
        })
        .unwrap()
    }

    fn us() -> KeyResolver {
        resolver("us")
    }

    /// What pressing `chord` (modifiers held, the last key pressed) makes in the first layout.
    fn typed(keys: &KeyResolver, chord: &[u32]) -> Vec<Keysym> {
        let (key, held) = chord.split_last().unwrap();
        let mut state = xkb::State::new(&keys.keymap);
        for evdev in held {
            state.update_key(xkb::Keycode::new(evdev + 8), xkb::KeyDirection::Down);
        }
        state.key_get_syms(xkb::Keycode::new(key + 8)).to_vec()
    }

    #[test]
    fn printable_ascii_is_typed_with_x_keys_that_make_it() {
        // German has ^ and ` only as dead keys, which compose with the next key.
        for (layout, untypable) in [("us", ""), ("de", "^`")] {
            let keys = resolver(layout);
            for c in (' '..='~').filter(|c| !untypable.contains(*c)) {
                let chords = keys
                    .text(&c.to_string())
                    .unwrap_or_else(|e| panic!("{layout}: {e}"));
                let [chord] = chords.as_slice() else {
                    panic!("{layout}: one chord for {c:?}: {chords:?}");
                };
                for evdev in chord {
                    assert!(
                        X_KEYCODES.contains(&(evdev + 8)),
                        "{layout}: {c:?} needs evdev {evdev}, which X has no keycode for"
                    );
                }
                let sym = xkb::utf32_to_keysym(u32::from(c));
                assert_eq!(typed(&keys, chord), [sym], "{layout}: {c:?} as {chord:?}");
            }
        }
    }

    // evdev codes from linux/input-event-codes.h
    const KEY_A: u32 = 30;
    const KEY_C: u32 = 46;
    const KEY_ENTER: u32 = 28;
    const KEY_LEFTSHIFT: u32 = 42;
    const KEY_LEFTCTRL: u32 = 29;
    const KEY_1: u32 = 2;

    #[test]
    fn chords_resolve_to_evdev_codes() {
        let keys = us();
        assert_eq!(keys.chord("Return"), Ok(vec![KEY_ENTER]));
        assert_eq!(
            keys.chord("ctrl+shift+c"),
            Ok(vec![KEY_LEFTCTRL, KEY_LEFTSHIFT, KEY_C])
        );
        assert_eq!(
            keys.chord("return"),
            Ok(vec![KEY_ENTER]),
            "case-insensitive fallback"
        );
        assert!(matches!(
            keys.chord("hyper+a"),
            Err(KeyError::UnknownModifier(_))
        ));
        assert!(matches!(
            keys.chord("NoSuchKey"),
            Err(KeyError::UnknownName(_))
        ));
        assert!(matches!(keys.chord("a\0b"), Err(KeyError::UnknownName(_))));
        assert!(matches!(keys.chord(""), Err(KeyError::UnknownName(_))));
    }

    #[test]
    fn text_uses_shift_for_upper_level_symbols() {
        let keys = us();
        assert_eq!(
            keys.text("a!"),
            Ok(vec![vec![KEY_A], vec![KEY_LEFTSHIFT, KEY_1]])
        );
        assert_eq!(keys.text("A"), Ok(vec![vec![KEY_LEFTSHIFT, KEY_A]]));
        assert!(matches!(keys.text("é"), Err(KeyError::NotInKeymap(_))));
    }
}
