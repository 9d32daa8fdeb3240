//! Trust decorations, drawn by airgui in front of everything a qube draws: the title bar in the
//! qube's label colour carrying `[qube] title` and a close button, and the border; or, for
//! menus and fullscreen windows, a thin frame in the label colour over the content's edges. A
//! zone frame on a master has a double border (two bands of the zone's colour with a dark line
//! between) and no close button, so it cannot be taken for a qube window.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{Color32F, ImportAll, ImportMem, Renderer};
use smithay::utils::{Physical, Point, Rectangle, Transform};

use guid_protocol::Rect;

use super::element::OutputElement;
use super::text;
use crate::config::Rgb;
use crate::shell::Metrics;

/// Width of the frame drawn over the edges of override-redirect and fullscreen windows.
pub const MARKER_WIDTH: u32 = 2;

/// Width of the dark line between the two bands of a zone frame's border.
pub const ZONE_GAP: u32 = 2;

/// The dark line of a zone frame.
const ZONE_GAP_COLOUR: Rgb = Rgb {
    r: 0x10,
    g: 0x10,
    b: 0x10,
};

/// Brightness, in per cent, of an unfocused window's title bar: its label colour darkened,
/// same hue, so the focused window (full colour) stands out as where keys go.
const UNFOCUSED_PERCENT: u32 = 55;

/// How a window is decorated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Style {
    /// Title bar with a close button, and border around the content. Only the focused window's
    /// bar is in the full label colour with crisp text; the borders always are.
    TitleBar {
        title: String,
        colour: Rgb,
        focused: bool,
    },
    /// A zone's frame: title bar without a close button, double border.
    ZoneFrame { title: String, colour: Rgb },
    /// A thin frame over the content's edges.
    Marker { colour: Rgb },
}

/// What the title bar buffer was last drawn for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TitleKey {
    title: String,
    width: u32,
    height: u32,
    colours: BarColours,
    close_button: bool,
}

/// The colours of a title bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarColours {
    pub background: Rgb,
    pub text: Rgb,
}

impl BarColours {
    /// A focused window's bar is its label colour with the contrasting text (black or white);
    /// an unfocused one's is the label colour darkened, its text faded halfway into it.
    pub fn of(label: Rgb, focused: bool) -> BarColours {
        if focused {
            return BarColours {
                background: label,
                text: contrasting(label),
            };
        }
        let dim = |channel: u8| (u32::from(channel) * UNFOCUSED_PERCENT / 100) as u8;
        let background = Rgb {
            r: dim(label.r),
            g: dim(label.g),
            b: dim(label.b),
        };
        let text = contrasting(background);
        let halfway = |a: u8, b: u8| ((u16::from(a) + u16::from(b)) / 2) as u8;
        BarColours {
            background,
            text: Rgb {
                r: halfway(text.r, background.r),
                g: halfway(text.g, background.g),
                b: halfway(text.b, background.b),
            },
        }
    }
}

fn contrasting(background: Rgb) -> Rgb {
    let [_, r, g, b] = text::contrasting_text_colour(background.to_u32()).to_be_bytes();
    Rgb { r, g, b }
}

/// A window's decoration buffers. They persist between frames so that the damage tracker
/// redraws them only when they change.
#[derive(Debug, Default)]
pub struct Decorations {
    title_bar: Option<(TitleKey, MemoryRenderBuffer)>,
    edges: [SolidColorBuffer; 4],
    /// The dark line of a zone frame's double border.
    gap: [SolidColorBuffer; 4],
    /// Opaque black under a qube window's content, where its image does not reach.
    backdrop: SolidColorBuffer,
}

