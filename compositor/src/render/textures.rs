//! Window images as textures of the renderer in use. A renderer that draws from memory (pixman)
//! reads a qube's image where it lies, in the read-only grant-pool mapping: a frame then copies
//! each damaged pixel once, into the output, and a window costs no second buffer. Otherwise
//! (GLES, and a zone link's framebuffer everywhere) `super::upload_plan` decides what a frame
//! copies: damage rectangle by rectangle, straight from where the pixels are, a whole image only
//! into a new texture, within a budget per frame. A window whose image cannot be copied is
//! skipped (and said so once), not the frame.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::texture::{TextureRenderBuffer, TextureRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::pixman::{PixmanRenderer, PixmanTexture};
use smithay::backend::renderer::{ImportMem, Renderer, Texture};
use smithay::reexports::pixman::{FormatCode, Image};
use smithay::utils::{Buffer, Logical, Physical, Point, Rectangle, Size, Transform};
use tracing::warn;

use guid_protocol::pool::{PoolView, WindowImage};
use guid_protocol::Rect;

use super::upload_plan::{self, PendingUpload, UploadBudget, UploadPlan};
use crate::qubes::{QubeWindow, WindowKey};
use crate::zones::zone::{Zone, ZoneId};

/// Whose image a texture holds: a qube window's or a zone's framebuffer (native windows' surfaces
/// are Smithay's business).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextureKey {
    Qube(WindowKey),
    Zone(ZoneId),
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
    buffers: HashMap<TextureKey, WindowTexture<R::TextureId>>,
    /// Where a qube window's changed rectangles are copied before a renderer that cannot read
    /// in place uploads them; one for all windows, the size of the last one uploaded.
    staging: Vec<u8>,
    /// Windows (and zones) whose image failed to copy, each said once in the log.
    failed: HashSet<TextureKey>,
}

/// Whether a window's image work is done for this frame or waits for the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upload {
    Done,
    Later,
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
            failed: HashSet::new(),
        }
    }
}

