//! PC/AT scan code set 1 ⇄ Linux evdev key codes.
//!
//! RDP keyboard input carries *scan code set 1* codes (the "XT" codes): one byte naming a key
//! position, independent of the layout, plus flags. On the wire of a real keyboard, set 1 grew two
//! prefixes that RDP turns into flags:
//!
//! - `0xE0` (RDP's `KBDFLAGS_EXTENDED`, our [`Scancode::extended`]) selects a second page of keys
//!   added with the 101-key keyboard: the right-hand Ctrl and Alt, the navigation block, keypad
//!   Enter and `/`, the Windows and Menu keys, and the multimedia keys. `0x1D` is Left Ctrl but
//!   `E0 1D` is Right Ctrl; `0x48` is keypad 8 but `E0 48` is the Up arrow.
//! - `0xE1` (RDP's `KBDFLAGS_EXTENDED1`, our [`Scancode::extended1`]) is used by one key only:
//!   Pause, which a keyboard sends as `E1 1D 45` and an RDP client as the event (`EXTENDED1`,
//!   `0x1D`) followed by a plain `0x45`. The `0x45` that follows is *not* a NumLock press (NumLock is
//!   `0x45` without any prefix): a receiver that sees it right after an `EXTENDED1 0x1D` in the same
//!   direction must drop it. (ironrdp-server 0.13 passes `extended` but not `EXTENDED1` to
//!   `KeyboardEvent`, so behind it Pause arrives as Left Ctrl + NumLock.)
//!
//! The compositor thinks in evdev codes (`linux/input-event-codes.h`). For the base block the two
//! numberings coincide (`0x01` Esc = `KEY_ESC` = 1 … `0x53` keypad `.` = `KEY_KPDOT` = 83, then
//! `0x56..=0x58` = 86..=88), but everything else (the `E0` page, F13–F24, the Japanese, Korean and
//! Brazilian keys) is irregular.
//!
//! `TABLE` is therefore the single source of truth: one row per key, set-1 scancode and evdev
//! code, with no scancode and no evdev code repeated, so that [`to_evdev`] and [`from_evdev`] are
//! exact inverses of each other by construction and cannot drift apart. A second, small list,
//! `ALIASES`, holds the *other* spellings that real clients send for a key already in the table
//! (Alt+PrintScreen as `0x54`, Ctrl+Break as `E0 46`, the Windows hook's `E0 45` for NumLock …);
//! they are accepted by [`to_evdev`] only and never produced by [`from_evdev`].
//!
//! Conventions, where sources disagree: the non-extended codes past `0x58` follow Windows (the
//! Microsoft USB-HID-to-scancode translation table, as recorded in Chromium's `dom_code_data.inc`
//! and FreeRDP's `scancode.h`), because that is what RDP clients send: F13–F23 = `0x64..=0x6E`,
//! F24 = `0x76`. The `E0` consumer keys follow the same table and, where Linux has a choice of
//! evdev code, what Linux's atkbd makes of the same scancode (as recorded in QEMU's
//! keycodemapdb).

/// A PC/AT scan code set 1 code as RDP carries it: the code byte and its prefix flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scancode {
    /// The make code, without the break (release) bit.
    pub code: u8,
    /// Prefixed by `0xE0` (RDP `KBDFLAGS_EXTENDED`).
    pub extended: bool,
    /// Prefixed by `0xE1` (RDP `KBDFLAGS_EXTENDED1`); only Pause uses it.
    pub extended1: bool,
}

impl Scancode {
    /// A code without prefix.
    pub const fn base(code: u8) -> Self {
        Self {
            code,
            extended: false,
            extended1: false,
        }
    }

    /// A code with the `0xE0` prefix.
    pub const fn e0(code: u8) -> Self {
        Self {
            code,
            extended: true,
            extended1: false,
        }
    }

    /// A code with the `0xE1` prefix.
    pub const fn e1(code: u8) -> Self {
        Self {
            code,
            extended: false,
            extended1: true,
        }
    }
}

