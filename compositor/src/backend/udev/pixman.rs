//! Rendering with pixman on the CPU: every screen into dumb buffers, and the copy in memory
//! (for screenshots, RDP and wlr-screencopy) into a pixman image. Needs no GL at all.

use airgui_remote::FrameRef;
use anyhow::Context;
use smithay::backend::allocator::dmabuf::Dmabuf;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Offscreen};
use smithay::reexports::pixman;
use smithay::utils::{Physical, Rectangle, Transform};
use tracing::warn;

use super::cursor::CursorImages;
use super::error::UdevError;
use super::screen::{Buffers, ScanoutSource, Screen};
use crate::backend::BACKGROUND;
use crate::render::{self, WindowTextures};
use crate::shell_key::ShellKey;
use crate::state::Airgui;

pub struct PixmanFrames {
    renderer: PixmanRenderer,
    textures: WindowTextures<PixmanRenderer>,
    cursor: CursorImages,
    /// The copy of the shell's output in memory, and its damage tracker.
    copy: pixman::Image<'static, 'static>,
    tracker: OutputDamageTracker,
    /// 0 before the copy's first frame (draw everything), then 1: the image keeps the last one.
    age: usize,
    size: (u32, u32),
}

impl PixmanFrames {
    pub fn new(size: (u32, u32)) -> anyhow::Result<PixmanFrames> {
        let renderer =
            PixmanRenderer::new().map_err(|error| UdevError::Renderer(error.to_string()))?;
        let mut frames = PixmanFrames {
            renderer,
            textures: WindowTextures::default(),
            cursor: CursorImages::default(),
            copy: pixman::Image::new(pixman::FormatCode::X8R8G8B8, 1, 1, true)
                .context("cannot allocate the output image")?,
            tracker: OutputDamageTracker::new((1, 1), 1.0, Transform::Normal),
            age: 0,
            size,
        };
        frames.resize(size.0, size.1)?;
        Ok(frames)
    }

    pub fn scanout(&self) -> ScanoutSource {
        ScanoutSource {
            buffers: Buffers::Dumb,
            renderer_formats: Bind::<Dmabuf>::supported_formats(&self.renderer).unwrap_or_default(),
        }
    }

    /// Draws the copy in memory, then `screens` (none while the session is away); returns the
    /// copy's damage.
    pub fn render(
        &mut self,
        airgui: &mut Airgui,
        screens: &mut [Screen],
    ) -> anyhow::Result<Vec<Rectangle<i32, Physical>>> {
        let elements = render::output_elements(&mut self.renderer, &mut self.textures, airgui)
            .context("preparing the frame")?;
        let damage = {
            let mut framebuffer = self
                .renderer
                .bind(&mut self.copy)
                .context("binding the output image")?;
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
            result.damage.cloned().unwrap_or_default()
        };
        self.age = 1;
        if !screens.is_empty() {
            let cursor = self.cursor.element(
                &mut self.renderer,
                airgui.input.shape(),
                airgui.input.pointer,
            );
            for screen in screens {
                if let Err(error) = screen.render(&mut self.renderer, &elements, cursor.as_ref()) {
                    warn!("{error:#}");
                }
            }
        }
        Ok(damage)
    }

    /// The copy in memory as it stands after the last frame.
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        let stride = self.copy.stride();
        let height = self.copy.height();
        // SAFETY: the image owns `stride * height` bytes of pixels for as long as it lives, and
        // `&self` keeps it alive and unbound: the renderer, its only writer, runs on this thread
        // and not during this call.
        let pixels =
            unsafe { std::slice::from_raw_parts(self.copy.data().cast::<u8>(), stride * height) };
        export(FrameRef {
            width: self.size.0 as u16,
            height: self.size.1 as u16,
            stride,
            pixels,
            damage: &[],
        })
    }

    /// A new copy in memory at the shell's new size; the screens keep theirs.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        let size = (width as i32, height as i32);
        self.copy = self
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
