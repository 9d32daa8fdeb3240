//! Key names and text as the key presses that produce them under the configured keymap, for
//! test input (`airgui msg key ctrl+shift+c`, `airgui msg type hello`).

use smithay::input::keyboard::xkb::{self, Keysym};

use smithay::input::keyboard::XkbConfig;
use smithay::input::{Seat, SeatHandler};

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
}

/// Gives `seat` a keyboard with the configured keymap and repeat, so that keycodes mean the
/// same keys wherever this configuration is used (the GUI qube and its qubes' agents).
pub fn add_keyboard<D: SeatHandler + 'static>(
    seat: &mut Seat<D>,
    keyboard: &KeyboardConfig,
) -> anyhow::Result<()> {
    let xkb = XkbConfig {
        rules: "",
        model: &keyboard.model,
        layout: &keyboard.layout,
        variant: &keyboard.variant,
        options: (!keyboard.options.is_empty()).then(|| keyboard.options.clone()),
    };
    let delay = i32::try_from(keyboard.repeat_delay_ms).unwrap_or(i32::MAX);
    let rate = i32::try_from(keyboard.repeat_rate_hz).unwrap_or(i32::MAX);
    seat.add_keyboard(xkb, delay, rate).map_err(|error| {
        anyhow::anyhow!(
            "cannot load the keymap (keyboard.layout = {:?}): {error}; is xkb-data installed?",
            keyboard.layout
        )
    })?;
    Ok(())
}

impl std::fmt::Debug for KeyResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyResolver")
    }
}

/// A key, and whether it needs Shift (its symbol is on level 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stroke {
    evdev: u32,
    shift: bool,
}

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
        Ok(KeyResolver { keymap })
    }

    /// The keys of a chord such as `Return` or `ctrl+shift+c`, in the order to press them
    /// (release in reverse).
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
                self.find(sym)
                    .ok_or_else(|| KeyError::NotInKeymap(modifier.into()))?
                    .evdev,
            );
        }
        let sym = named_keysym(name).ok_or_else(|| KeyError::UnknownName(name.into()))?;
        let stroke = self
            .find(sym)
            .ok_or_else(|| KeyError::NotInKeymap(name.into()))?;
        keys.push(stroke.evdev);
        Ok(keys)
    }

    /// The chords that type `text`, one per character.
    pub fn text(&self, text: &str) -> Result<Vec<Vec<u32>>, KeyError> {
        let shift = self.find(Keysym::Shift_L).map(|s| s.evdev);
        text.chars()
            .map(|c| {
                let sym = match c {
                    '\n' => Keysym::Return,
                    '\t' => Keysym::Tab,
                    c => xkb::utf32_to_keysym(u32::from(c)),
                };
                let stroke = self
                    .find(sym)
                    .ok_or_else(|| KeyError::NotInKeymap(c.to_string()))?;
                Ok(match (stroke.shift, shift) {
                    (true, Some(shift)) => vec![shift, stroke.evdev],
                    (true, None) => return Err(KeyError::NotInKeymap(c.to_string())),
                    (false, _) => vec![stroke.evdev],
                })
            })
            .collect()
    }

    /// The first key making `sym` without modifiers, else with Shift.
    fn find(&self, sym: Keysym) -> Option<Stroke> {
        if sym == Keysym::NoSymbol {
            return None;
        }
        let codes = self.keymap.min_keycode().raw()..=self.keymap.max_keycode().raw();
        for level in 0..2 {
            for code in codes.clone() {
                let keycode = xkb::Keycode::new(code);
                if level < self.keymap.num_levels_for_key(keycode, 0)
                    && self
                        .keymap
                        .key_get_syms_by_level(keycode, 0, level)
                        .contains(&sym)
                {
                    return Some(Stroke {
                        evdev: code.checked_sub(EVDEV_OFFSET)?,
                        shift: level == 1,
                    });
                }
            }
        }
        None
    }
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
mod tests {
    use super::*;

    fn us() -> KeyResolver {
        KeyResolver::new(&KeyboardConfig {
            layout: "us".into(),
            variant: String::new(),
            options: String::new(),
            model: String::new(),
            repeat_delay_ms: 600,
            repeat_rate_hz: 25,
        })
        .unwrap()
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
