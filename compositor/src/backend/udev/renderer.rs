//! The renderer the screens and the copy in memory are drawn with: pixman or GLES (`choice`
//! says which).

use airgui_remote::FrameRef;
use smithay::utils::{Physical, Rectangle};

use super::gles::GlesFrames;
use super::pixman::PixmanFrames;
use super::screen::{ScanoutSource, Screen};
use crate::render::scene::Scene;
use crate::render::textures::TextureKey;

pub enum Frames {
    Pixman(Box<PixmanFrames>),
    Gles(Box<GlesFrames>),
}

impl Frames {
    pub fn scanout(&self) -> ScanoutSource {
        match self {
            Frames::Pixman(frames) => frames.scanout(),
            Frames::Gles(frames) => frames.scanout(),
        }
    }

    /// Draws the copy in memory, then `screens`; returns the copy's damage.
    pub fn render(
        &mut self,
        scene: &mut impl Scene,
        screens: &mut [Screen],
    ) -> anyhow::Result<Vec<Rectangle<i32, Physical>>> {
        match self {
            Frames::Pixman(frames) => frames.render(scene, screens),
            Frames::Gles(frames) => frames.render(scene, screens),
        }
    }

    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        match self {
            Frames::Pixman(frames) => frames.with_pixels(export),
            Frames::Gles(frames) => frames.with_pixels(export),
        }
    }

    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        match self {
            Frames::Pixman(frames) => frames.resize(width, height),
            Frames::Gles(frames) => frames.resize(width, height),
        }
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        match self {
            Frames::Pixman(frames) => frames.forget_window(key),
            Frames::Gles(frames) => frames.forget_window(key),
        }
    }
}
