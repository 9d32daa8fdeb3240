//! What airgui's desktop looks like by default: its background, decoration sizes and label colours,
//! and the demo agent's patterns.

use guid_demo_agent::pattern::Pattern;

/// The desktop behind the windows, #202020.
pub const BACKGROUND: [u8; 3] = [0x20, 0x20, 0x20];

/// Default decoration sizes: the border, and the title bar below the top border.
pub const BORDER: i32 = 3;

pub const TITLE: i32 = 24;

/// Height of everything above the content: top border and title.
pub const BAR: i32 = BORDER + TITLE;

/// Width of the frame drawn over the edges of override-redirect windows.
pub const MARKER: i32 = 2;

pub const WHITE: [u8; 3] = [0xff, 0xff, 0xff];

pub const BLACK: [u8; 3] = [0, 0, 0];

/// `0xRRGGBB` as R, G, B bytes.
pub fn rgb(hex: u32) -> [u8; 3] {
    let [_, r, g, b] = hex.to_be_bytes();
    [r, g, b]
}

/// The default colour of a label (assets/airgui.toml).
pub fn label_colour(label: &str) -> [u8; 3] {
    rgb(match label {
        "red" => 0xcc0000,
        "orange" => 0xf57900,
        "yellow" => 0xedd400,
        "green" => 0x73d216,
        "gray" => 0x555555,
        "blue" => 0x3465a4,
        "purple" => 0x75507b,
        "black" => 0x000000,
        // The GUI qube's own windows (`native.label`).
        "gui" => 0x9a9996,
        other => panic!("no label {other:?}"),
    })
}

/// The title bar of a window without focus: its label colour darkened to 55%, same hue (a
/// focused window's is the label colour itself).
pub fn unfocused_colour(label: &str) -> [u8; 3] {
    label_colour(label).map(|channel| (u32::from(channel) * 55 / 100) as u8)
}

/// The colour of a window's title bar, by its label and whether it has focus.
pub fn title_bar_colour(label: &str, focused: bool) -> [u8; 3] {
    if focused {
        label_colour(label)
    } else {
        unfocused_colour(label)
    }
}

/// A demo pattern's pixel as R, G, B.
pub fn pattern_rgb(pattern: Pattern, x: i32, y: i32) -> [u8; 3] {
    rgb(pattern.rgb(x as u32, y as u32, 0))
}
