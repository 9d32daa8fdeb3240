//! The headless backend: pixman renders the output into memory, with no GPU and no screen.

use airgui_remote::FrameRef;
use anyhow::Context;
use guid_protocol::Rect;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Offscreen};
use smithay::reexports::pixman;
use smithay::utils::Transform;

use super::BACKGROUND;
use crate::render::{self, WindowTextures};
use crate::shell_key::ShellKey;
use crate::state::Airgui;

pub struct Headless {
    renderer: PixmanRenderer,
    target: pixman::Image<'static, 'static>,
    tracker: OutputDamageTracker,
    /// 0 before the first frame (draw everything), then 1: the image keeps the last frame.
    age: usize,
    textures: WindowTextures<PixmanRenderer>,
    size: (u32, u32),
}

impl std::fmt::Debug for Headless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Headless")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Headless {
    pub fn new(width: u32, height: u32) -> anyhow::Result<Self> {
        let mut renderer = PixmanRenderer::new().context("cannot start the pixman renderer")?;
        let size = (width as i32, height as i32);
        let target = renderer
            .create_buffer(Fourcc::Xrgb8888, size.into())
            .context("cannot allocate the output image")?;
        Ok(Headless {
            renderer,
            target,
            tracker: OutputDamageTracker::new(size, 1.0, Transform::Normal),
            age: 0,
            textures: WindowTextures::default(),
            size: (width, height),
        })
    }

    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    pub fn render(&mut self, airgui: &mut Airgui) -> anyhow::Result<Vec<Rect>> {
        let elements = render::output_elements(&mut self.renderer, &mut self.textures, airgui)
            .context("preparing the frame")?;
        let mut framebuffer = self
            .renderer
            .bind(&mut self.target)
            .context("binding the output")?;
        let result = self
            .tracker
            .render_output(
                &mut self.renderer,
                &mut framebuffer,
                self.age,
                &elements,
                BACKGROUND,
            )
            .map_err(|error| anyhow::anyhow!("rendering: {error:?}"))?;
        self.age = 1;
        Ok(result
            .damage
            .map(|damage| {
                damage
                    .iter()
                    .map(|r| Rect::new(r.loc.x, r.loc.y, r.size.w as u32, r.size.h as u32))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The output image as it stands after the last frame.
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        let stride = self.target.stride();
        let height = self.target.height();
        // SAFETY: the image owns `stride * height` bytes of pixels for as long as it lives, and
        // `&self` keeps it alive and unbound: the renderer, its only writer, runs on this thread
        // and not during this call.
        let pixels =
            unsafe { std::slice::from_raw_parts(self.target.data().cast::<u8>(), stride * height) };
        export(FrameRef {
            width: self.size.0 as u16,
            height: self.size.1 as u16,
            stride,
            pixels,
            damage: &[],
        })
    }

    /// A new output image and damage tracker; window textures stay.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        let size = (width as i32, height as i32);
        self.target = self
            .renderer
            .create_buffer(Fourcc::Xrgb8888, size.into())
            .context("cannot allocate the output image")?;
        self.tracker = OutputDamageTracker::new(size, 1.0, Transform::Normal);
        self.age = 0;
        self.size = (width, height);
        Ok(())
    }

    pub fn forget_window(&mut self, key: ShellKey) {
        self.textures.forget(key);
    }
}