impl Decorations {
    /// The decoration elements for a window whose frame and content are given in output
    /// coordinates, topmost first.
    pub fn elements<R>(
        &mut self,
        renderer: &mut R,
        frame: Rect,
        content: Rect,
        style: &Style,
        metrics: Metrics,
    ) -> Result<Vec<OutputElement<R>>, R::Error>
    where
        R: Renderer + ImportAll + ImportMem,
        R::TextureId: Clone + Send + 'static,
    {
        let mut elements = Vec::with_capacity(9);
        let (colour, edges) = match style {
            Style::TitleBar { title, colour, .. } | Style::ZoneFrame { title, colour } => {
                let (zone, focused) = match style {
                    Style::TitleBar { focused, .. } => (false, *focused),
                    _ => (true, true),
                };
                if zone {
                    let gap = zone_gap_lines(frame, metrics.border);
                    push_solid(&mut elements, &mut self.gap, gap, ZONE_GAP_COLOUR);
                }
                let bar = Rect::new(frame.x, frame.y, frame.width, metrics.bar_height());
                let colours = BarColours::of(*colour, focused);
                self.refresh_title_bar(title, bar, colours, !zone);
                if let Some((_, buffer)) = &self.title_bar {
                    elements.push(OutputElement::Memory(
                        MemoryRenderBufferRenderElement::from_buffer(
                            renderer,
                            point(bar.x, bar.y),
                            buffer,
                            None,
                            None,
                            None,
                            Kind::Unspecified,
                        )?,
                    ));
                }
                (*colour, border_edges(frame, content, metrics))
            }
            Style::Marker { colour } => {
                self.title_bar = None;
                (*colour, marker_edges(content))
            }
        };
        push_solid(&mut elements, &mut self.edges, edges, colour);
        Ok(elements)
    }

    /// Opaque black filling `content`, to draw under the window's image: until the first dump
    /// arrives, and wherever the image is smaller than the window, nothing below shows through
    /// (an override-redirect window over another qube's window must not show that window).
    pub fn backdrop(&mut self, content: Rect) -> SolidColorRenderElement {
        let size = (content.width as i32, content.height as i32);
        self.backdrop
            .update(size, Color32F::new(0.0, 0.0, 0.0, 1.0));
        SolidColorRenderElement::from_buffer(
            &self.backdrop,
            (content.x, content.y),
            1.0,
            1.0,
            Kind::Unspecified,
        )
    }

    /// Redraws the title bar's buffer when its text, size or colour changed.
    fn refresh_title_bar(
        &mut self,
        title: &str,
        bar: Rect,
        colours: BarColours,
        close_button: bool,
    ) {
        let key = TitleKey {
            title: title.to_owned(),
            width: bar.width,
            height: bar.height,
            colours,
            close_button,
        };
        if self
            .title_bar
            .as_ref()
            .is_some_and(|(drawn, _)| *drawn == key)
        {
            return;
        }
        let px = bar.height as f32 * 0.58;
        let pixels = text::title_bar(
            bar.width,
            bar.height,
            colours.background.to_u32(),
            colours.text.to_u32(),
            title,
            px,
            close_button,
        );
        let size = (bar.width as i32, bar.height as i32);
        let buffer = MemoryRenderBuffer::from_slice(
            &pixels,
            Fourcc::Argb8888,
            size,
            1,
            Transform::Normal,
            Some(vec![Rectangle::from_size(size.into())]),
        );
        self.title_bar = Some((key, buffer));
    }
}

/// Solid rectangles of one colour, kept in `buffers` so unchanged ones are not redrawn.
fn push_solid<R>(
    elements: &mut Vec<OutputElement<R>>,
    buffers: &mut [SolidColorBuffer; 4],
    rects: [Rect; 4],
    colour: Rgb,
) where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Send + 'static,
{
    let colour = colour_f32(colour);
    for (buffer, rect) in buffers.iter_mut().zip(rects) {
        buffer.update((rect.width as i32, rect.height as i32), colour);
        elements.push(OutputElement::Solid(SolidColorRenderElement::from_buffer(
            buffer,
            (rect.x, rect.y),
            1.0,
            1.0,
            Kind::Unspecified,
        )));
    }
}

/// The dark line of a zone frame's double border: a ring [`ZONE_GAP`] wide, in the middle of
/// the `border`-wide band all around the frame (through the title bar's sides and top).
fn zone_gap_lines(frame: Rect, border: u32) -> [Rect; 4] {
    let inset = border.saturating_sub(ZONE_GAP) / 2;
    let (x, y) = (frame.x + inset as i32, frame.y + inset as i32);
    let width = frame.width.saturating_sub(2 * inset);
    let height = frame.height.saturating_sub(2 * inset);
    let far_x = x + width.saturating_sub(ZONE_GAP) as i32;
    let far_y = y + height.saturating_sub(ZONE_GAP) as i32;
    [
        Rect::new(x, y, width, ZONE_GAP),
        Rect::new(x, far_y, width, ZONE_GAP),
        Rect::new(x, y, ZONE_GAP, height),
        Rect::new(far_x, y, ZONE_GAP, height),
    ]
}

