//! A zone's pointer picture (up to 384x384, drawn by the slave) cut to the zone's content at the
//! pointer's position, so that it cannot paint over airgui's decorations or other windows: not
//! on a monitor, and not at an RDP client of this master, which draws the picture it is sent.

use airgui_remote::{Cursor, CursorImage};
use guid_protocol::Rect;

use crate::render::cursor::place_picture;

/// `cursor` as it may show with the pointer at `pointer` over a zone whose content is `content`:
/// the part of its picture inside the content (hidden when none is).
pub fn cut_to_zone(cursor: &Cursor, pointer: (f64, f64), content: Rect) -> Cursor {
    let Cursor::Image(image) = cursor else {
        // Hidden, or the slave's default: airgui's own arrow, not the slave's picture.
        return cursor.clone();
    };
    let size = (image.width, image.height);
    let hot = (image.hot_x, image.hot_y);
    let Some(placed) = place_picture(pointer, size, hot, Some(content)) else {
        return Cursor::Hidden;
    };
    let part = placed.from_picture;
    if (part.width, part.height) == (u32::from(image.width), u32::from(image.height)) {
        return cursor.clone();
    }
    let row = usize::from(image.width) * 4;
    let (x, width) = (part.x as usize * 4, part.width as usize * 4);
    let pixels: Vec<u8> = (part.y as usize..(part.y as usize + part.height as usize))
        .flat_map(|y| {
            let start = y * row + x;
            image.pixels.get(start..start + width).unwrap_or_default()
        })
        .copied()
        .collect();
    if pixels.len() != width * part.height as usize {
        return Cursor::Hidden;
    }
    // The pointer is inside the content, so its pixel is inside the part that shows.
    let inside =
        |hot: u16, from: i32, len: u32| (i32::from(hot) - from).clamp(0, len as i32 - 1) as u16;
    Cursor::Image(CursorImage {
        width: part.width as u16,
        height: part.height as u16,
        hot_x: inside(image.hot_x, part.x, part.width),
        hot_y: inside(image.hot_y, part.y, part.height),
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 384x384 picture whose pixels say where they are: (x, y, 0, 255).
    fn large() -> CursorImage {
        let (width, height) = (384u16, 384u16);
        let mut pixels = Vec::new();
        for y in 0..height {
            for x in 0..width {
                pixels.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, 0, 255]);
            }
        }
        CursorImage {
            width,
            height,
            hot_x: 192,
            hot_y: 192,
            pixels,
        }
    }

    #[test]
    fn a_large_zone_picture_is_cut_to_the_zone_content() {
        let content = Rect::new(200, 100, 300, 200);
        let Cursor::Image(cut) = cut_to_zone(&Cursor::Image(large()), (210.0, 120.0), content)
        else {
            panic!("the picture is hidden");
        };
        // Picture from (18, -72) to (402, 312); the content from (200, 100) to (500, 300).
        assert_eq!((cut.width, cut.height), (202, 200));
        assert_eq!((cut.hot_x, cut.hot_y), (10, 20));
        assert_eq!(cut.pixels.len(), 202 * 200 * 4);
        // Its first pixel is the picture's (182, 172), its last the picture's (383, 371).
        assert_eq!(cut.pixels.get(..4).unwrap(), [182, 172, 0, 255]);
        let last = cut.pixels.len() - 4;
        assert_eq!(
            cut.pixels.get(last..).unwrap(),
            [(383 % 256) as u8, (371 % 256) as u8, 0, 255]
        );
    }

    #[test]
    fn a_picture_inside_the_content_is_kept_and_the_default_is_airguis() {
        let content = Rect::new(0, 0, 1000, 1000);
        let whole = Cursor::Image(large());
        assert_eq!(cut_to_zone(&whole, (500.0, 500.0), content), whole);
        assert_eq!(
            cut_to_zone(&Cursor::Default, (0.0, 0.0), content),
            Cursor::Default
        );
        assert_eq!(
            cut_to_zone(&Cursor::Hidden, (0.0, 0.0), content),
            Cursor::Hidden
        );
    }

    #[test]
    fn a_picture_with_nothing_inside_the_content_is_hidden() {
        let content = Rect::new(200, 100, 300, 200);
        // A hotspot far right of its one-pixel-wide picture: the picture lies left of the
        // content while the pointer is inside it.
        let image = CursorImage {
            width: 1,
            height: 384,
            hot_x: 384,
            hot_y: 0,
            pixels: vec![255; 4 * 384],
        };
        assert_eq!(
            cut_to_zone(&Cursor::Image(image), (200.0, 150.0), content),
            Cursor::Hidden
        );
    }
}