/// The evdev code for a set-1 scancode, if it is a key we know.
pub fn to_evdev(scancode: Scancode) -> Option<u32> {
    TABLE
        .iter()
        .chain(ALIASES)
        .find(|(s, _)| *s == scancode)
        .map(|&(_, evdev)| evdev)
}

/// The set-1 scancode for an evdev code (the inverse of [`to_evdev`], aliases aside).
///
/// For `KEY_PAUSE` this is (`EXTENDED1`, `0x1D`); a sender must follow that event with a plain
/// `0x45` event in the same direction, as a keyboard's `E1 1D 45` does.
pub fn from_evdev(evdev: u32) -> Option<Scancode> {
    TABLE
        .iter()
        .find(|&&(_, e)| e == evdev)
        .map(|&(scancode, _)| scancode)
}

// Evdev codes, named as in linux/input-event-codes.h (checked against that header).
const KEY_ESC: u32 = 1;
const KEY_1: u32 = 2;
const KEY_2: u32 = 3;
const KEY_3: u32 = 4;
const KEY_4: u32 = 5;
const KEY_5: u32 = 6;
const KEY_6: u32 = 7;
const KEY_7: u32 = 8;
const KEY_8: u32 = 9;
const KEY_9: u32 = 10;
const KEY_0: u32 = 11;
const KEY_MINUS: u32 = 12;
const KEY_EQUAL: u32 = 13;
const KEY_BACKSPACE: u32 = 14;
const KEY_TAB: u32 = 15;
const KEY_Q: u32 = 16;
const KEY_W: u32 = 17;
const KEY_E: u32 = 18;
const KEY_R: u32 = 19;
const KEY_T: u32 = 20;
const KEY_Y: u32 = 21;
const KEY_U: u32 = 22;
const KEY_I: u32 = 23;
const KEY_O: u32 = 24;
const KEY_P: u32 = 25;
const KEY_LEFTBRACE: u32 = 26;
const KEY_RIGHTBRACE: u32 = 27;
const KEY_ENTER: u32 = 28;
const KEY_LEFTCTRL: u32 = 29;
const KEY_A: u32 = 30;
const KEY_S: u32 = 31;
const KEY_D: u32 = 32;
const KEY_F: u32 = 33;
const KEY_G: u32 = 34;
const KEY_H: u32 = 35;
const KEY_J: u32 = 36;
const KEY_K: u32 = 37;
const KEY_L: u32 = 38;
const KEY_SEMICOLON: u32 = 39;
const KEY_APOSTROPHE: u32 = 40;
const KEY_GRAVE: u32 = 41;
const KEY_LEFTSHIFT: u32 = 42;
const KEY_BACKSLASH: u32 = 43;
const KEY_Z: u32 = 44;
const KEY_X: u32 = 45;
const KEY_C: u32 = 46;
const KEY_V: u32 = 47;
const KEY_B: u32 = 48;
const KEY_N: u32 = 49;
const KEY_M: u32 = 50;
const KEY_COMMA: u32 = 51;
const KEY_DOT: u32 = 52;
const KEY_SLASH: u32 = 53;
const KEY_RIGHTSHIFT: u32 = 54;
const KEY_KPASTERISK: u32 = 55;
const KEY_LEFTALT: u32 = 56;
const KEY_SPACE: u32 = 57;
const KEY_CAPSLOCK: u32 = 58;
const KEY_F1: u32 = 59;
const KEY_F2: u32 = 60;
const KEY_F3: u32 = 61;
const KEY_F4: u32 = 62;
const KEY_F5: u32 = 63;
const KEY_F6: u32 = 64;
const KEY_F7: u32 = 65;
const KEY_F8: u32 = 66;
const KEY_F9: u32 = 67;
const KEY_F10: u32 = 68;
const KEY_NUMLOCK: u32 = 69;
const KEY_SCROLLLOCK: u32 = 70;
const KEY_KP7: u32 = 71;
const KEY_KP8: u32 = 72;
const KEY_KP9: u32 = 73;
const KEY_KPMINUS: u32 = 74;
const KEY_KP4: u32 = 75;
const KEY_KP5: u32 = 76;
const KEY_KP6: u32 = 77;
const KEY_KPPLUS: u32 = 78;
const KEY_KP1: u32 = 79;
const KEY_KP2: u32 = 80;
const KEY_KP3: u32 = 81;
const KEY_KP0: u32 = 82;
const KEY_KPDOT: u32 = 83;
const KEY_102ND: u32 = 86;
const KEY_F11: u32 = 87;
const KEY_F12: u32 = 88;
const KEY_RO: u32 = 89;
const KEY_KATAKANA: u32 = 90;
const KEY_HIRAGANA: u32 = 91;
const KEY_HENKAN: u32 = 92;
const KEY_KATAKANAHIRAGANA: u32 = 93;
const KEY_MUHENKAN: u32 = 94;
const KEY_KPJPCOMMA: u32 = 95;
const KEY_KPENTER: u32 = 96;
const KEY_RIGHTCTRL: u32 = 97;
const KEY_KPSLASH: u32 = 98;
const KEY_SYSRQ: u32 = 99;
const KEY_RIGHTALT: u32 = 100;
const KEY_HOME: u32 = 102;
const KEY_UP: u32 = 103;
const KEY_PAGEUP: u32 = 104;
const KEY_LEFT: u32 = 105;
const KEY_RIGHT: u32 = 106;
const KEY_END: u32 = 107;
const KEY_DOWN: u32 = 108;
const KEY_PAGEDOWN: u32 = 109;
const KEY_INSERT: u32 = 110;
const KEY_DELETE: u32 = 111;
const KEY_MUTE: u32 = 113;
const KEY_VOLUMEDOWN: u32 = 114;
const KEY_VOLUMEUP: u32 = 115;
const KEY_POWER: u32 = 116;
const KEY_KPEQUAL: u32 = 117;
const KEY_PAUSE: u32 = 119;
const KEY_KPCOMMA: u32 = 121;
const KEY_HANGEUL: u32 = 122;
const KEY_HANJA: u32 = 123;
const KEY_YEN: u32 = 124;
const KEY_LEFTMETA: u32 = 125;
const KEY_RIGHTMETA: u32 = 126;
const KEY_COMPOSE: u32 = 127;
const KEY_STOP: u32 = 128;
const KEY_UNDO: u32 = 131;
const KEY_COPY: u32 = 133;
const KEY_PASTE: u32 = 135;
const KEY_CUT: u32 = 137;
const KEY_HELP: u32 = 138;
const KEY_CALC: u32 = 140;
const KEY_SLEEP: u32 = 142;
const KEY_WAKEUP: u32 = 143;
const KEY_MAIL: u32 = 155;
const KEY_BOOKMARKS: u32 = 156;
const KEY_COMPUTER: u32 = 157;
const KEY_BACK: u32 = 158;
const KEY_FORWARD: u32 = 159;
const KEY_EJECTCD: u32 = 161;
const KEY_NEXTSONG: u32 = 163;
const KEY_PLAYPAUSE: u32 = 164;
const KEY_PREVIOUSSONG: u32 = 165;
const KEY_STOPCD: u32 = 166;
const KEY_HOMEPAGE: u32 = 172;
const KEY_REFRESH: u32 = 173;
const KEY_F13: u32 = 183;
const KEY_F14: u32 = 184;
const KEY_F15: u32 = 185;
const KEY_F16: u32 = 186;
const KEY_F17: u32 = 187;
const KEY_F18: u32 = 188;
const KEY_F19: u32 = 189;
const KEY_F20: u32 = 190;
const KEY_F21: u32 = 191;
const KEY_F22: u32 = 192;
const KEY_F23: u32 = 193;
const KEY_F24: u32 = 194;
const KEY_SEARCH: u32 = 217;
const KEY_MEDIA: u32 = 226;

