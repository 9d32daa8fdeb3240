//! An image the output is drawn into and kept from frame to frame, with its damage tracker: each
//! frame redraws only what changed since the one before. The headless output, and the udev
//! backend's copy in memory whichever renderer draws it, are one each.

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::ImportAll;
use smithay::utils::{Physical, Rectangle, Transform};

use super::element::{OutputElement, BACKGROUND};
use super::textures::WindowImageImport;

#[derive(Debug)]
pub struct TrackedOutput {
    tracker: OutputDamageTracker,
    /// 0 before the image's first frame (draw everything), then 1: it keeps the last frame.
    age: usize,
}

impl TrackedOutput {
    /// For a new image of `width` x `height`, whose first frame is drawn whole.
    pub fn new(width: u32, height: u32) -> TrackedOutput {
        TrackedOutput {
            tracker: OutputDamageTracker::new(
                (width as i32, height as i32),
                1.0,
                Transform::Normal,
            ),
            age: 0,
        }
    }

    /// Draws what changed of `elements` into the image bound as `framebuffer`; returns it.
    pub fn draw<R>(
        &mut self,
        renderer: &mut R,
        framebuffer: &mut R::Framebuffer<'_>,
        elements: &[OutputElement<R>],
    ) -> anyhow::Result<Vec<Rectangle<i32, Physical>>>
    where
        R: WindowImageImport + ImportAll,
        R::TextureId: Clone + Send + 'static,
    {
        let result = self
            .tracker
            .render_output(renderer, framebuffer, self.age, elements, BACKGROUND)
            .map_err(|error| anyhow::anyhow!("rendering: {error:?}"))?;
        self.age = 1;
        Ok(result.damage.cloned().unwrap_or_default())
    }
}