impl<R> WindowTextures<R>
where
    R: WindowImageImport,
    R::TextureId: Clone + Send + 'static,
{
    /// Brings a qube window's texture up to date with its image, within `budget`. `qube`
    /// names it in the log.
    pub fn upload_window(
        &mut self,
        renderer: &mut R,
        key: WindowKey,
        qube: &str,
        window: &mut QubeWindow,
        budget: &mut UploadBudget,
    ) -> Upload {
        let Some(image) = &window.image else {
            return Upload::Done;
        };
        if window.upload.is_empty() {
            return Upload::Done;
        }
        let key = TextureKey::Qube(key);
        let size = (image.width, image.height);
        if let Some(texture) = self.buffers.get_mut(&key) {
            let reads_this_image = texture
                .in_place
                .as_ref()
                .is_some_and(|view| Arc::ptr_eq(view, &image.view));
            if reads_this_image && texture.image_size == size {
                // Nothing to copy: only the element's damage, for the output's damage tracker.
                let upload = std::mem::take(&mut window.upload);
                let damage = if upload.whole {
                    vec![Rectangle::from_size((size.0 as i32, size.1 as i32).into())]
                } else {
                    upload.damage.iter().map(buffer_rect).collect()
                };
                let drawn = texture.buffer.render().draw(|_| Ok(damage));
                return self.settle(key, qube, drawn);
            }
        }
        if let Some(texture) = renderer.texture_in_place(image) {
            window.upload = PendingUpload::default();
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
            return Upload::Done;
        }
        let plan = self.plan(key, &window.upload, size, budget);
        // Peer memory is only copied out, never lent as `&[u8]`: the rectangles the plan
        // uploads go into an owned staging image first.
        let whole = [Rect::new(0, 0, image.width, image.height)];
        let rects = match &plan {
            UploadPlan::Import => &whole[..],
            UploadPlan::Update(rects) => rects,
            UploadPlan::Nothing | UploadPlan::Later => &[],
        };
        let mut staging = std::mem::take(&mut self.staging);
        let pixels = match rects.is_empty() {
            true => &[][..],
            false => image.stage(rects, &mut staging),
        };
        let done = self.apply(renderer, key, qube, &plan, pixels, size, &mut window.upload);
        self.staging = staging;
        done
    }

    /// Brings a zone's texture up to date with the frame its link sent, within `budget`, then
    /// lets the frame go (so the link can send the next); a frame over the budget is kept for
    /// the next frame.
    pub fn upload_zone(
        &mut self,
        renderer: &mut R,
        id: ZoneId,
        zone: &mut Zone,
        budget: &mut UploadBudget,
    ) -> Upload {
        let Some(frame) = zone.frame.take() else {
            return Upload::Done;
        };
        // `None`: the framebuffer was replaced since; the link sends it again.
        let Some(fb) = frame.lock() else {
            zone.upload = PendingUpload::default();
            return Upload::Done;
        };
        let size = (u32::from(fb.width()), u32::from(fb.height()));
        let key = TextureKey::Zone(id);
        let name = zone.config.name.as_str();
        let uploaded = self.upload(
            renderer,
            key,
            name,
            fb.pixels(),
            size,
            &mut zone.upload,
            budget,
        );
        drop(fb);
        if uploaded == Upload::Later {
            zone.frame = Some(frame);
        }
        uploaded
    }

    /// Copies what [`upload_plan::plan`] says of `pixels`, all of the image at hand, into the
    /// texture.
    #[allow(clippy::too_many_arguments)]
    fn upload(
        &mut self,
        renderer: &mut R,
        key: TextureKey,
        owner: &str,
        pixels: &[u8],
        size: (u32, u32),
        pending: &mut PendingUpload,
        budget: &mut UploadBudget,
    ) -> Upload {
        let plan = self.plan(key, pending, size, budget);
        self.apply(renderer, key, owner, &plan, pixels, size, pending)
    }

    /// What a frame copies of `pending` into `key`'s texture (see [`upload_plan::plan`]).
    fn plan(
        &self,
        key: TextureKey,
        pending: &PendingUpload,
        size: (u32, u32),
        budget: &mut UploadBudget,
    ) -> UploadPlan {
        let texture_size = match self.buffers.get(&key) {
            Some(WindowTexture {
                image_size,
                in_place: None,
                ..
            }) => Some(*image_size),
            _ => None,
        };
        upload_plan::plan(pending, texture_size, size, budget)
    }

    /// Copies what `plan` says of `pixels` (B, G, R, X rows of `size.0 * 4` bytes) into the
    /// texture, and takes the work from `pending` unless it waits.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        renderer: &mut R,
        key: TextureKey,
        owner: &str,
        plan: &UploadPlan,
        pixels: &[u8],
        size: (u32, u32),
        pending: &mut PendingUpload,
    ) -> Upload {
        let copied = match plan {
            UploadPlan::Later => return Upload::Later,
            UploadPlan::Nothing => Ok(()),
            UploadPlan::Import => self.import(renderer, key, pixels, size),
            UploadPlan::Update(rects) => match self.buffers.get_mut(&key) {
                Some(texture) => rects.iter().try_for_each(|rect| {
                    texture
                        .buffer
                        .update_from_memory(renderer, pixels, buffer_rect(rect), None)
                }),
                None => Ok(()),
            },
        };
        *pending = PendingUpload::default();
        self.settle(key, owner, copied)
    }

    /// A new texture holding all of `pixels`.
    fn import(
        &mut self,
        renderer: &mut R,
        key: TextureKey,
        pixels: &[u8],
        size: (u32, u32),
    ) -> Result<(), R::Error> {
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

    /// After a failed copy the window has no texture (it is not drawn) until its next image
    /// or damage tries again; the frame goes on without it.
    fn settle(&mut self, key: TextureKey, owner: &str, result: Result<(), R::Error>) -> Upload {
        if let Err(error) = result {
            self.buffers.remove(&key);
            if self.failed.insert(key) {
                warn!(
                    owner,
                    window = ?key,
                    %error,
                    "cannot copy a window's image into a texture; it is not drawn until its \
                     next image copies (said once per window)"
                );
            }
        }
        Upload::Done
    }

    /// The window's content at `content` (output coordinates), clipped to it: while a resized
    /// window waits for its new image, the old one shows, cut to the window.
    pub fn element(
        &self,
        key: TextureKey,
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

    pub fn forget(&mut self, key: TextureKey) {
        self.buffers.remove(&key);
        self.failed.remove(&key);
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

    fn whole() -> PendingUpload {
        PendingUpload {
            whole: true,
            ..PendingUpload::default()
        }
    }

    /// A hostile image (here fewer bytes than its size says) fails to copy: that window has no
    /// texture and is remembered as failed (said once), and the next window is still copied.
    #[test]
    fn a_window_whose_image_cannot_be_copied_is_skipped_not_the_frame() {
        let mut renderer = PixmanRenderer::new().unwrap();
        let mut textures = WindowTextures::<PixmanRenderer>::default();
        let mut budget = UploadBudget::new(upload_plan::UPLOAD_BYTES_PER_FRAME);
        let (broken, good) = (TextureKey::Zone(ZoneId(0)), TextureKey::Zone(ZoneId(1)));
        let content = Rect::new(0, 0, 64, 64);

        let mut pending = whole();
        let short = [0u8; 100];
        let uploaded = textures.upload(
            &mut renderer,
            broken,
            "work",
            &short,
            (64, 64),
            &mut pending,
            &mut budget,
        );
        assert_eq!(uploaded, Upload::Done);
        assert!(
            pending.is_empty(),
            "the failed work is not tried again every frame"
        );
        assert!(textures.element(broken, content).is_none());
        assert!(textures.failed.contains(&broken));

        let pixels = vec![0x80u8; 64 * 64 * 4];
        let mut pending = whole();
        textures.upload(
            &mut renderer,
            good,
            "web",
            &pixels,
            (64, 64),
            &mut pending,
            &mut budget,
        );
        assert!(textures.element(good, content).is_some());

        // Its next image copies: it is drawn again.
        let mut pending = whole();
        textures.upload(
            &mut renderer,
            broken,
            "work",
            &pixels,
            (64, 64),
            &mut pending,
            &mut budget,
        );
        assert!(textures.element(broken, content).is_some());
        textures.forget(broken);
        assert!(!textures.failed.contains(&broken));
    }

    /// Work over the frame's budget stays pending for the next frame.
    #[test]
    fn an_upload_over_the_budget_waits() {
        let mut renderer = PixmanRenderer::new().unwrap();
        let mut textures = WindowTextures::<PixmanRenderer>::default();
        let mut budget = UploadBudget::new(64 * 64 * 4);
        let pixels = vec![0x80u8; 64 * 64 * 4];
        let (first, second) = (TextureKey::Zone(ZoneId(0)), TextureKey::Zone(ZoneId(1)));
        let mut pending = whole();
        let uploaded = textures.upload(
            &mut renderer,
            first,
            "a",
            &pixels,
            (64, 64),
            &mut pending,
            &mut budget,
        );
        assert_eq!(uploaded, Upload::Done);
        let mut pending = whole();
        let uploaded = textures.upload(
            &mut renderer,
            second,
            "b",
            &pixels,
            (64, 64),
            &mut pending,
            &mut budget,
        );
        assert_eq!(uploaded, Upload::Later);
        assert!(pending.whole, "the work waits");
        assert!(textures.element(second, Rect::new(0, 0, 64, 64)).is_none());
    }
}
