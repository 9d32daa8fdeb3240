//! The scancode table: every set-1 code and flag combination maps to a key or to nothing, and
//! whatever maps back maps to the same key.

use airgui_remote::scancode::{from_evdev, to_evdev, Scancode};

/// One input: a set-1 code and flags, and an evdev code.
pub fn run(data: &[u8]) {
    // Shorter inputs are padded with zeros, as the fuzzer's own `[u8; 6]` inputs were.
    let mut bytes = [0u8; 6];
    bytes.iter_mut().zip(data).for_each(|(b, d)| *b = *d);
    let data = bytes;
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
}
