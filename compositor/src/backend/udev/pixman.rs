//! Rendering with pixman on the CPU: every screen into dumb buffers, and the copy in memory
//! (for screenshots, RDP and wlr-screencopy) into a pixman image. Needs no GL at all.

use airgui_remote::FrameRef;
use smithay::backend::allocator::dmabuf::Dmabuf;
use smithay::backend::renderer::Bind;
use smithay::utils::{Physical, Rectangle};
use tracing::warn;

use super::cursor::CursorImages;
use super::screen::{Buffers, ScanoutSource, Screen};
use crate::backend::pixman_canvas::PixmanCanvas;
use crate::render::scene::Scene;
use crate::render::textures::TextureKey;

pub struct PixmanFrames {
    /// The copy of the shell's output in memory, and the renderer the screens are drawn with.
    canvas: PixmanCanvas,
    cursor: CursorImages,
}

impl PixmanFrames {
    pub fn new(size: (u32, u32)) -> anyhow::Result<PixmanFrames> {
        Ok(PixmanFrames {
            canvas: PixmanCanvas::new(size.0, size.1)?,
            cursor: CursorImages::default(),
        })
    }

    pub fn scanout(&self) -> ScanoutSource {
        ScanoutSource {
            buffers: Buffers::Dumb,
            renderer_formats: Bind::<Dmabuf>::supported_formats(self.canvas.renderer())
                .unwrap_or_default(),
        }
    }

    /// Draws the copy in memory, then `screens` (none while the session is away); returns the
    /// copy's damage.
    pub fn render(
        &mut self,
        scene: &mut impl Scene,
        screens: &mut [Screen],
    ) -> anyhow::Result<Vec<Rectangle<i32, Physical>>> {
        let (elements, damage) = self.canvas.draw(scene)?;
        if !screens.is_empty() {
            let renderer = self.canvas.renderer_mut();
            let (shape, at) = scene.pointer();
            let cursor = self.cursor.element(renderer, shape, at);
            for screen in screens {
                if let Err(error) = screen.render(renderer, &elements, cursor.as_ref()) {
                    warn!("{error:#}");
                }
            }
        }
        Ok(damage)
    }

    /// The copy in memory as it stands after the last frame.
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        self.canvas.with_pixels(export)
    }

    /// A new copy in memory at the shell's new size; the screens keep theirs.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.canvas.resize(width, height)
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        self.canvas.forget_window(key);
    }
}
