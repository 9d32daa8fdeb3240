//! Title text and title bars, rasterised in software with the bundled DejaVu Sans.
//!
//! Everything here works on plain premultiplied ARGB8888 byte buffers (memory order B, G, R, A)
//! so it can be tested without a renderer. Titles come from qubes, which are not trusted: every
//! argument combination must be safe, so all pixel access is bounds-checked and no arithmetic
//! on caller-supplied numbers may overflow.

use std::fmt;
use std::sync::OnceLock;

/// The bundled font file (DejaVu Sans; licence in assets/DejaVuSans.LICENSE).
const FONT_BYTES: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// Appended to titles that had to be cut.
const ELLIPSIS: char = '\u{2026}';

/// Largest pixel size we rasterise: fontdue allocates a bitmap per glyph, so an absurd size
/// would exhaust memory. Title bars are a few dozen pixels high even on HiDPI outputs.
const MAX_PX: f32 = 512.0;

/// Space between the bar's left edge and the title, and between the title and the close button.
const TITLE_INSET: u32 = 6;

/// The bundled title font. Holds `None` only if the embedded font failed to parse, in which
/// case it measures and draws nothing rather than taking the compositor down.
pub struct TitleFont {
    font: Option<fontdue::Font>,
}

impl fmt::Debug for TitleFont {
    // fontdue::Font has no Debug of its own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TitleFont")
            .field("loaded", &self.font.is_some())
            .finish()
    }
}

impl TitleFont {
    /// The bundled font, parsed on first use.
    pub fn bundled() -> &'static TitleFont {
        static FONT: OnceLock<TitleFont> = OnceLock::new();
        FONT.get_or_init(|| {
            let font = fontdue::Font::from_bytes(FONT_BYTES, fontdue::FontSettings::default())
                .map_err(|e| tracing::error!("bundled title font failed to parse: {e}"))
                .ok();
            TitleFont { font }
        })
    }

    /// Width in pixels of `text` at `px` size (sum of advances, rounded up).
    #[cfg(test)]
    pub fn measure(&self, text: &str, px: f32) -> u32 {
        let (Some(font), Some(px)) = (&self.font, sane_px(px)) else {
            return 0;
        };
        // `as` saturates, so even an absurdly long text cannot wrap around.
        advance_sum(font, text.chars(), px).ceil() as u32
    }

    /// Draws `text` into a premultiplied ARGB8888 buffer (B, G, R, A bytes, `stride` bytes per
    /// row, `width` x `height` pixels) with its left edge at `x`, vertically centred, in colour
    /// `rgb` (0xRRGGBB), blending coverage "over" what is there. Text wider than `max_width` is
    /// cut and ends with "…"; nothing is drawn outside columns `x .. x + max_width` nor outside
    /// the buffer, whatever the arguments.
    #[allow(clippy::too_many_arguments)] // The signature is the agreed interface.
    pub fn draw(
        &self,
        buffer: &mut [u8],
        width: u32,
        height: u32,
        stride: usize,
        x: i32,
        text: &str,
        px: f32,
        rgb: u32,
        max_width: u32,
    ) {
        let (Some(font), Some(px)) = (&self.font, sane_px(px)) else {
            return;
        };
        let mut canvas = Canvas::new(buffer, width, height, stride);
        // Glyph bitmaps may overhang their advance; clip to the promised box as well.
        let clip_left = i64::from(x).max(0);
        let clip_right = (i64::from(x) + i64::from(max_width)).min(canvas.width);
        if clip_left >= clip_right || canvas.height == 0 {
            return;
        }

        let baseline = baseline(font, px, canvas.height);
        let colour = bgr(rgb);
        let mut pen = 0.0_f32;
        for c in fit(font, text, px, max_width).chars() {
            let metrics = font.metrics(c, px);
            // `as` saturates; saturating adds keep a pathological pen from overflowing.
            let left = i64::from(x)
                .saturating_add(pen.round() as i64)
                .saturating_add(i64::from(metrics.xmin));
            pen += metrics.advance_width;
            let right = left.saturating_add(i64::try_from(metrics.width).unwrap_or(i64::MAX));
            if right <= clip_left || left >= clip_right || metrics.width == 0 {
                // Off screen or blank (a space): skip the costly rasterisation.
                continue;
            }
            let (metrics, coverage) = font.rasterize(c, px);
            let top = baseline
                - i64::from(metrics.ymin)
                - i64::try_from(metrics.height).unwrap_or(i64::MAX);
            for (row, line) in (top..).zip(coverage.chunks(metrics.width)) {
                for (col, &alpha) in (left..).zip(line) {
                    if (clip_left..clip_right).contains(&col) {
                        if let Some(pixel) = canvas.pixel_mut(col, row) {
                            blend_over(pixel, colour, alpha);
                        }
                    }
                }
            }
        }
    }
}

