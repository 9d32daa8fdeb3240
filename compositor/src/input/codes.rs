//! The numbers input is made of: evdev button codes and their X button numbers (shared with
//! the agent, in `airgui_wayland_common::pointer`) and masks, X modifier masks, the bitmap of
//! held keys KEYMAP_NOTIFY carries, and wheel steps.

use guid_protocol::msg::{state as xstate, KEYMAP_LEN};
use smithay::input::keyboard::ModifiersState;

// The pointer's numbers are the agent's too.
pub use airgui_wayland_common::pointer::{
    button_event, x_button, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, SCROLL_PER_NOTCH,
};

/// Wheel steps sent for one axis event at most, however large the event says it is.
pub const MAX_WHEEL_STEPS: i32 = 10;

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
}
