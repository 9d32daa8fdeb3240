//! The pictures `guid-demo-agent` paints, so that tests can tell what each pixel must be.

use std::str::FromStr;

use guid_protocol::Rect;

/// A window's background, as a function of the pixel and the animation phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// One colour, `0xRRGGBB`.
    Solid(u32),
    /// Red along x, green along y, blue from both; the phase shifts it.
    Gradient,
    /// Squares of `cell` pixels, light and dark; the phase shifts it along x.
    Checker(u32),
}

impl Pattern {
    /// The pixel at (x, y) as `0x00RRGGBB`.
    pub fn rgb(&self, x: u32, y: u32, phase: u32) -> u32 {
        match *self {
            Pattern::Solid(rgb) => rgb & 0x00ff_ffff,
            Pattern::Gradient => {
                let r = x.wrapping_add(phase) & 0xff;
                let g = y & 0xff;
                let b = (x ^ y).wrapping_add(phase) & 0xff;
                (r << 16) | (g << 8) | b
            }
            Pattern::Checker(cell) => {
                let cell = cell.max(1);
                if (x.wrapping_add(phase) / cell + y / cell).is_multiple_of(2) {
                    0x00e0_e0e0
                } else {
                    0x0040_4040
                }
            }
        }
    }

    /// Paints `rect` of a `width`-pixel-wide B, G, R, X buffer (stride `width * 4`).
    pub fn paint(&self, buffer: &mut [u8], width: u32, rect: Rect, phase: u32) {
        fill(buffer, width, rect, |x, y| self.rgb(x, y, phase));
    }
}

/// Fills `rect` of a B, G, R, X buffer `width` pixels wide with `rgb(x, y)`; parts of `rect`
/// outside the buffer are skipped.
pub fn fill(buffer: &mut [u8], width: u32, rect: Rect, rgb: impl Fn(u32, u32) -> u32) {
    let x0 = rect.x.max(0) as u32;
    let y0 = rect.y.max(0) as u32;
    let x1 = (x0 + rect.width).min(width);
    if x1 <= x0 {
        return;
    }
    let stride = width as usize * 4;
    let (left, right) = (x0 as usize * 4, x1 as usize * 4);
    for y in y0..y0 + rect.height {
        let row = y as usize * stride;
        let Some(pixels) = buffer.get_mut(row + left..row + right) else {
            return;
        };
        for (x, pixel) in (x0..).zip(pixels.chunks_exact_mut(4)) {
            // 0x00RRGGBB in little-endian order is B, G, R, X.
            pixel.copy_from_slice(&(rgb(x, y) & 0x00ff_ffff).to_le_bytes());
        }
    }
}

/// Why a pattern name did not parse.
#[derive(Debug, thiserror::Error)]
#[error("unknown pattern {0:?}: use solid:#rrggbb, gradient or checker[:cell]")]
pub struct PatternParseError(String);

impl FromStr for Pattern {
    type Err = PatternParseError;

    /// `solid:#rrggbb`, `gradient`, `checker` or `checker:<cell>`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || PatternParseError(text.to_owned());
        match text.split_once(':') {
            None if text == "gradient" => Ok(Pattern::Gradient),
            None if text == "checker" => Ok(Pattern::Checker(16)),
            Some(("solid", colour)) => parse_rgb(colour).map(Pattern::Solid).ok_or_else(error),
            Some(("checker", cell)) => cell.parse().map(Pattern::Checker).map_err(|_| error()),
            _ => Err(error()),
        }
    }
}

/// `#rrggbb` (or `rrggbb`) as `0xRRGGBB`.
pub fn parse_rgb(text: &str) -> Option<u32> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    (hex.len() == 6)
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_paints() {
        let solid: Pattern = "solid:#3465a4".parse().unwrap_or(Pattern::Gradient);
        assert_eq!(solid, Pattern::Solid(0x3465a4));
        let mut buffer = vec![0u8; 4 * 4 * 2];
        solid.paint(&mut buffer, 4, Rect::new(1, 1, 10, 10), 0);
        assert_eq!(&buffer[..16], &[0; 16]);
        assert_eq!(&buffer[20..24], &[0xa4, 0x65, 0x34, 0]);
        assert!("plaid".parse::<Pattern>().is_err());
        assert_eq!(
            "checker:8".parse::<Pattern>().ok(),
            Some(Pattern::Checker(8))
        );
    }
}
