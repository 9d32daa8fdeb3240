//! Pointer pictures for the shapes qubes ask for with CURSOR (X font cursors), drawn from
//! small bitmaps: a black outline (`X`) around a white fill (`o`), transparent elsewhere.

use airgui_remote::Cursor;
use guid_protocol::sanitize::CursorShape;
use guid_protocol::Rect;

/// A pointer picture: premultiplied B, G, R, A bytes, `width * 4` per row, with its hotspot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorPicture {
    pub width: u16,
    pub height: u16,
    pub hot: (u16, u16),
    pub pixels: Vec<u8>,
}

/// What the pointer looks like.
#[derive(Clone, Debug, PartialEq)]
pub enum PointerShape {
    /// One of airgui's (an arrow, a move cross, a qube window's choice).
    Airgui(Pointer),
    /// What a zone's slave shows over the zone.
    Zone(Cursor),
}

/// The shapes airgui draws; every X font cursor maps to one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pointer {
    Arrow,
    Text,
    Hand,
    Crosshair,
    Busy,
    Move,
    ResizeHorizontal,
    ResizeVertical,
}

impl Pointer {
    /// The shape for a qube's cursor request (X font glyph numbers from X11/cursorfont.h).
    pub fn for_shape(shape: CursorShape) -> Pointer {
        let CursorShape::XFont(glyph) = shape else {
            return Pointer::Arrow;
        };
        match glyph {
            152 => Pointer::Text,                       // xterm
            58 | 60 => Pointer::Hand,                   // hand1, hand2
            30 | 34 | 90 | 130 => Pointer::Crosshair,   // cross, crosshair, plus, tcross
            26 | 150 => Pointer::Busy,                  // clock, watch
            52 | 12 | 14 | 134 | 136 => Pointer::Move,  // fleur and the four corners
            70 | 96 | 108 => Pointer::ResizeHorizontal, // left_side, right_side, sb_h_double_arrow
            16 | 116 | 138 => Pointer::ResizeVertical,  // bottom_side, sb_v_double_arrow, top_side
            _ => Pointer::Arrow,
        }
    }

    pub fn picture(self) -> CursorPicture {
        match self {
            Pointer::Arrow => from_art(ARROW, (0, 0)),
            Pointer::Text => from_art(TEXT, (4, 7)),
            Pointer::Hand => from_art(HAND, (5, 0)),
            Pointer::Crosshair => from_art(CROSSHAIR, (7, 7)),
            Pointer::Busy => from_art(BUSY, (5, 6)),
            Pointer::Move => {
                let horizontal: Vec<Vec<u8>> =
                    HORIZONTAL.iter().map(|row| row.bytes().collect()).collect();
                let side = horizontal.first().map_or(0, Vec::len);
                let canvas = from_rows(&vec![vec![b' '; side]; side]);
                let mut picture = overlay(overlay(canvas, &horizontal), &transposed(HORIZONTAL));
                picture.hot = (side as u16 / 2, side as u16 / 2);
                picture
            }
            Pointer::ResizeHorizontal => from_art(HORIZONTAL, (7, 3)),
            Pointer::ResizeVertical => {
                let mut picture = from_rows(&transposed(HORIZONTAL));
                picture.hot = (3, 7);
                picture
            }
        }
    }
}

const ARROW: &[&str] = &[
    "X           ",
    "XX          ",
    "XoX         ",
    "XooX        ",
    "XoooX       ",
    "XooooX      ",
    "XoooooX     ",
    "XooooooX    ",
    "XoooooooX   ",
    "XooooooooX  ",
    "XoooooXXXXX ",
    "XooXooX     ",
    "XoX XooX    ",
    "XX  XooX    ",
    "X    XooX   ",
    "     XooX   ",
    "      XX    ",
];

const TEXT: &[&str] = &[
    "XXXX XXXX",
    "XooXXXooX",
    "XXXXoXXXX",
    "   XoX   ",
    "   XoX   ",
    "   XoX   ",
    "   XoX   ",
    "   XoX   ",
    "   XoX   ",
    "   XoX   ",
    "   XoX   ",
    "XXXXoXXXX",
    "XooXXXooX",
    "XXXX XXXX",
];