/// Black or white, whichever contrasts more with `background` (0xRRGGBB), by the WCAG
/// relative-luminance contrast ratio.
pub fn contrasting_text_colour(background: u32) -> u32 {
    let [b, g, r] = bgr(background);
    let luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    // WCAG contrast ratio is (lighter + 0.05) / (darker + 0.05); white has luminance 1.
    let against_white = 1.05 / (luminance + 0.05);
    let against_black = (luminance + 0.05) / 0.05;
    if against_white >= against_black {
        0xffffff
    } else {
        0x000000
    }
}

/// Renders a `width` x `height` title bar (premultiplied ARGB8888, B, G, R, A bytes, stride
/// `width * 4`): opaque `background`, the `title` at `px` left-aligned after a small inset and
/// cut before the close button, and the close button's "×" at the right end, both in
/// `foreground` (a bar without `close_button` has none and gives the title its room).
/// Returns the bytes (empty if the size cannot be addressed).
pub fn title_bar(
    width: u32,
    height: u32,
    background: u32,
    foreground: u32,
    title: &str,
    px: f32,
    close_button: bool,
) -> Vec<u8> {
    let stride = (width as usize).saturating_mul(4);
    let Some(len) = stride.checked_mul(height as usize) else {
        tracing::error!("title bar of {width}x{height} is too large to allocate");
        return Vec::new();
    };
    let [b, g, r] = bgr(background);
    let mut buffer = [b, g, r, 0xff].repeat(len / 4);

    let title_end = if close_button {
        close_button_rect(width, height).0
    } else {
        width
    };
    let max_width = title_end.saturating_sub(2 * TITLE_INSET);
    TitleFont::bundled().draw(
        &mut buffer,
        width,
        height,
        stride,
        TITLE_INSET as i32,
        title,
        px,
        foreground,
        max_width,
    );
    if close_button {
        draw_close_cross(&mut buffer, width, height, foreground);
    }
    buffer
}

/// The close button's rectangle (x, y, w, h) inside a `width` x `height` title bar: the square
/// at the right end, or the whole bar if it is narrower than that square.
pub fn close_button_rect(width: u32, height: u32) -> (u32, u32, u32, u32) {
    if width < height {
        (0, 0, width, height)
    } else {
        (width - height, 0, height, height)
    }
}

/// Draws the "×" of the close button: two anti-aliased diagonals, 2 pixels wide, in the largest
/// square centred in the button, inset by a quarter of its side.
fn draw_close_cross(buffer: &mut [u8], width: u32, height: u32, rgb: u32) {
    let (bx, by, bw, bh) = close_button_rect(width, height);
    let side = bw.min(bh);
    let inset = side / 4;
    let n = side - 2 * inset;
    // Anchored on the button's centre pixel so that pixel lies on a diagonal (u == v).
    let x0 = i64::from(bx) + i64::from(bw / 2 - side / 2 + inset);
    let y0 = i64::from(by) + i64::from(bh / 2 - side / 2 + inset);

    let colour = bgr(rgb);
    let stride = (width as usize).saturating_mul(4);
    let mut canvas = Canvas::new(buffer, width, height, stride);
    let n_f = n as f32;
    for v in 0..n {
        for u in 0..n {
            // Distance from the pixel centre to each diagonal of the n x n box.
            let (cu, cv) = (u as f32 + 0.5, v as f32 + 0.5);
            let falling = (cu - cv).abs() / std::f32::consts::SQRT_2;
            let rising = (cu + cv - n_f).abs() / std::f32::consts::SQRT_2;
            // A line of half-width 1 covers a pixel fully up to 0.5 px away, then fades out.
            let coverage = (1.5 - falling.min(rising)).clamp(0.0, 1.0);
            let alpha = (coverage * 255.0).round() as u8;
            if let Some(pixel) = canvas.pixel_mut(x0 + i64::from(u), y0 + i64::from(v)) {
                blend_over(pixel, colour, alpha);
            }
        }
    }
}

