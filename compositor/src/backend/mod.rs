//! Where frames go. Each backend renders the same elements (`render::output_elements`) with its
//! own renderer; the shell, decorations and input do not know which one runs.

pub mod headless;

use std::path::Path;

use anyhow::Context;
use guid_protocol::Rect;

use crate::qubes::WindowKey;
use crate::state::Airgui;
pub use headless::Headless;

#[derive(Debug)]
pub enum Backend {
    /// No screen, no GPU: pixman renders into memory (cloud zones, tests).
    Headless(Headless),
}

impl Backend {
    /// Draws a frame; returns the output rectangles that changed.
    pub fn render(&mut self, airgui: &mut Airgui) -> anyhow::Result<Vec<Rect>> {
        match self {
            Backend::Headless(headless) => headless.render(airgui),
        }
    }

    /// The last frame drawn.
    pub fn screenshot(&mut self) -> anyhow::Result<Screenshot> {
        match self {
            Backend::Headless(headless) => headless.screenshot(),
        }
    }

    /// A window is gone: release its texture.
    pub fn forget_window(&mut self, key: WindowKey) {
        match self {
            Backend::Headless(headless) => headless.forget_window(key),
        }
    }
}

/// A copy of the output: B, G, R, X pixels, `width * 4` bytes per row.
#[derive(Debug)]
pub struct Screenshot {
    pub width: u32,
    pub height: u32,
    pub bgrx: Vec<u8>,
}

impl Screenshot {
    /// Writes an RGB PNG.
    pub fn write_png(&self, path: &Path) -> anyhow::Result<()> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let rgb: Vec<u8> = self
            .bgrx
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    p.get(2).copied().unwrap_or(0),
                    p.get(1).copied().unwrap_or(0),
                    p.first().copied().unwrap_or(0),
                ]
            })
            .collect();
        let mut writer = encoder.write_header().context("writing the PNG header")?;
        writer.write_image_data(&rgb).context("writing the PNG")?;
        Ok(())
    }
}