const HAND: &[&str] = &[
    "     XX         ",
    "    XooX        ",
    "    XooX        ",
    "    XooX        ",
    "    XooXXX      ",
    "    XooXooXXX   ",
    " XX XooXooXooXX ",
    "XooXXooooooXooX ",
    "XoooXoooooooooX ",
    " XooXoooooooooX ",
    "  XXoooooooooX  ",
    "   XoooooooooX  ",
    "   XooooooooX   ",
    "    XooooooX    ",
    "    XooooooX    ",
    "    XXXXXXXX    ",
];

const CROSSHAIR: &[&str] = &[
    "      XXX      ",
    "      XoX      ",
    "      XoX      ",
    "      XoX      ",
    "      XoX      ",
    "      XoX      ",
    "XXXXXXXoXXXXXXX",
    "XoooooooooooooX",
    "XXXXXXXoXXXXXXX",
    "      XoX      ",
    "      XoX      ",
    "      XoX      ",
    "      XoX      ",
    "      XoX      ",
    "      XXX      ",
];

const BUSY: &[&str] = &[
    "XXXXXXXXXXX",
    "XoooooooooX",
    " XoooooooX ",
    "  XoooooX  ",
    "   XoooX   ",
    "    XoX    ",
    "    XoX    ",
    "   XoooX   ",
    "  XoooooX  ",
    " XoooooooX ",
    "XoooooooooX",
    "XXXXXXXXXXX",
];

const HORIZONTAL: &[&str] = &[
    "   X       X   ",
    "  XX       XX  ",
    " XoXXXXXXXXXoX ",
    "XoooooooooooooX",
    " XoXXXXXXXXXoX ",
    "  XX       XX  ",
    "   X       X   ",
];

fn from_art(art: &[&str], hot: (u16, u16)) -> CursorPicture {
    let rows: Vec<Vec<u8>> = art.iter().map(|row| row.bytes().collect()).collect();
    let mut picture = from_rows(&rows);
    picture.hot = hot;
    picture
}

/// The bitmap turned a quarter: rows become columns.
fn transposed(art: &[&str]) -> Vec<Vec<u8>> {
    let width = art.iter().map(|row| row.len()).max().unwrap_or(0);
    (0..width)
        .map(|x| {
            art.iter()
                .map(|row| row.as_bytes().get(x).copied().unwrap_or(b' '))
                .collect()
        })
        .collect()
}

fn from_rows(rows: &[Vec<u8>]) -> CursorPicture {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut pixels = Vec::with_capacity(width * rows.len() * 4);
    for row in rows {
        for x in 0..width {
            pixels.extend_from_slice(match row.get(x) {
                Some(b'X') => &[0, 0, 0, 255],
                Some(b'o') => &[255, 255, 255, 255],
                _ => &[0, 0, 0, 0],
            });
        }
    }
    CursorPicture {
        width: width as u16,
        height: rows.len() as u16,
        hot: (0, 0),
        pixels,
    }
}

/// `top` drawn centred over `base`, where it is not transparent.
fn overlay(base: CursorPicture, top: &[Vec<u8>]) -> CursorPicture {
    let top = from_rows(top);
    let mut picture = base;
    let (width, height) = (usize::from(picture.width), usize::from(picture.height));
    let dx = width.saturating_sub(usize::from(top.width)) / 2;
    let dy = height.saturating_sub(usize::from(top.height)) / 2;
    for (i, pixel) in top.pixels.chunks_exact(4).enumerate() {
        let (x, y) = (
            dx + i % usize::from(top.width),
            dy + i / usize::from(top.width),
        );
        let at = (y * width + x) * 4;
        if pixel.get(3) != Some(&0) {
            if let Some(target) = picture.pixels.get_mut(at..at + 4) {
                target.copy_from_slice(pixel);
            }
        }
    }
    picture
}

/// Where a pointer picture shows: the part of the output it covers and the part of the
/// picture drawn there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PicturePlacement {
    pub on_output: Rect,
    pub from_picture: Rect,
}