/// `px` if it is a usable size (clamped to `MAX_PX`), `None` for zero, negative or NaN.
fn sane_px(px: f32) -> Option<f32> {
    (px > 0.0).then_some(px.min(MAX_PX))
}

/// Sum of the horizontal advances of `chars` at `px`.
fn advance_sum(font: &fontdue::Font, chars: impl Iterator<Item = char>, px: f32) -> f32 {
    chars.map(|c| font.metrics(c, px).advance_width).sum()
}

/// `text`, or the longest prefix of it followed by "…" that fits in `max_width` pixels, or
/// nothing if not even the ellipsis fits.
fn fit(font: &fontdue::Font, text: &str, px: f32, max_width: u32) -> String {
    let max = max_width as f32;
    if advance_sum(font, text.chars(), px).ceil() <= max {
        return text.to_owned();
    }
    let ellipsis = font.metrics(ELLIPSIS, px).advance_width;
    if ellipsis.ceil() > max {
        return String::new();
    }
    let mut end = 0;
    let mut pen = 0.0_f32;
    for (i, c) in text.char_indices() {
        pen += font.metrics(c, px).advance_width;
        if (pen + ellipsis).ceil() > max {
            break;
        }
        end = i + c.len_utf8();
    }
    // "foo …" reads worse than "foo…".
    let kept = text.get(..end).unwrap_or_default().trim_end();
    format!("{kept}{ELLIPSIS}")
}

/// Row of the baseline that centres the font's ascent-to-descent span in `height` rows.
fn baseline(font: &fontdue::Font, px: f32, height: i64) -> i64 {
    // DejaVu Sans has horizontal metrics; the fallback is its approximate proportions.
    let (ascent, descent) = font
        .horizontal_line_metrics(px)
        .map_or((0.76 * px, -0.24 * px), |m| (m.ascent, m.descent));
    let top = (height as f32 - (ascent - descent)) / 2.0;
    (top + ascent).round() as i64
}

/// A bounds-checked view of a caller's pixel buffer.
struct Canvas<'a> {
    buffer: &'a mut [u8],
    /// Usable columns: never more than a row of `stride` bytes holds.
    width: i64,
    height: i64,
    stride: usize,
}

impl<'a> Canvas<'a> {
    fn new(buffer: &'a mut [u8], width: u32, height: u32, stride: usize) -> Self {
        // A pixel past stride / 4 would spill into the next row.
        let width = i64::from(width).min(i64::try_from(stride / 4).unwrap_or(i64::MAX));
        Canvas {
            buffer,
            width,
            height: i64::from(height),
            stride,
        }
    }

    /// The 4 bytes of pixel (x, y), or `None` if it lies outside the image or the slice.
    fn pixel_mut(&mut self, x: i64, y: i64) -> Option<&mut [u8]> {
        if !(0..self.width).contains(&x) || !(0..self.height).contains(&y) {
            return None;
        }
        let start = usize::try_from(y)
            .ok()?
            .checked_mul(self.stride)?
            .checked_add(usize::try_from(x).ok()?.checked_mul(4)?)?;
        self.buffer.get_mut(start..start.checked_add(4)?)
    }
}

/// Blends `colour` (B, G, R) at coverage `alpha` over a premultiplied B, G, R, A pixel.
fn blend_over(pixel: &mut [u8], colour: [u8; 3], alpha: u8) {
    if alpha == 0 {
        return;
    }
    let keep = 255 - alpha;
    // Premultiplied source: colour * alpha, then "over": src + dst * (1 - src alpha).
    for (dst, src) in pixel.iter_mut().zip(colour.into_iter().chain([255])) {
        *dst = mul_255(src, alpha).saturating_add(mul_255(*dst, keep));
    }
}

/// a * b / 255, rounded; exact at the ends so full coverage gives exactly the source colour.
fn mul_255(a: u8, b: u8) -> u8 {
    let product = u16::from(a) * u16::from(b);
    ((product + 127) / 255) as u8
}

/// The B, G, R bytes of 0xRRGGBB (higher bits ignored), in buffer memory order.
fn bgr(rgb: u32) -> [u8; 3] {
    let [b, g, r, _] = rgb.to_le_bytes();
    [b, g, r]
}

