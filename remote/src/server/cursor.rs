//! The pointer shape: a neutral premultiplied BGRA image in, RDP's 32-bit pointer update out.

use ironrdp_server::{DisplayUpdate, RGBAPointer};
use tracing::warn;

/// Cursors larger than this are not sent (RDP's large-pointer limit); the client's default arrow
/// is shown instead.
pub const MAX_CURSOR_SIDE: u16 = 384;

/// The pointer shape the client shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cursor {
    /// The client's own default arrow (what a new client gets until told otherwise).
    #[default]
    Default,
    /// No pointer at all.
    Hidden,
    Image(CursorImage),
}

/// A pointer image: premultiplied B, G, R, A bytes, top row first, `width * 4` bytes per row
/// (what a Wayland ARGB8888 cursor buffer holds). The hotspot is relative to the top-left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorImage {
    pub width: u16,
    pub height: u16,
    pub hot_x: u16,
    pub hot_y: u16,
    pub pixels: Vec<u8>,
}

/// A pointer with nothing to show, sent for [`Cursor::Hidden`].
fn invisible() -> CursorImage {
    CursorImage {
        width: 1,
        height: 1,
        hot_x: 0,
        hot_y: 0,
        pixels: vec![0; 4],
    }
}

/// RDP's 32-bit pointer: bottom row first, straight (not premultiplied) alpha.
///
/// ironrdp-server 0.13 sends nothing for its `DefaultPointer` and `HidePointer` updates (their
/// fast-path body is empty, and its fragmenter emits no fragment for an empty body): a client
/// keeps the last image. So hiding sends an invisible image, and a compositor that wants its
/// arrow back sends the arrow's picture; [`Cursor::Default`] only stands for the state before any
/// shape was set.
pub(super) fn cursor_update(cursor: &Cursor) -> DisplayUpdate {
    let hidden;
    let image = match cursor {
        Cursor::Default => return DisplayUpdate::DefaultPointer,
        Cursor::Hidden => {
            hidden = invisible();
            &hidden
        }
        Cursor::Image(image) => image,
    };
    let row = usize::from(image.width) * 4;
    let valid = image.width > 0
        && image.height > 0
        && image.width <= MAX_CURSOR_SIDE
        && image.height <= MAX_CURSOR_SIDE
        && image.hot_x < image.width
        && image.hot_y < image.height
        && image.pixels.len() == row * usize::from(image.height);
    if !valid {
        warn!(
            width = image.width,
            height = image.height,
            "cursor image is unusable for RDP; the client shows its default arrow"
        );
        return DisplayUpdate::DefaultPointer;
    }
    let mut data = Vec::with_capacity(image.pixels.len());
    for line in image.pixels.chunks_exact(row).rev() {
        for px in line.chunks_exact(4) {
            if let [b, g, r, a] = *px {
                data.extend_from_slice(&[
                    unpremultiply(b, a),
                    unpremultiply(g, a),
                    unpremultiply(r, a),
                    a,
                ]);
            }
        }
    }
    DisplayUpdate::RGBAPointer(RGBAPointer {
        cache_index: 0,
        width: image.width,
        height: image.height,
        hot_x: image.hot_x,
        hot_y: image.hot_y,
        data,
    })
}

fn unpremultiply(channel: u8, alpha: u8) -> u8 {
    if alpha == 0 {
        return 0;
    }
    let value = (u32::from(channel) * 255 + u32::from(alpha) / 2) / u32::from(alpha);
    u8::try_from(value.min(255)).unwrap_or(u8::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn cursor_image_is_flipped_and_unpremultiplied() {
        let image = CursorImage {
            width: 1,
            height: 2,
            hot_x: 0,
            hot_y: 0,
            pixels: vec![
                64, 32, 16, 128, // top: premultiplied at alpha 128
                1, 2, 3, 255, // bottom
            ],
        };
        let DisplayUpdate::RGBAPointer(ptr) = cursor_update(&Cursor::Image(image)) else {
            panic!("pointer expected")
        };
        assert_eq!(ptr.data, vec![1, 2, 3, 255, 128, 64, 32, 128]);
        let too_big = CursorImage {
            width: 1000,
            height: 1,
            hot_x: 0,
            hot_y: 0,
            pixels: vec![0; 4000],
        };
        assert!(matches!(
            cursor_update(&Cursor::Image(too_big)),
            DisplayUpdate::DefaultPointer
        ));
    }
}
