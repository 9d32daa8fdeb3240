//! The pointer, drawn over the frame at the pointer's position: the shape the window under it
//! asked for (see `input::refresh_pointer_shape`). A monitor shows no cursor of its own. A
//! zone's picture is cut to the zone's content.

use std::collections::HashMap;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{
    MemoryRenderBuffer, MemoryRenderBufferRenderElement,
};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{ImportMem, Renderer};
use smithay::utils::{Logical, Rectangle, Transform};

use guid_protocol::Rect;

use crate::input::PointerShape;
use crate::render::cursor::{place_picture, Pointer};
use crate::shell::Hit;
use crate::shell_key::ShellKey;
use crate::state::Airgui;
use airgui_remote::Cursor;

pub type CursorElement<R> = MemoryRenderBufferRenderElement<R>;

/// One buffer per shape shown so far, so that a shape seen again is not uploaded again.
#[derive(Debug, Default)]
pub struct CursorImages {
    /// Each picture with its size and hotspot.
    airgui: HashMap<Pointer, (MemoryRenderBuffer, (u16, u16), (u16, u16))>,
    zone: Option<(Cursor, MemoryRenderBuffer, (u16, u16), (u16, u16))>,
}

impl CursorImages {
    /// The cursor element for the pointer's shape with its hotspot at the pointer (None when
    /// hidden, or a zone's picture outside the zone).
    pub fn element<R>(&mut self, renderer: &mut R, airgui: &Airgui) -> Option<CursorElement<R>>
    where
        R: Renderer + ImportMem,
        R::TextureId: Send + Clone + 'static,
    {
        let shape = airgui.input.shape();
        let (buffer, size, hot) = match shape.unwrap_or(&PointerShape::Airgui(Pointer::Arrow)) {
            PointerShape::Airgui(pointer) => {
                let (buffer, size, hot) = self.airgui.entry(*pointer).or_insert_with(|| {
                    let picture = pointer.picture();
                    (
                        buffer_of(&picture.pixels, picture.width, picture.height),
                        (picture.width, picture.height),
                        picture.hot,
                    )
                });
                (buffer.clone(), *size, *hot)
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
                    Some((shown, buffer, size, hot)) if shown == cursor => {
                        (buffer.clone(), *size, *hot)
                    }
                    _ => {
                        let buffer = buffer_of(&image.pixels, image.width, image.height);
                        let size = (image.width, image.height);
                        let hot = (image.hot_x, image.hot_y);
                        self.zone = Some((cursor.clone(), buffer.clone(), size, hot));
                        (buffer, size, hot)
                    }
                }
            }
        };
        let clip = match shape {
            Some(PointerShape::Zone(_)) => Some(zone_content_under(airgui)?),
            _ => None,
        };
        let placed = place_picture(airgui.input.pointer, size, hot, clip)?;
        let on_output = placed.on_output;
        MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            (f64::from(on_output.x), f64::from(on_output.y)),
            &buffer,
            None,
            Some(logical(placed.from_picture).to_f64()),
            Some(logical(on_output).size),
            Kind::Cursor,
        )
        .map_err(|error| tracing::warn!(%error, "cannot draw the cursor"))
        .ok()
    }
}

/// The content of the zone under the pointer: where a zone's picture may show.
fn zone_content_under(airgui: &Airgui) -> Option<Rect> {
    let (x, y) = airgui.input.pointer;
    match airgui.shell.hit(x.floor() as i32, y.floor() as i32)? {
        (key @ ShellKey::Zone(_), Hit::Content { .. }) => Some(airgui.shell.window(key)?.content),
        _ => None,
    }
}

fn logical(rect: Rect) -> Rectangle<i32, Logical> {
    Rectangle::new(
        (rect.x, rect.y).into(),
        (rect.width as i32, rect.height as i32).into(),
    )
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
