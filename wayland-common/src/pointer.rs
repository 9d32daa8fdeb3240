//! Pointer buttons and wheel as both compositors speak them: evdev button codes (what Smithay
//! and libinput use) and the GUI protocol's X button numbers.

use smithay::backend::input::ButtonState;
use smithay::input::pointer::ButtonEvent;
use smithay::utils::SERIAL_COUNTER;

/// Scroll distance of one wheel notch, as libinput reports it.
pub const SCROLL_PER_NOTCH: f64 = 15.0;

/// evdev button codes.
pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;
pub const BTN_SIDE: u32 = 0x113;
pub const BTN_EXTRA: u32 = 0x114;

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

#[cfg(test)]
mod tests {
    use super::*;

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