/// Left, right and bottom borders beside and below the content.
fn border_edges(frame: Rect, content: Rect, metrics: Metrics) -> [Rect; 4] {
    let border = metrics.border;
    let content_bottom = content.y + content.height as i32;
    [
        Rect::new(frame.x, content.y, border, content.height),
        Rect::new(
            content.x + content.width as i32,
            content.y,
            border,
            content.height,
        ),
        Rect::new(frame.x, content_bottom, frame.width, border),
        Rect::default(),
    ]
}

/// A frame of [`MARKER_WIDTH`] over the content's edges.
fn marker_edges(content: Rect) -> [Rect; 4] {
    let w = MARKER_WIDTH.min(content.width).min(content.height);
    let right = content.x + content.width as i32 - w as i32;
    let bottom = content.y + content.height as i32 - w as i32;
    [
        Rect::new(content.x, content.y, content.width, w),
        Rect::new(content.x, bottom, content.width, w),
        Rect::new(content.x, content.y, w, content.height),
        Rect::new(right, content.y, w, content.height),
    ]
}

fn point(x: i32, y: i32) -> Point<f64, Physical> {
    (f64::from(x), f64::from(y)).into()
}

fn colour_f32(colour: Rgb) -> Color32F {
    Color32F::new(
        f32::from(colour.r) / 255.0,
        f32::from(colour.g) / 255.0,
        f32::from(colour.b) / 255.0,
        1.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borders_surround_the_content_below_the_title_bar() {
        let metrics = Metrics {
            border: 3,
            title: 24,
        };
        let content = Rect::new(100, 100, 300, 200);
        let frame = metrics.frame(content);
        let [left, right, bottom, _] = border_edges(frame, content, metrics);
        assert_eq!(left, Rect::new(97, 100, 3, 200));
        assert_eq!(right, Rect::new(400, 100, 3, 200));
        assert_eq!(bottom, Rect::new(97, 300, 306, 3));
    }

    #[test]
    fn only_the_focused_title_bar_is_in_the_full_label_colour() {
        let red = Rgb {
            r: 0xcc,
            g: 0,
            b: 0,
        };
        let focused = BarColours::of(red, true);
        assert_eq!(focused.background, red);
        assert_eq!(
            focused.text,
            Rgb {
                r: 0xff,
                g: 0xff,
                b: 0xff
            }
        );
        let unfocused = BarColours::of(red, false);
        assert_eq!(
            unfocused.background,
            Rgb {
                r: 0x70,
                g: 0,
                b: 0
            },
            "same hue, darker"
        );
        assert_eq!(
            unfocused.text,
            Rgb {
                r: 0xb7,
                g: 0x7f,
                b: 0x7f
            },
            "faded text"
        );
        // On a light label the focused text is black; unfocused, the bar is dark enough for
        // faded white text.
        let yellow = Rgb {
            r: 0xed,
            g: 0xd4,
            b: 0,
        };
        assert_eq!(BarColours::of(yellow, true).text, Rgb { r: 0, g: 0, b: 0 });
        assert_eq!(
            BarColours::of(yellow, false).background,
            Rgb {
                r: 0x82,
                g: 0x74,
                b: 0
            }
        );
    }

    #[test]
    fn the_zone_gap_runs_in_the_middle_of_the_border() {
        let [top, bottom, left, right] = zone_gap_lines(Rect::new(0, 0, 100, 80), 8);
        assert_eq!(top, Rect::new(3, 3, 94, 2));
        assert_eq!(bottom, Rect::new(3, 75, 94, 2));
        assert_eq!(left, Rect::new(3, 3, 2, 74));
        assert_eq!(right, Rect::new(95, 3, 2, 74));
    }

    #[test]
    fn the_marker_lies_over_the_content_edges() {
        let [top, bottom, left, right] = marker_edges(Rect::new(10, 20, 100, 50));
        assert_eq!(top, Rect::new(10, 20, 100, 2));
        assert_eq!(bottom, Rect::new(10, 68, 100, 2));
        assert_eq!(left, Rect::new(10, 20, 2, 50));
        assert_eq!(right, Rect::new(108, 20, 2, 50));
    }
}