/// sRGB channel to linear light, per WCAG 2's relative-luminance definition.
fn linear(channel: u8) -> f32 {
    let c = f32::from(channel) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEIGHT: u32 = 24;

    fn px() -> f32 {
        0.58 * HEIGHT as f32
    }

    fn pixel(buffer: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * width + x) * 4) as usize;
        buffer[i..i + 4].try_into().unwrap()
    }

    fn opaque(rgb: u32) -> [u8; 4] {
        let [b, g, r] = bgr(rgb);
        [b, g, r, 255]
    }

    #[test]
    fn bundled_font_loads() {
        assert!(TitleFont::bundled().font.is_some());
    }

    #[test]
    fn contrast_picks_readable_colour() {
        for dark in [0x3465a4, 0xcc0000, 0x000000, 0x555555] {
            assert_eq!(contrasting_text_colour(dark), 0xffffff, "{dark:06x}");
        }
        for light in [0xedd400, 0x73d216, 0xffffff] {
            assert_eq!(contrasting_text_colour(light), 0x000000, "{light:06x}");
        }
    }

    #[test]
    fn measure_is_zero_for_empty_and_grows() {
        let font = TitleFont::bundled();
        assert_eq!(font.measure("", px()), 0);
        let a = font.measure("w", px());
        let b = font.measure("wo", px());
        let c = font.measure("[work] Firefox", px());
        assert!(0 < a && a < b && b < c, "{a} {b} {c}");
        assert_eq!(font.measure("abc", f32::NAN), 0);
        assert_eq!(font.measure("abc", -3.0), 0);
    }

    #[test]
    fn fit_cuts_with_ellipsis_within_max_width() {
        let font = TitleFont::bundled();
        let inner = font.font.as_ref().unwrap();
        let text = "[work] a very long window title that cannot possibly fit";
        assert_eq!(fit(inner, text, px(), 10_000), text);
        for max in [0, 5, 20, 60, 150] {
            let cut = fit(inner, text, px(), max);
            assert!(font.measure(&cut, px()) <= max, "{cut:?} in {max}");
            assert!(cut.is_empty() || cut.ends_with(ELLIPSIS), "{cut:?}");
        }
        assert!(fit(inner, text, px(), 150).starts_with("[work]"));
    }

    #[test]
    fn title_bar_corner_and_text() {
        let (width, bg) = (300, 0x3465a4);
        let text = opaque(contrasting_text_colour(bg));
        let with_title = title_bar(
            width,
            HEIGHT,
            bg,
            contrasting_text_colour(bg),
            "[work] Hello",
            px(),
            true,
        );
        let empty = title_bar(
            width,
            HEIGHT,
            bg,
            contrasting_text_colour(bg),
            "",
            px(),
            true,
        );
        for bar in [&with_title, &empty] {
            assert_eq!(bar.len(), (width * HEIGHT * 4) as usize);
            for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                assert_eq!(pixel(bar, width, x, y), opaque(bg));
            }
        }
        let (close_x, ..) = close_button_rect(width, HEIGHT);
        let text_pixels = |bar: &[u8]| {
            (0..HEIGHT)
                .flat_map(|y| (0..close_x).map(move |x| (x, y)))
                .filter(|&(x, y)| pixel(bar, width, x, y) == text)
                .count()
        };
        assert!(text_pixels(&with_title) > 0);
        assert_eq!(text_pixels(&empty), 0);
    }

    #[test]
    fn close_button_centre_is_text_colour() {
        for (width, bg) in [(300, 0x3465a4), (200, 0xedd400), (HEIGHT - 5, 0xcc0000)] {
            let bar = title_bar(
                width,
                HEIGHT,
                bg,
                contrasting_text_colour(bg),
                "title",
                px(),
                true,
            );
            let (x, y, w, h) = close_button_rect(width, HEIGHT);
            let centre = pixel(&bar, width, x + w / 2, y + h / 2);
            assert_eq!(centre, opaque(contrasting_text_colour(bg)), "width {width}");
        }
    }

    #[test]
    fn close_button_rect_is_right_square_or_whole_bar() {
        assert_eq!(close_button_rect(300, 24), (276, 0, 24, 24));
        assert_eq!(close_button_rect(24, 24), (0, 0, 24, 24));
        assert_eq!(close_button_rect(10, 24), (0, 0, 10, 24));
        assert_eq!(close_button_rect(0, 0), (0, 0, 0, 0));
    }

    #[test]
    fn long_title_stays_out_of_close_button() {
        let (width, bg) = (200, 0x73d216);
        let long = "[work] ".to_owned() + &"Wide MMMM WWWW title ".repeat(50);
        let bar = title_bar(
            width,
            HEIGHT,
            bg,
            contrasting_text_colour(bg),
            &long,
            px(),
            true,
        );
        // Only the cross may differ from the background there, exactly as with no title.
        let cross_only = title_bar(
            width,
            HEIGHT,
            bg,
            contrasting_text_colour(bg),
            "",
            px(),
            true,
        );
        let (x0, y0, w, h) = close_button_rect(width, HEIGHT);
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                assert_eq!(pixel(&bar, width, x, y), pixel(&cross_only, width, x, y));
            }
        }
    }

    #[test]
    fn title_bar_degenerate_sizes() {
        assert!(title_bar(0, 0, 0, contrasting_text_colour(0), "x", 10.0, true).is_empty());
        assert!(title_bar(100, 0, 0, contrasting_text_colour(0), "x", 10.0, true).is_empty());
        assert_eq!(
            title_bar(
                1,
                1,
                0xffffff,
                contrasting_text_colour(0xffffff),
                "x",
                10.0,
                true
            )
            .len(),
            4
        );
        assert_eq!(
            title_bar(
                3,
                2,
                0,
                contrasting_text_colour(0),
                "x",
                f32::INFINITY,
                true
            )
            .len(),
            24
        );
    }

    #[test]
    fn draw_survives_absurd_arguments() {
        let font = TitleFont::bundled();
        let texts = [
            "",
            "[work] hello",
            "\0\n\t\u{7f}\u{1b}[31m",
            "\u{10ffff}😀𝄞 ﷽",
        ];
        let xs = [-1000, 0, 10_000, i32::MIN, i32::MAX];
        let sizes = [
            (0, 0, 0),
            (0, 10, 0),
            (10, 0, 40),
            (100, 20, 40),
            (16, 16, 64),
        ];
        let pxs = [0.0, -1.0, f32::NAN, f32::INFINITY, 1e9, 14.0];
        for (width, height, stride) in sizes {
            for len in [0, 40, 400, 1000] {
                let mut buffer = vec![0x5a; len];
                for x in xs {
                    for text in texts {
                        for px in pxs {
                            for max_width in [0, 30, u32::MAX] {
                                font.draw(
                                    &mut buffer,
                                    width,
                                    height,
                                    stride,
                                    x,
                                    text,
                                    px,
                                    0xffffff,
                                    max_width,
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn draw_stays_inside_image_and_max_width() {
        let font = TitleFont::bundled();
        // 20 x 30 image with 8 padding bytes per row, in a slice with a spare tail.
        let (width, height, stride) = (20_u32, 30_u32, 88_usize);
        let len = stride * height as usize + 16;
        let sentinel = 0x5a;
        for (x, max_width, px) in [(0, u32::MAX, 40.0), (-7, u32::MAX, 40.0), (3, 12, 10.0)] {
            let mut buffer = vec![sentinel; len];
            font.draw(
                &mut buffer,
                width,
                height,
                stride,
                x,
                "MWMWMWMW",
                px,
                0xffffff,
                max_width,
            );
            let mut touched = 0;
            for (i, &byte) in buffer.iter().enumerate() {
                let (row, col) = (i / stride, (i % stride) / 4);
                let inside = row < height as usize && col < width as usize;
                let allowed =
                    (x.max(0) as usize..(x as i64 + max_width as i64) as usize).contains(&col);
                if byte != sentinel {
                    assert!(
                        inside && allowed,
                        "byte {i} written (x {x}, max {max_width})"
                    );
                    touched += 1;
                }
            }
            assert!(touched > 0, "nothing drawn (x {x}, max {max_width})");
        }
    }

    #[test]
    fn draw_respects_short_stride() {
        let font = TitleFont::bundled();
        // Stride holds only 10 of the 100 claimed pixels per row.
        let mut buffer = vec![0_u8; 40 * 10];
        font.draw(
            &mut buffer,
            100,
            10,
            40,
            0,
            "MMMMMMMMMM",
            12.0,
            0xffffff,
            1000,
        );
        assert!(buffer.iter().any(|&b| b != 0));
    }

    #[test]
    fn full_coverage_is_exact_and_blend_is_premultiplied_over() {
        let mut pixel = [10, 20, 30, 255];
        blend_over(&mut pixel, [200, 100, 50], 255);
        assert_eq!(pixel, [200, 100, 50, 255]);
        let mut transparent = [0, 0, 0, 0];
        blend_over(&mut transparent, [255, 255, 255], 128);
        assert_eq!(transparent, [128, 128, 128, 128]);
    }
}
