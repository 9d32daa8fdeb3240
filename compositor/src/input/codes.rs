//! The numbers input is made of: evdev button codes and their X button numbers and masks, X
//! modifier masks, the bitmap of held keys KEYMAP_NOTIFY carries, and wheel steps.

use guid_protocol::msg::{state as xstate, KEYMAP_LEN};
use smithay::backend::input::ButtonState;
use smithay::input::keyboard::ModifiersState;
use smithay::input::pointer::ButtonEvent;
use smithay::utils::SERIAL_COUNTER;

/// Scroll distance of one wheel notch, as libinput reports it.
pub const SCROLL_PER_NOTCH: f64 = 15.0;

/// Wheel steps sent for one axis event at most, however large the event says it is.
pub const MAX_WHEEL_STEPS: i32 = 10;

/// evdev button codes.
pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;
pub const BTN_SIDE: u32 = 0x113;
pub const BTN_EXTRA: u32 = 0x114;

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
pub fn x_button_mask(button: u32) -> u32 {
    match button {
        1 => xstate::BUTTON1,
        2 => xstate::BUTTON2,
        3 => xstate::BUTTON3,
        _ => 0,
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