const fn base(code: u8) -> Scancode {
    Scancode::base(code)
}

const fn e0(code: u8) -> Scancode {
    Scancode::e0(code)
}

const fn e1(code: u8) -> Scancode {
    Scancode::e1(code)
}

/// Every key we know, once: its canonical set-1 scancode and its evdev code.
///
/// No scancode and no evdev code appears twice (the tests check it), so the table is a bijection
/// and [`from_evdev`] inverts [`to_evdev`] exactly.
const TABLE: &[(Scancode, u32)] = &[
    // The base block: scancode = evdev code.
    (base(0x01), KEY_ESC),
    (base(0x02), KEY_1),
    (base(0x03), KEY_2),
    (base(0x04), KEY_3),
    (base(0x05), KEY_4),
    (base(0x06), KEY_5),
    (base(0x07), KEY_6),
    (base(0x08), KEY_7),
    (base(0x09), KEY_8),
    (base(0x0A), KEY_9),
    (base(0x0B), KEY_0),
    (base(0x0C), KEY_MINUS),
    (base(0x0D), KEY_EQUAL),
    (base(0x0E), KEY_BACKSPACE),
    (base(0x0F), KEY_TAB),
    (base(0x10), KEY_Q),
    (base(0x11), KEY_W),
    (base(0x12), KEY_E),
    (base(0x13), KEY_R),
    (base(0x14), KEY_T),
    (base(0x15), KEY_Y),
    (base(0x16), KEY_U),
    (base(0x17), KEY_I),
    (base(0x18), KEY_O),
    (base(0x19), KEY_P),
    (base(0x1A), KEY_LEFTBRACE),
    (base(0x1B), KEY_RIGHTBRACE),
    (base(0x1C), KEY_ENTER),
    (base(0x1D), KEY_LEFTCTRL),
    (base(0x1E), KEY_A),
    (base(0x1F), KEY_S),
    (base(0x20), KEY_D),
    (base(0x21), KEY_F),
    (base(0x22), KEY_G),
    (base(0x23), KEY_H),
    (base(0x24), KEY_J),
    (base(0x25), KEY_K),
    (base(0x26), KEY_L),
    (base(0x27), KEY_SEMICOLON),
    (base(0x28), KEY_APOSTROPHE),
    (base(0x29), KEY_GRAVE),
    (base(0x2A), KEY_LEFTSHIFT),
    (base(0x2B), KEY_BACKSLASH),
    (base(0x2C), KEY_Z),
    (base(0x2D), KEY_X),
    (base(0x2E), KEY_C),
    (base(0x2F), KEY_V),
    (base(0x30), KEY_B),
    (base(0x31), KEY_N),
    (base(0x32), KEY_M),
    (base(0x33), KEY_COMMA),
    (base(0x34), KEY_DOT),
    (base(0x35), KEY_SLASH),
    (base(0x36), KEY_RIGHTSHIFT),
    (base(0x37), KEY_KPASTERISK),
    (base(0x38), KEY_LEFTALT),
    (base(0x39), KEY_SPACE),
    (base(0x3A), KEY_CAPSLOCK),
    (base(0x3B), KEY_F1),
    (base(0x3C), KEY_F2),
    (base(0x3D), KEY_F3),
    (base(0x3E), KEY_F4),
    (base(0x3F), KEY_F5),
    (base(0x40), KEY_F6),
    (base(0x41), KEY_F7),
    (base(0x42), KEY_F8),
    (base(0x43), KEY_F9),
    (base(0x44), KEY_F10),
    (base(0x45), KEY_NUMLOCK),
    (base(0x46), KEY_SCROLLLOCK),
    (base(0x47), KEY_KP7),
    (base(0x48), KEY_KP8),
    (base(0x49), KEY_KP9),
    (base(0x4A), KEY_KPMINUS),
    (base(0x4B), KEY_KP4),
    (base(0x4C), KEY_KP5),
    (base(0x4D), KEY_KP6),
    (base(0x4E), KEY_KPPLUS),
    (base(0x4F), KEY_KP1),
    (base(0x50), KEY_KP2),
    (base(0x51), KEY_KP3),
    (base(0x52), KEY_KP0),
    (base(0x53), KEY_KPDOT),
    // 0x54 is SysRq (Alt+PrintScreen): an alias of E0 37, and evdev 84 is no key.
    // 0x55 is unassigned (evdev 85 is KEY_ZENKAKUHANKAKU, which Japanese keyboards send as 0x29).
    (base(0x56), KEY_102ND),
    (base(0x57), KEY_F11),
    (base(0x58), KEY_F12),
    // Past the base block, without prefix (Windows' assignments).
    (base(0x59), KEY_KPEQUAL),
    (base(0x5C), KEY_KPJPCOMMA),
    (base(0x64), KEY_F13),
    (base(0x65), KEY_F14),
    (base(0x66), KEY_F15),
    (base(0x67), KEY_F16),
    (base(0x68), KEY_F17),
    (base(0x69), KEY_F18),
    (base(0x6A), KEY_F19),
    (base(0x6B), KEY_F20),
    (base(0x6C), KEY_F21),
    (base(0x6D), KEY_F22),
    (base(0x6E), KEY_F23),
    (base(0x70), KEY_KATAKANAHIRAGANA),
    (base(0x71), KEY_HANJA),
    (base(0x72), KEY_HANGEUL),
    (base(0x73), KEY_RO),
    (base(0x76), KEY_F24),
    (base(0x77), KEY_HIRAGANA),
    (base(0x78), KEY_KATAKANA),
    (base(0x79), KEY_HENKAN),
    (base(0x7B), KEY_MUHENKAN),
    (base(0x7D), KEY_YEN),
    (base(0x7E), KEY_KPCOMMA),
    // The E0 page: the 101-key additions.
    (e0(0x1C), KEY_KPENTER),
    (e0(0x1D), KEY_RIGHTCTRL),
    (e0(0x35), KEY_KPSLASH),
    (e0(0x37), KEY_SYSRQ),
    (e0(0x38), KEY_RIGHTALT),
    (e0(0x47), KEY_HOME),
    (e0(0x48), KEY_UP),
    (e0(0x49), KEY_PAGEUP),
    (e0(0x4B), KEY_LEFT),
    (e0(0x4D), KEY_RIGHT),
    (e0(0x4F), KEY_END),
    (e0(0x50), KEY_DOWN),
    (e0(0x51), KEY_PAGEDOWN),
    (e0(0x52), KEY_INSERT),
    (e0(0x53), KEY_DELETE),
    (e0(0x5B), KEY_LEFTMETA),
    (e0(0x5C), KEY_RIGHTMETA),
    (e0(0x5D), KEY_COMPOSE),
    // The E0 page: system keys.
    (e0(0x5E), KEY_POWER),
    (e0(0x5F), KEY_SLEEP),
    (e0(0x63), KEY_WAKEUP),
    // The E0 page: audio and media.
    (e0(0x20), KEY_MUTE),
    (e0(0x2E), KEY_VOLUMEDOWN),
    (e0(0x30), KEY_VOLUMEUP),
    (e0(0x10), KEY_PREVIOUSSONG),
    (e0(0x19), KEY_NEXTSONG),
    (e0(0x22), KEY_PLAYPAUSE),
    (e0(0x24), KEY_STOPCD),
    (e0(0x2C), KEY_EJECTCD),
    (e0(0x6D), KEY_MEDIA),
    // The E0 page: browser and launch keys.
    (e0(0x32), KEY_HOMEPAGE),
    (e0(0x65), KEY_SEARCH),
    (e0(0x66), KEY_BOOKMARKS),
    (e0(0x67), KEY_REFRESH),
    (e0(0x68), KEY_STOP),
    (e0(0x69), KEY_FORWARD),
    (e0(0x6A), KEY_BACK),
    (e0(0x6B), KEY_COMPUTER),
    (e0(0x6C), KEY_MAIL),
    (e0(0x21), KEY_CALC),
    // The E0 page: editing keys of some keyboards.
    (e0(0x08), KEY_UNDO),
    (e0(0x0A), KEY_PASTE),
    (e0(0x17), KEY_CUT),
    (e0(0x18), KEY_COPY),
    (e0(0x3B), KEY_HELP),
    // The E1 page: Pause (E1 1D 45; the trailing 0x45 is part of the sequence).
    (e1(0x1D), KEY_PAUSE),
];

