//! Window images as textures of the renderer in use: a new image is imported whole, damage is
//! copied rectangle by rectangle, straight from the read-only grant-pool mapping.

use std::collections::HashMap;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::texture::{TextureRenderBuffer, TextureRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{ImportMem, Renderer, Texture};
use smithay::utils::{Buffer, Logical, Physical, Point, Rectangle, Size, Transform};

use guid_protocol::Rect;

use crate::qubes::{QubeWindow, WindowKey};

#[derive(Debug)]
pub struct WindowTextures<R: Renderer> {
    buffers: HashMap<WindowKey, WindowTexture<R::TextureId>>,
}

/// A window's texture and the size of the image in it.
#[derive(Debug)]
struct WindowTexture<T: Texture> {
    buffer: TextureRenderBuffer<T>,
    image_size: (u32, u32),
}

impl<R: Renderer> Default for WindowTextures<R> {
    fn default() -> Self {
        WindowTextures {
            buffers: HashMap::new(),
        }
    }
}

impl<R> WindowTextures<R>
where
    R: Renderer + ImportMem,
    R::TextureId: Clone + Send + 'static,
{
    /// Brings the window's texture up to date with its image.
    pub fn upload(
        &mut self,
        renderer: &mut R,
        key: WindowKey,
        window: &mut QubeWindow,
    ) -> Result<(), R::Error> {
        let Some(image) = &window.image else {
            return Ok(());
        };
        if window.upload.is_empty() {
            return Ok(());
        }
        let (width, height) = (image.width as i32, image.height as i32);
        let len = image.stride() * image.height as usize;
        let upload = std::mem::take(&mut window.upload);
        image.view.with_bytes(|bytes| {
            let pixels = bytes.get(..len).unwrap_or(bytes);
            match self.buffers.get_mut(&key) {
                Some(WindowTexture { buffer, .. }) if !upload.whole => {
                    for rect in &upload.damage {
                        buffer.update_from_memory(renderer, pixels, buffer_rect(rect), None)?;
                    }
                    Ok(())
                }
                _ => {
                    // Qube pixels are B, G, R, X: opaque whatever the X byte says.
                    let opaque = Some(vec![Rectangle::from_size((width, height).into())]);
                    let buffer = TextureRenderBuffer::from_memory(
                        renderer,
                        pixels,
                        Fourcc::Xrgb8888,
                        (width, height),
                        false,
                        1,
                        Transform::Normal,
                        opaque,
                    )?;
                    let image_size = (image.width, image.height);
                    self.buffers
                        .insert(key, WindowTexture { buffer, image_size });
                    Ok(())
                }
            }
        })
    }

    /// The window's content at `content` (output coordinates), clipped to it: while a resized
    /// window waits for its new image, the old one shows, cut to the window.
    pub fn element(
        &self,
        key: WindowKey,
        content: Rect,
    ) -> Option<TextureRenderElement<R::TextureId>> {
        let WindowTexture {
            buffer,
            image_size: (image_width, image_height),
        } = self.buffers.get(&key)?;
        let width = content.width.min(*image_width) as i32;
        let height = content.height.min(*image_height) as i32;
        let location: Point<f64, Physical> = (f64::from(content.x), f64::from(content.y)).into();
        let size: Size<i32, Logical> = (width, height).into();
        Some(TextureRenderElement::from_texture_render_buffer(
            location,
            buffer,
            None,
            Some(Rectangle::from_size(size.to_f64())),
            Some(size),
            Kind::Unspecified,
        ))
    }

    pub fn forget(&mut self, key: WindowKey) {
        self.buffers.remove(&key);
    }
}

fn buffer_rect(rect: &Rect) -> Rectangle<i32, Buffer> {
    Rectangle::new(
        (rect.x, rect.y).into(),
        (rect.width as i32, rect.height as i32).into(),
    )
}
