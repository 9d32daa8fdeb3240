//! Trust decorations, drawn by airgui in front of everything a qube draws: the title bar in the
//! qube's label colour carrying `[qube] title` and a close button, and the border; or, for
//! menus and fullscreen windows, a thin frame in the label colour over the content's edges.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{Color32F, ImportAll, ImportMem, Renderer};
use smithay::utils::{Physical, Point, Rectangle, Transform};

use guid_protocol::Rect;

use super::text;
use super::OutputElement;
use crate::config::Rgb;
use crate::shell::Metrics;

/// Width of the frame drawn over the edges of override-redirect and fullscreen windows.
pub const MARKER_WIDTH: u32 = 2;

/// How a window is decorated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Style {
    /// Title bar and border around the content.
    TitleBar { title: String, colour: Rgb },
    /// A thin frame over the content's edges.
    Marker { colour: Rgb },
}

/// What the title bar buffer was last drawn for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TitleKey {
    title: String,
    width: u32,
    height: u32,
    colour: Rgb,
}

/// A window's decoration buffers. They persist between frames so that the damage tracker
/// redraws them only when they change.
#[derive(Debug, Default)]
pub struct Decorations {
    title_bar: Option<(TitleKey, MemoryRenderBuffer)>,
    edges: [SolidColorBuffer; 4],
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
        let mut elements = Vec::with_capacity(5);
        let (colour, edges) = match style {
            Style::TitleBar { title, colour } => {
                let bar = Rect::new(frame.x, frame.y, frame.width, metrics.bar_height());
                self.refresh_title_bar(title, bar, *colour);
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
        let colour = colour_f32(colour);
        for (buffer, edge) in self.edges.iter_mut().zip(edges) {
            buffer.update((edge.width as i32, edge.height as i32), colour);
            elements.push(OutputElement::Solid(SolidColorRenderElement::from_buffer(
                buffer,
                (edge.x, edge.y),
                1.0,
                1.0,
                Kind::Unspecified,
            )));
        }
        Ok(elements)
    }

    /// Redraws the title bar's buffer when its text, size or colour changed.
    fn refresh_title_bar(&mut self, title: &str, bar: Rect, colour: Rgb) {
        let key = TitleKey {
            title: title.to_owned(),
            width: bar.width,
            height: bar.height,
            colour,
        };
        if self
            .title_bar
            .as_ref()
            .is_some_and(|(drawn, _)| *drawn == key)
        {
            return;
        }
        let px = bar.height as f32 * 0.58;
        let pixels = text::title_bar(bar.width, bar.height, colour.to_u32(), title, px);
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
    fn the_marker_lies_over_the_content_edges() {
        let [top, bottom, left, right] = marker_edges(Rect::new(10, 20, 100, 50));
        assert_eq!(top, Rect::new(10, 20, 100, 2));
        assert_eq!(bottom, Rect::new(10, 68, 100, 2));
        assert_eq!(left, Rect::new(10, 20, 2, 50));
        assert_eq!(right, Rect::new(108, 20, 2, 50));
    }
}
