//! An output image in memory drawn by pixman, with its damage tracker: all there is of the
//! headless backend's output, and the udev backend's copy in memory (for screenshots, RDP and
//! wlr-screencopy) when it renders with pixman.

use airgui_remote::FrameRef;
use anyhow::Context;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Offscreen};
use smithay::reexports::pixman;
use smithay::utils::{Physical, Rectangle};

use crate::render::element::OutputElement;
use crate::render::scene::Scene;
use crate::render::textures::{TextureKey, WindowTextures};
use crate::render::tracked_output::TrackedOutput;

pub struct PixmanCanvas {
    renderer: PixmanRenderer,
    textures: WindowTextures<PixmanRenderer>,
    image: pixman::Image<'static, 'static>,
    output: TrackedOutput,
    size: (u32, u32),
}

impl std::fmt::Debug for PixmanCanvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PixmanCanvas")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A frame's elements, for other targets of the same renderer, and what changed in the image.
pub type Drawn = (
    Vec<OutputElement<PixmanRenderer>>,
    Vec<Rectangle<i32, Physical>>,
);

impl PixmanCanvas {
    pub fn new(width: u32, height: u32) -> anyhow::Result<Self> {
        let mut renderer = PixmanRenderer::new().context("cannot start the pixman renderer")?;
        let image = new_image(&mut renderer, width, height)?;
        Ok(PixmanCanvas {
            renderer,
            textures: WindowTextures::default(),
            image,
            output: TrackedOutput::new(width, height),
            size: (width, height),
        })
    }

    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    #[cfg(feature = "udev")]
    pub fn renderer(&self) -> &PixmanRenderer {
        &self.renderer
    }

    /// The renderer, to draw this frame's elements elsewhere too (the udev backend's screens).
    #[cfg(feature = "udev")]
    pub fn renderer_mut(&mut self) -> &mut PixmanRenderer {
        &mut self.renderer
    }

    /// Builds this frame's elements and draws what changed into the image.
    pub fn draw(&mut self, scene: &mut impl Scene) -> anyhow::Result<Drawn> {
        let elements = scene
            .elements(&mut self.renderer, &mut self.textures)
            .context("preparing the frame")?;
        let mut framebuffer = self
            .renderer
            .bind(&mut self.image)
            .context("binding the output image")?;
        let damage = self
            .output
            .draw(&mut self.renderer, &mut framebuffer, &elements)?;
        Ok((elements, damage))
    }

    /// The image as it stands after the last frame.
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        let stride = self.image.stride();
        let height = self.image.height();
        // SAFETY: the image owns `stride * height` bytes of pixels for as long as it lives, and
        // `&self` keeps it alive and unbound: the renderer, its only writer, runs on this thread
        // and not during this call.
        let pixels =
            unsafe { std::slice::from_raw_parts(self.image.data().cast::<u8>(), stride * height) };
        export(FrameRef {
            width: self.size.0 as u16,
            height: self.size.1 as u16,
            stride,
            pixels,
            damage: &[],
        })
    }

    /// A new image and damage tracker at the new size; window textures stay.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.image = new_image(&mut self.renderer, width, height)?;
        self.output = TrackedOutput::new(width, height);
        self.size = (width, height);
        Ok(())
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        self.textures.forget(key);
    }
}

fn new_image(
    renderer: &mut PixmanRenderer,
    width: u32,
    height: u32,
) -> anyhow::Result<pixman::Image<'static, 'static>> {
    renderer
        .create_buffer(Fourcc::Xrgb8888, (width as i32, height as i32).into())
        .context("cannot allocate the output image")
}