/// Other spellings of keys in [`TABLE`] that clients send; decoded by [`to_evdev`], never
/// produced by [`from_evdev`]. No scancode here is in `TABLE` and every evdev code here is.
const ALIASES: &[(Scancode, u32)] = &[
    // SysRq: what PrintScreen sends while Alt is held.
    (base(0x54), KEY_SYSRQ),
    // Break: what Pause sends while Ctrl is held (FreeRDP's RDP_SCANCODE_PAUSE; Linux's atkbd
    // also reads it as KEY_PAUSE).
    (e0(0x46), KEY_PAUSE),
    // NumLock as the Windows keyboard hook reports it (FreeRDP's RDP_SCANCODE_NUMLOCK_EXTENDED,
    // Chromium's Windows code for NumLock); an RDP client should send plain 0x45 but some pass
    // the hook's value through.
    (e0(0x45), KEY_NUMLOCK),
    // Right Shift as the Windows keyboard hook may report it (FreeRDP's
    // RDP_SCANCODE_RSHIFT_EXTENDED).
    (e0(0x36), KEY_RIGHTSHIFT),
    // F24 as FreeRDP sends it (RDP_SCANCODE_F24); Windows itself uses 0x76.
    (base(0x6F), KEY_F24),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn pairs(table: &[(Scancode, u32)]) -> impl Iterator<Item = (Scancode, u32)> + '_ {
        table.iter().copied()
    }

    #[test]
    fn table_has_no_duplicate_scancodes() {
        let mut seen = HashSet::new();
        for (s, e) in pairs(TABLE).chain(pairs(ALIASES)) {
            assert!(seen.insert(s), "{s:?} (→ {e}) appears twice");
        }
    }

    #[test]
    fn table_has_no_duplicate_evdev_codes() {
        let mut seen = HashSet::new();
        for (s, e) in pairs(TABLE) {
            assert!(seen.insert(e), "evdev {e} (from {s:?}) appears twice");
        }
    }

    #[test]
    fn aliases_only_name_keys_of_the_table() {
        for (s, e) in pairs(ALIASES) {
            let canonical = from_evdev(e).expect("alias target in TABLE");
            assert_ne!(canonical, s);
            assert_eq!(to_evdev(s), Some(e));
        }
    }

    #[test]
    fn every_entry_round_trips() {
        for (s, e) in pairs(TABLE) {
            assert_eq!(to_evdev(s), Some(e), "{s:?}");
            assert_eq!(from_evdev(e), Some(s), "evdev {e}");
            assert_eq!(from_evdev(to_evdev(s).unwrap()), Some(s));
        }
    }

    #[test]
    fn prefixes_are_used_sensibly() {
        for (s, _) in pairs(TABLE).chain(pairs(ALIASES)) {
            assert!(s.code != 0 && s.code < 0x80, "{s:?}: not a make code");
            assert!(!(s.extended && s.extended1), "{s:?}: both prefixes");
            assert!(!s.extended1 || s.code == 0x1D, "{s:?}: E1 is Pause only");
        }
    }

    #[test]
    fn base_block_is_the_identity() {
        for code in (0x01..=0x53).chain(0x56..=0x58) {
            assert_eq!(to_evdev(Scancode::base(code)), Some(u32::from(code)));
        }
    }

    #[test]
    fn specific_pairs() {
        let cases = [
            (Scancode::base(0x01), 1),   // Esc
            (Scancode::base(0x1E), 30),  // A
            (Scancode::base(0x2A), 42),  // Left Shift
            (Scancode::base(0x36), 54),  // Right Shift
            (Scancode::base(0x1D), 29),  // Left Ctrl
            (Scancode::e0(0x1D), 97),    // Right Ctrl
            (Scancode::base(0x38), 56),  // Left Alt
            (Scancode::e0(0x38), 100),   // Right Alt
            (Scancode::e0(0x5B), 125),   // Left Super
            (Scancode::e0(0x5C), 126),   // Right Super
            (Scancode::e0(0x5D), 127),   // Menu → KEY_COMPOSE
            (Scancode::base(0x3A), 58),  // Caps Lock
            (Scancode::base(0x45), 69),  // NumLock
            (Scancode::base(0x46), 70),  // Scroll Lock
            (Scancode::e0(0x37), 99),    // Print Screen → KEY_SYSRQ
            (Scancode::e1(0x1D), 119),   // Pause
            (Scancode::base(0x3B), 59),  // F1
            (Scancode::base(0x44), 68),  // F10
            (Scancode::base(0x57), 87),  // F11
            (Scancode::base(0x58), 88),  // F12
            (Scancode::base(0x64), 183), // F13
            (Scancode::base(0x6E), 193), // F23
            (Scancode::base(0x76), 194), // F24
            (Scancode::e0(0x48), 103),   // Up
            (Scancode::e0(0x50), 108),   // Down
            (Scancode::e0(0x4B), 105),   // Left
            (Scancode::e0(0x4D), 106),   // Right
            (Scancode::e0(0x47), 102),   // Home
            (Scancode::e0(0x4F), 107),   // End
            (Scancode::e0(0x49), 104),   // Page Up
            (Scancode::e0(0x51), 109),   // Page Down
            (Scancode::e0(0x52), 110),   // Insert
            (Scancode::e0(0x53), 111),   // Delete
            (Scancode::base(0x48), 72),  // KP 8
            (Scancode::e0(0x1C), 96),    // KP Enter
            (Scancode::base(0x1C), 28),  // Enter
            (Scancode::e0(0x35), 98),    // KP /
            (Scancode::base(0x35), 53),  // /
            (Scancode::base(0x37), 55),  // KP *
            (Scancode::base(0x56), 86),  // 102nd key
            (Scancode::base(0x59), 117), // KP =
            (Scancode::base(0x7E), 121), // KP , (Brazil)
            (Scancode::base(0x73), 89),  // Ro
            (Scancode::base(0x7D), 124), // Yen
            (Scancode::base(0x79), 92),  // Henkan
            (Scancode::base(0x7B), 94),  // Muhenkan
            (Scancode::base(0x70), 93),  // Katakana/Hiragana
            (Scancode::e0(0x20), 113),   // Mute
            (Scancode::e0(0x2E), 114),   // Volume Down
            (Scancode::e0(0x30), 115),   // Volume Up
            (Scancode::e0(0x5E), 116),   // Power
            (Scancode::e0(0x22), 164),   // Play/Pause
        ];
        for (s, e) in cases {
            assert_eq!(to_evdev(s), Some(e), "{s:?}");
            assert_eq!(from_evdev(e), Some(s), "evdev {e}");
        }
    }

    #[test]
    fn aliases_decode() {
        assert_eq!(to_evdev(Scancode::base(0x54)), Some(KEY_SYSRQ));
        assert_eq!(to_evdev(Scancode::e0(0x46)), Some(KEY_PAUSE));
        assert_eq!(to_evdev(Scancode::e0(0x45)), Some(KEY_NUMLOCK));
        assert_eq!(to_evdev(Scancode::e0(0x36)), Some(KEY_RIGHTSHIFT));
        assert_eq!(to_evdev(Scancode::base(0x6F)), Some(KEY_F24));
        // …and encode to the canonical spelling.
        assert_eq!(from_evdev(KEY_SYSRQ), Some(Scancode::e0(0x37)));
        assert_eq!(from_evdev(KEY_PAUSE), Some(Scancode::e1(0x1D)));
        assert_eq!(from_evdev(KEY_NUMLOCK), Some(Scancode::base(0x45)));
        assert_eq!(from_evdev(KEY_F24), Some(Scancode::base(0x76)));
    }

    #[test]
    fn a_us_keyboard_is_covered() {
        let letters = [
            KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L,
            KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X,
            KEY_Y, KEY_Z,
        ];
        let digits = [
            KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0,
        ];
        let punctuation = [
            KEY_GRAVE,
            KEY_MINUS,
            KEY_EQUAL,
            KEY_LEFTBRACE,
            KEY_RIGHTBRACE,
            KEY_BACKSLASH,
            KEY_SEMICOLON,
            KEY_APOSTROPHE,
            KEY_COMMA,
            KEY_DOT,
            KEY_SLASH,
            KEY_SPACE,
            KEY_TAB,
            KEY_ENTER,
            KEY_BACKSPACE,
            KEY_ESC,
        ];
        let function = [
            KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8, KEY_F9, KEY_F10,
            KEY_F11, KEY_F12, KEY_F13, KEY_F14, KEY_F15, KEY_F16, KEY_F17, KEY_F18, KEY_F19,
            KEY_F20, KEY_F21, KEY_F22, KEY_F23, KEY_F24,
        ];
        let navigation = [
            KEY_INSERT,
            KEY_DELETE,
            KEY_HOME,
            KEY_END,
            KEY_PAGEUP,
            KEY_PAGEDOWN,
            KEY_UP,
            KEY_DOWN,
            KEY_LEFT,
            KEY_RIGHT,
        ];
        let keypad = [
            KEY_KP0,
            KEY_KP1,
            KEY_KP2,
            KEY_KP3,
            KEY_KP4,
            KEY_KP5,
            KEY_KP6,
            KEY_KP7,
            KEY_KP8,
            KEY_KP9,
            KEY_KPDOT,
            KEY_KPPLUS,
            KEY_KPMINUS,
            KEY_KPASTERISK,
            KEY_KPSLASH,
            KEY_KPENTER,
            KEY_NUMLOCK,
        ];
        let modifiers = [
            KEY_LEFTSHIFT,
            KEY_RIGHTSHIFT,
            KEY_LEFTCTRL,
            KEY_RIGHTCTRL,
            KEY_LEFTALT,
            KEY_RIGHTALT,
            KEY_LEFTMETA,
            KEY_RIGHTMETA,
        ];
        let others = [
            KEY_COMPOSE,
            KEY_CAPSLOCK,
            KEY_SCROLLLOCK,
            KEY_SYSRQ,
            KEY_PAUSE,
        ];
        let all = letters
            .iter()
            .chain(&digits)
            .chain(&punctuation)
            .chain(&function)
            .chain(&navigation)
            .chain(&keypad)
            .chain(&modifiers)
            .chain(&others);
        for &e in all {
            let s = from_evdev(e).unwrap_or_else(|| panic!("evdev {e} has no scancode"));
            assert_eq!(to_evdev(s), Some(e));
        }
        // Letters in particular are where a US keyboard puts them.
        assert_eq!(from_evdev(KEY_Q), Some(Scancode::base(0x10)));
        assert_eq!(from_evdev(KEY_Z), Some(Scancode::base(0x2C)));
    }

    #[test]
    fn unknown_codes_give_none() {
        for s in [
            Scancode::base(0x00),
            Scancode::e0(0x01),
            Scancode::base(0xFF),
            Scancode::e0(0xFF),
            Scancode::base(0x55),
            Scancode::base(0x81), // a break code, not a make code
            Scancode::e0(0x2A),   // the keyboard's fake Shift around E0 keys
            Scancode::e1(0x45),
            Scancode {
                code: 0x1D,
                extended: true,
                extended1: true,
            },
        ] {
            assert_eq!(to_evdev(s), None, "{s:?}");
        }
        for e in [0, 84, 85, 0x110, u32::MAX] {
            assert_eq!(from_evdev(e), None, "evdev {e}");
        }
    }
}
