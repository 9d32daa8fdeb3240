//! [`Image`]: a screenshot (airgui's, grim's, Xvfb's) and the pixel checks tests make on it.

use std::fmt::Debug;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use guid_protocol::Rect;

/// A screenshot: R, G, B pixels.
#[derive(Clone, Debug)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Image {
    /// Reads a binary PPM (P6, 8 bits a channel: what QEMU's `screendump` writes).
    pub fn read_ppm(path: &Path) -> Image {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The header is four whitespace-separated fields: P6, width, height, maximum value.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while data[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !data[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
        }
        assert_eq!(
            (fields[0].as_str(), fields[3].as_str()),
            ("P6", "255"),
            "an 8-bit P6 PPM"
        );
        let width: u32 = fields[1].parse().expect("the PPM's width");
        let height: u32 = fields[2].parse().expect("the PPM's height");
        let rgb = data[at + 1..].to_vec();
        assert_eq!(
            rgb.len(),
            width as usize * height as usize * 3,
            "the PPM's pixels"
        );
        Image { width, height, rgb }
    }

    /// Reads an 8-bit RGB PNG (airgui's and grim's screenshots).
    pub fn read(path: &Path) -> Image {
        let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut reader = png::Decoder::new(BufReader::new(file))
            .read_info()
            .expect("a PNG");
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).expect("the PNG's pixels");
        assert_eq!(
            (info.color_type, info.bit_depth),
            (png::ColorType::Rgb, png::BitDepth::Eight),
            "screenshots are 8-bit RGB"
        );
        rgb.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    /// The pixel at (x, y), which must lie inside the image.
    pub fn pixel(&self, x: i32, y: i32) -> [u8; 3] {
        assert!(
            (0..self.width as i32).contains(&x) && (0..self.height as i32).contains(&y),
            "pixel ({x}, {y}) is outside the {}x{} screenshot",
            self.width,
            self.height
        );
        let at = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    /// Every pixel of `rect` that lies inside the image, as (x, y, colour).
    pub fn pixels_in(&self, rect: Rect) -> impl Iterator<Item = (i32, i32, [u8; 3])> + '_ {
        let x0 = rect.x.max(0);
        let y0 = rect.y.max(0);
        let x1 = (rect.x + rect.width as i32).min(self.width as i32);
        let y1 = (rect.y + rect.height as i32).min(self.height as i32);
        (y0..y1).flat_map(move |y| (x0..x1).map(move |x| (x, y, self.pixel(x, y))))
    }

    /// How many pixels of `rect` have exactly this colour.
    pub fn count(&self, rect: Rect, colour: [u8; 3]) -> usize {
        self.pixels_in(rect)
            .filter(|(_, _, c)| *c == colour)
            .count()
    }

    /// The pixels of `rect` that differ from `expected(x, y)`.
    pub fn mismatches(
        &self,
        rect: Rect,
        expected: impl Fn(i32, i32) -> [u8; 3],
    ) -> Vec<(i32, i32, [u8; 3], [u8; 3])> {
        self.pixels_in(rect)
            .filter_map(|(x, y, got)| {
                let want = expected(x, y);
                (got != want).then_some((x, y, got, want))
            })
            .collect()
    }

    /// Every pixel of `rect` must be `expected(x, y)`.
    pub fn assert_region(&self, what: &str, rect: Rect, expected: impl Fn(i32, i32) -> [u8; 3]) {
        let wrong = self.mismatches(rect, expected);
        assert!(
            wrong.is_empty(),
            "{what}: {} pixels of {rect:?} differ; the first (x, y, got, expected): {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(8)]
        );
    }
}
