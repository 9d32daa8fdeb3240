//! The headless backend: pixman renders the output into memory, with no GPU and no screen.

use anyhow::Context;
use guid_protocol::Rect;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Color32F, ExportMem, Offscreen};
use smithay::reexports::pixman;
use smithay::utils::{Rectangle, Transform};

use crate::qubes::WindowKey;
use crate::render::{self, WindowTextures};
use crate::state::Airgui;

use super::Screenshot;

/// The desktop behind the windows.
const BACKGROUND: Color32F = Color32F::new(0.125, 0.125, 0.125, 1.0);

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

    pub fn screenshot(&mut self) -> anyhow::Result<Screenshot> {
        let (width, height) = self.size;
        let framebuffer = self
            .renderer
            .bind(&mut self.target)
            .context("binding the output")?;
        let region = Rectangle::from_size((width as i32, height as i32).into());
        let mapping = self
            .renderer
            .copy_framebuffer(&framebuffer, region, Fourcc::Xrgb8888)
            .context("reading the output")?;
        let bgrx = self
            .renderer
            .map_texture(&mapping)
            .context("reading the output")?
            .to_vec();
        Ok(Screenshot {
            width,
            height,
            bgrx,
        })
    }

    pub fn forget_window(&mut self, key: WindowKey) {
        self.textures.forget(key);
    }
}
