//! Window images as textures of the renderer in use. A renderer that draws from memory (pixman)
//! reads a qube's image where it lies, in the read-only grant-pool mapping: a frame then copies
//! each damaged pixel once, into the output, and a window costs no second buffer. Otherwise a new
//! image is imported whole and damage is copied into its texture rectangle by rectangle, straight
//! from where the pixels are (a qube's mapping, a zone link's framebuffer).

use std::collections::HashMap;
use std::sync::Arc;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::texture::{TextureRenderBuffer, TextureRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::pixman::{PixmanRenderer, PixmanTexture};
use smithay::backend::renderer::{ImportMem, Renderer, Texture};
use smithay::reexports::pixman::{FormatCode, Image};
use smithay::utils::{Buffer, Logical, Physical, Point, Rectangle, Size, Transform};

use guid_protocol::pool::{PoolView, WindowImage};
use guid_protocol::Rect;

use crate::qubes::{QubeWindow, WindowKey};
use crate::shell_key::ShellKey;
use crate::zones::{Zone, ZoneId};

/// Damage rectangles kept per window (or zone) before they are merged into one: enough for a few moving
/// things, bounded however much an agent sends between two frames.
const MAX_DAMAGE_RECTS: usize = 16;

/// Image work waiting for the next frame.
#[derive(Debug, Default)]
pub struct PendingUpload {
    /// A new image arrived: upload all of it.
    pub whole: bool,
    /// Rectangles of the current image that changed.
    pub damage: Vec<Rect>,
}

impl PendingUpload {
    pub fn add_damage(&mut self, rect: Rect) {
        if self.whole {
            return;
        }
        if self.damage.len() >= MAX_DAMAGE_RECTS {
            let merged = self.damage.iter().fold(rect, |all, r| all.union(r));
            self.damage.clear();
            self.damage.push(merged);
        } else {
            self.damage.push(rect);
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.whole && self.damage.is_empty()
    }
}

/// How a renderer takes a qube window's image.
pub trait WindowImageImport: Renderer + ImportMem {
    /// A texture that reads `image`'s mapping in place, or `None` when this renderer has to
    /// copy the image into memory of its own. The caller keeps the mapping alive for as long as
    /// the texture and never writes through the texture.
    fn texture_in_place(&mut self, image: &WindowImage) -> Option<Self::TextureId> {
        let _ = image;
        None
    }
}

impl WindowImageImport for PixmanRenderer {
    fn texture_in_place(&mut self, image: &WindowImage) -> Option<PixmanTexture> {
        let stride = image.stride();
        if stride.checked_mul(image.height as usize)? > image.view.len() {
            return None;
        }
        // `None` when the dump's pages are scattered in the pool: then the image is copied.
        let bits = image.view.contiguous_ptr()?.as_ptr().cast::<u32>();
        // SAFETY: `bits` starts a page-aligned block of the pool's mapping of at least
        // `stride * height` bytes (checked above), which `WindowTexture::in_place` keeps mapped
        // for as long as the texture exists. The mapping is read-only: pixman only reads a source
        // image, through this raw pointer (never a Rust reference: see guid_protocol's
        // shared_memory), and a window texture is never a render target or updated
        // (`WindowTextures::upload_window`). The agent may change the pixels meanwhile, which
        // tears only its own window's picture.
        let image = unsafe {
            Image::from_raw_mut(
                FormatCode::X8R8G8B8,
                image.width as usize,
                image.height as usize,
                bits,
                stride,
                false,
            )
        }
        .ok()?;
        Some(PixmanTexture::from(image))
    }
}

#[cfg(any(feature = "winit", feature = "udev"))]
impl WindowImageImport for smithay::backend::renderer::gles::GlesRenderer {}

#[derive(Debug)]
pub struct WindowTextures<R: Renderer> {
    buffers: HashMap<ShellKey, WindowTexture<R::TextureId>>,
    /// Where a qube window's changed rectangles are copied before a renderer that cannot read
    /// in place uploads them; one for all windows, the size of the last one uploaded.
    staging: Vec<u8>,
}

/// A window's texture and the size of the image in it.
#[derive(Debug)]
struct WindowTexture<T: Texture> {
    buffer: TextureRenderBuffer<T>,
    image_size: (u32, u32),
    /// The mapping an in-place texture reads. Declared after `buffer`, so dropped after it.
    in_place: Option<Arc<PoolView>>,
}

impl<R: Renderer> Default for WindowTextures<R> {
    fn default() -> Self {
        WindowTextures {
            buffers: HashMap::new(),
            staging: Vec::new(),
        }
    }
}

impl<R> WindowTextures<R>
where
    R: WindowImageImport,
    R::TextureId: Clone + Send + 'static,
{
    /// Brings a qube window's texture up to date with its image.
    pub fn upload_window(
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
        let upload = std::mem::take(&mut window.upload);
        let key = ShellKey::Qube(key);
        let size = (image.width, image.height);
        if let Some(texture) = self.buffers.get_mut(&key) {
            let reads_this_image = texture
                .in_place
                .as_ref()
                .is_some_and(|view| Arc::ptr_eq(view, &image.view));
            if reads_this_image && texture.image_size == size {
                // Nothing to copy: only the element's damage, for the output's damage tracker.
                let damage = if upload.whole {
                    vec![Rectangle::from_size((size.0 as i32, size.1 as i32).into())]
                } else {
                    upload.damage.iter().map(buffer_rect).collect()
                };
                return texture.buffer.render().draw(|_| Ok(damage));
            }
        }
        if let Some(texture) = renderer.texture_in_place(image) {
            let buffer = TextureRenderBuffer::from_texture(
                renderer,
                texture,
                1,
                Transform::Normal,
                opaque(size),
            );
            self.buffers.insert(
                key,
                WindowTexture {
                    buffer,
                    image_size: size,
                    in_place: Some(Arc::clone(&image.view)),
                },
            );
            return Ok(());
        }
        // Peer memory is only copied out, never lent as `&[u8]`: the rectangles to upload go
        // into an owned staging image first.
        let whole = [Rect::new(0, 0, image.width, image.height)];
        let rects = if upload.whole {
            &whole[..]
        } else {
            &upload.damage
        };
        let mut staging = std::mem::take(&mut self.staging);
        let result = self.upload(
            renderer,
            key,
            image.stage(rects, &mut staging),
            size,
            &upload,
        );
        self.staging = staging;
        result
    }

    /// Brings a zone's texture up to date with the frame its link sent, then lets the frame go
    /// (so the link can send the next).
    pub fn upload_zone(
        &mut self,
        renderer: &mut R,
        id: ZoneId,
        zone: &mut Zone,
    ) -> Result<(), R::Error> {
        let Some(frame) = zone.frame.take() else {
            return Ok(());
        };
        let upload = std::mem::take(&mut zone.upload);
        // `None`: the framebuffer was replaced since; the link sends it again.
        let Some(fb) = frame.lock() else {
            return Ok(());
        };
        let size = (u32::from(fb.width()), u32::from(fb.height()));
        self.upload(renderer, ShellKey::Zone(id), fb.pixels(), size, &upload)
    }

    /// Copies the damaged rectangles of `pixels` (B, G, R, X rows of `size.0 * 4` bytes) into
    /// the texture, or imports all of it when the image is new or changed size.
    fn upload(
        &mut self,
        renderer: &mut R,
        key: ShellKey,
        pixels: &[u8],
        size: (u32, u32),
        upload: &PendingUpload,
    ) -> Result<(), R::Error> {
        match self.buffers.get_mut(&key) {
            Some(WindowTexture {
                buffer,
                image_size,
                in_place: None,
            }) if !upload.whole && *image_size == size => {
                for rect in &upload.damage {
                    buffer.update_from_memory(renderer, pixels, buffer_rect(rect), None)?;
                }
                Ok(())
            }
            _ => {
                let buffer = TextureRenderBuffer::from_memory(
                    renderer,
                    pixels,
                    Fourcc::Xrgb8888,
                    (size.0 as i32, size.1 as i32),
                    false,
                    1,
                    Transform::Normal,
                    opaque(size),
                )?;
                self.buffers.insert(
                    key,
                    WindowTexture {
                        buffer,
                        image_size: size,
                        in_place: None,
                    },
                );
                Ok(())
            }
        }
    }

    /// The window's content at `content` (output coordinates), clipped to it: while a resized
    /// window waits for its new image, the old one shows, cut to the window.
    pub fn element(
        &self,
        key: ShellKey,
        content: Rect,
    ) -> Option<TextureRenderElement<R::TextureId>> {
        let WindowTexture {
            buffer,
            image_size: (image_width, image_height),
            ..
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

    pub fn forget(&mut self, key: ShellKey) {
        self.buffers.remove(&key);
    }
}

/// B, G, R, X: the whole image is opaque whatever the X byte says.
fn opaque(size: (u32, u32)) -> Option<Vec<Rectangle<i32, Buffer>>> {
    Some(vec![Rectangle::from_size(
        (size.0 as i32, size.1 as i32).into(),
    )])
}

fn buffer_rect(rect: &Rect) -> Rectangle<i32, Buffer> {
    Rectangle::new(
        (rect.x, rect.y).into(),
        (rect.width as i32, rect.height as i32).into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_merged_past_the_bound() {
        let mut upload = PendingUpload::default();
        for i in 0..40 {
            upload.add_damage(Rect::new(i * 10, 0, 5, 5));
        }
        assert!(upload.damage.len() <= MAX_DAMAGE_RECTS);
        let all = upload
            .damage
            .iter()
            .fold(Rect::default(), |a, r| a.union(r));
        assert_eq!(all, Rect::new(0, 0, 395, 5));
    }
}
