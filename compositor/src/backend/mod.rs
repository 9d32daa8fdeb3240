//! Where frames go. Each backend renders the same elements (`render::output_elements`) with its
//! own renderer; the shell, decorations and input do not know which one runs.

pub mod headless;
#[cfg(any(feature = "winit", feature = "udev"))]
pub mod host;
mod pixman_canvas;
#[cfg(any(feature = "winit", feature = "udev"))]
mod shadow;
#[cfg(feature = "udev")]
pub mod udev;
#[cfg(feature = "winit")]
pub mod winit;

use std::path::Path;

use airgui_remote::FrameRef;
use anyhow::Context;
use guid_protocol::Rect;

use crate::render::scene::Scene;
use crate::render::textures::TextureKey;

pub use headless::Headless;
#[cfg(feature = "udev")]
pub use udev::Udev;
#[cfg(feature = "winit")]
pub use winit::Winit;

#[derive(Debug)]
pub enum Backend {
    /// No screen, no GPU: pixman renders into memory (cloud zones, tests).
    Headless(Box<Headless>),
    /// In a window of another desktop, rendered with GLES (development).
    #[cfg(feature = "winit")]
    Winit(Box<Winit>),
    /// A login session on the machine's monitors, keyboard and mouse (DRM/KMS, libinput).
    #[cfg(feature = "udev")]
    Udev(Box<Udev>),
}

impl Backend {
    /// What `--backend` named.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Headless(_) => "headless",
            #[cfg(feature = "winit")]
            Backend::Winit(_) => "winit",
            #[cfg(feature = "udev")]
            Backend::Udev(_) => "udev",
        }
    }

    /// The output's size in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Backend::Headless(headless) => headless.size(),
            #[cfg(feature = "winit")]
            Backend::Winit(winit) => winit.size(),
            #[cfg(feature = "udev")]
            Backend::Udev(udev) => udev.size(),
        }
    }

    /// Draws a frame of `scene`; returns the output rectangles that changed.
    pub fn render(&mut self, scene: &mut impl Scene) -> anyhow::Result<Vec<Rect>> {
        match self {
            Backend::Headless(headless) => headless.render(scene),
            #[cfg(feature = "winit")]
            Backend::Winit(winit) => winit.render(scene),
            #[cfg(feature = "udev")]
            Backend::Udev(udev) => udev.render(scene),
        }
    }

    /// The last frame drawn.
    pub fn screenshot(&self) -> Screenshot {
        self.with_pixels(|frame| {
            let row = usize::from(frame.width) * 4;
            let bgrx = frame
                .pixels
                .chunks(frame.stride)
                .take(usize::from(frame.height))
                .flat_map(|line| line.get(..row).unwrap_or_default())
                .copied()
                .collect();
            Screenshot {
                width: u32::from(frame.width),
                height: u32::from(frame.height),
                bgrx,
            }
        })
    }

    /// Lends the last frame drawn, whole, for export (damage left empty for the caller).
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        match self {
            Backend::Headless(headless) => headless.with_pixels(export),
            #[cfg(feature = "winit")]
            Backend::Winit(winit) => winit.with_pixels(export),
            #[cfg(feature = "udev")]
            Backend::Udev(udev) => udev.with_pixels(export),
        }
    }

    /// Gives the output a new size; the next frame is drawn whole.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        match self {
            Backend::Headless(headless) => headless.resize(width, height),
            #[cfg(feature = "winit")]
            Backend::Winit(winit) => winit.resize(width, height),
            #[cfg(feature = "udev")]
            Backend::Udev(udev) => udev.resize(width, height),
        }
    }

    /// Whether Ctrl+Alt+F1..F12 switch VTs (on a login session only).
    pub fn switches_vt(&self) -> bool {
        match self {
            #[cfg(feature = "udev")]
            Backend::Udev(_) => true,
            _ => false,
        }
    }

    /// Shows VT `vt`, on a login session.
    pub fn change_vt(&mut self, vt: i32) {
        match self {
            #[cfg(feature = "udev")]
            Backend::Udev(udev) => udev.change_vt(vt),
            _ => tracing::debug!(vt, "no VTs on this backend"),
        }
    }

    /// A window is gone: release its texture.
    pub fn forget_window(&mut self, key: TextureKey) {
        match self {
            Backend::Headless(headless) => headless.forget_window(key),
            #[cfg(feature = "winit")]
            Backend::Winit(winit) => winit.forget_window(key),
            #[cfg(feature = "udev")]
            Backend::Udev(udev) => udev.forget_window(key),
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
