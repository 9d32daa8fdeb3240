//! The headless backend: pixman renders the output into memory, with no GPU and no screen.

use airgui_remote::FrameRef;
use guid_protocol::Rect;

use super::pixman_canvas::PixmanCanvas;
use crate::render::scene::Scene;
use crate::render::textures::TextureKey;

#[derive(Debug)]
pub struct Headless {
    canvas: PixmanCanvas,
}

impl Headless {
    pub fn new(width: u32, height: u32) -> anyhow::Result<Self> {
        Ok(Headless {
            canvas: PixmanCanvas::new(width, height)?,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        self.canvas.size()
    }

    pub fn render(&mut self, scene: &mut impl Scene) -> anyhow::Result<Vec<Rect>> {
        let (_, damage) = self.canvas.draw(scene)?;
        Ok(damage
            .iter()
            .map(|r| Rect::new(r.loc.x, r.loc.y, r.size.w as u32, r.size.h as u32))
            .collect())
    }

    /// The output image as it stands after the last frame.
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        self.canvas.with_pixels(export)
    }

    /// A new output image and damage tracker; window textures stay.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.canvas.resize(width, height)
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        self.canvas.forget_window(key);
    }
}