/// Places a picture of `size` with its hotspot `hot` at the pointer position `at`, cut to
/// `clip` when there is one (a zone's picture, see `zones::pointer`). `None` when nothing of it
/// shows.
pub fn place_picture(
    at: (f64, f64),
    size: (u16, u16),
    hot: (u16, u16),
    clip: Option<Rect>,
) -> Option<PicturePlacement> {
    let picture = Rect::new(
        i32::try_from(at.0.floor() as i64 - i64::from(hot.0)).ok()?,
        i32::try_from(at.1.floor() as i64 - i64::from(hot.1)).ok()?,
        u32::from(size.0),
        u32::from(size.1),
    );
    let shown = match clip {
        Some(clip) => picture.intersect(&clip)?,
        None => (!picture.is_empty()).then_some(picture)?,
    };
    Some(PicturePlacement {
        on_output: shown,
        // Inside the picture, so within its u16 sides.
        from_picture: Rect::new(
            shown.x - picture.x,
            shown.y - picture.y,
            shown.width,
            shown.height,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Pointer; 8] = [
        Pointer::Arrow,
        Pointer::Text,
        Pointer::Hand,
        Pointer::Crosshair,
        Pointer::Busy,
        Pointer::Move,
        Pointer::ResizeHorizontal,
        Pointer::ResizeVertical,
    ];

    #[test]
    fn every_picture_is_whole_and_its_hotspot_inside() {
        for pointer in ALL {
            let picture = pointer.picture();
            let pixels = usize::from(picture.width) * usize::from(picture.height);
            assert_eq!(picture.pixels.len(), pixels * 4, "{pointer:?}");
            assert!(
                picture.hot.0 < picture.width && picture.hot.1 < picture.height,
                "{pointer:?}"
            );
            assert!(
                picture.pixels.chunks(4).any(|p| p == [0, 0, 0, 255]),
                "{pointer:?} has an outline"
            );
        }
    }

    #[test]
    fn x_font_cursors_map_to_shapes() {
        assert_eq!(Pointer::for_shape(CursorShape::Default), Pointer::Arrow);
        assert_eq!(Pointer::for_shape(CursorShape::XFont(68)), Pointer::Arrow);
        assert_eq!(Pointer::for_shape(CursorShape::XFont(152)), Pointer::Text);
        assert_eq!(Pointer::for_shape(CursorShape::XFont(60)), Pointer::Hand);
        assert_eq!(Pointer::for_shape(CursorShape::XFont(150)), Pointer::Busy);
        assert_eq!(
            Pointer::for_shape(CursorShape::XFont(108)),
            Pointer::ResizeHorizontal
        );
        assert_eq!(
            Pointer::for_shape(CursorShape::XFont(116)),
            Pointer::ResizeVertical
        );
    }

    #[test]
    fn the_vertical_resize_arrow_is_the_horizontal_one_turned() {
        let horizontal = Pointer::ResizeHorizontal.picture();
        let vertical = Pointer::ResizeVertical.picture();
        assert_eq!(
            (vertical.width, vertical.height),
            (horizontal.height, horizontal.width)
        );
    }

    #[test]
    fn an_unclipped_picture_shows_whole_with_its_hotspot_at_the_pointer() {
        let placed = place_picture((100.7, 50.2), (12, 17), (3, 4), None).unwrap();
        assert_eq!(placed.on_output, Rect::new(97, 46, 12, 17));
        assert_eq!(placed.from_picture, Rect::new(0, 0, 12, 17));
    }

    #[test]
    fn a_zone_picture_is_cut_to_the_zone_content() {
        let content = Rect::new(200, 100, 300, 200);
        // 384x384 with the hotspot in its middle, the pointer just inside the top-left corner.
        let placed = place_picture((201.0, 101.0), (384, 384), (192, 192), Some(content)).unwrap();
        assert_eq!(placed.on_output, Rect::new(200, 100, 193, 193));
        assert_eq!(placed.from_picture, Rect::new(191, 191, 193, 193));
        // Larger than the content in every direction: only the content is covered.
        let placed = place_picture((350.0, 200.0), (384, 384), (192, 192), Some(content)).unwrap();
        assert_eq!(placed.on_output, content);
        assert_eq!(placed.from_picture, Rect::new(42, 92, 300, 200));
    }

    #[test]
    fn a_picture_outside_its_clip_shows_nothing() {
        let content = Rect::new(200, 100, 300, 200);
        assert_eq!(
            place_picture((10.0, 10.0), (32, 32), (0, 0), Some(content)),
            None
        );
        assert_eq!(
            place_picture((500.0, 150.0), (32, 32), (0, 0), Some(content)),
            None
        );
        assert_eq!(place_picture((0.0, 0.0), (0, 0), (0, 0), None), None);
    }
}
