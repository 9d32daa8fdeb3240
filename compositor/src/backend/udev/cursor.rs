//! The pointer, drawn over the frame at the pointer's position: the shape the window under it
//! asked for (see `input::refresh_pointer_shape`). A monitor shows no cursor of its own.

use std::collections::HashMap;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{ImportMem, Renderer};
use smithay::utils::Transform;

use crate::render::cursor::{Pointer, PointerShape};
use airgui_remote::Cursor;

pub type CursorElement<R> = MemoryRenderBufferRenderElement<R>;

/// One buffer per shape shown so far, so that a shape seen again is not uploaded again.
#[derive(Debug, Default)]
pub struct CursorImages {
    airgui: HashMap<Pointer, (MemoryRenderBuffer, (i32, i32))>,
    zone: Option<(Cursor, MemoryRenderBuffer, (i32, i32))>,
}

impl CursorImages {
    /// The cursor element for `shape` with its hotspot at `at` (None when hidden).
    pub fn element<R>(
        &mut self,
        renderer: &mut R,
        shape: Option<&PointerShape>,
        at: (f64, f64),
    ) -> Option<CursorElement<R>>
    where
        R: Renderer + ImportMem,
        R::TextureId: Send + Clone + 'static,
    {
        let (buffer, hot) = match shape.unwrap_or(&PointerShape::Airgui(Pointer::Arrow)) {
            PointerShape::Airgui(pointer) => {
                let (buffer, hot) = self.airgui.entry(*pointer).or_insert_with(|| {
                    let picture = pointer.picture();
                    (
                        buffer_of(&picture.pixels, picture.width, picture.height),
                        (i32::from(picture.hot.0), i32::from(picture.hot.1)),
                    )
                });
                (buffer.clone(), *hot)
            }
            PointerShape::Zone(Cursor::Hidden) => return None,
            PointerShape::Zone(cursor) => {
                let image = match cursor {
                    Cursor::Image(image) => image.clone(),
                    // The slave's default: airgui's arrow.
                    _ => {
                        let picture = Pointer::Arrow.picture();
                        airgui_remote::CursorImage {
                            width: picture.width,
                            height: picture.height,
                            hot_x: picture.hot.0,
                            hot_y: picture.hot.1,
                            pixels: picture.pixels,
                        }
                    }
                };
                match &self.zone {
                    Some((shown, buffer, hot)) if shown == cursor => (buffer.clone(), *hot),
                    _ => {
                        let buffer = buffer_of(&image.pixels, image.width, image.height);
                        let hot = (i32::from(image.hot_x), i32::from(image.hot_y));
                        self.zone = Some((cursor.clone(), buffer.clone(), hot));
                        (buffer, hot)
                    }
                }
            }
        };
        let location = (
            at.0.floor() - f64::from(hot.0),
            at.1.floor() - f64::from(hot.1),
        );
        MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            location,
            &buffer,
            None,
            None,
            None,
            Kind::Cursor,
        )
        .map_err(|error| tracing::warn!(%error, "cannot draw the cursor"))
        .ok()
    }
}

/// Premultiplied B, G, R, A rows of `width * 4` bytes.
fn buffer_of(pixels: &[u8], width: u16, height: u16) -> MemoryRenderBuffer {
    MemoryRenderBuffer::from_slice(
        pixels,
        Fourcc::Argb8888,
        (i32::from(width), i32::from(height)),
        1,
        Transform::Normal,
        None,
    )
}
