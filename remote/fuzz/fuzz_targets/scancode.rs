//! The scancode table: every set-1 code and flag combination maps to a key or to nothing, and
//! whatever maps back maps to the same key.
#![no_main]

use airgui_remote::scancode::{from_evdev, to_evdev, Scancode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: [u8; 6]| {
    let scancode = Scancode {
        code: data[0],
        extended: data[1] & 1 == 1,
        extended1: data[1] & 2 == 2,
    };
    if let Some(evdev) = to_evdev(scancode) {
        let back = from_evdev(evdev).expect("a key we read is a key we can send");
        assert_eq!(to_evdev(back), Some(evdev));
    }
    let evdev = u32::from_le_bytes([data[2], data[3], data[4], data[5]]);
    if let Some(scancode) = from_evdev(evdev) {
        assert_eq!(to_evdev(scancode), Some(evdev));
    }
});
