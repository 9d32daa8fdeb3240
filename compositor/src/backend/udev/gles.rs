//! Rendering with GLES on the GPU: every screen into GBM buffers, and the copy in memory (for
//! screenshots, RDP and wlr-screencopy) into a texture whose damage is read back after each
//! frame, as the nested winit backend does.

use airgui_remote::FrameRef;
use anyhow::Context;
use smithay::backend::allocator::gbm::GbmDevice;
use smithay::backend::allocator::Fourcc;
use smithay::backend::drm::DrmDeviceFd;
use smithay::backend::egl::{EGLContext, EGLDevice, EGLDisplay};
use smithay::backend::renderer::gles::{GlesRenderer, GlesTexture};
use smithay::backend::renderer::{Bind, Offscreen};
use smithay::utils::{Physical, Rectangle};
use tracing::warn;

use super::choice::EglOffer;
use super::cursor::CursorImages;
use super::screen::{Buffers, ScanoutSource, Screen};
use crate::backend::shadow::ShadowFrame;
use crate::render::scene::Scene;
use crate::render::textures::{TextureKey, WindowTextures};
use crate::render::tracked_output::TrackedOutput;

/// The GPU's GBM device and an EGL display on it, before a renderer is made of them.
pub struct Egl {
    gbm: GbmDevice<DrmDeviceFd>,
    display: EGLDisplay,
}

impl Egl {
    /// Opens GBM and EGL on the GPU's DRM device and says what kind of device EGL renders on.
    pub fn probe(fd: &DrmDeviceFd) -> (Option<Egl>, EglOffer) {
        let gbm = match GbmDevice::new(fd.clone()) {
            Ok(gbm) => gbm,
            Err(error) => {
                return (
                    None,
                    EglOffer::Unavailable(format!("no GBM device: {error}")),
                )
            }
        };
        // SAFETY: the display is made from the GBM device it keeps; airgui creates no other
        // EGL display on it that this one's eglTerminate could invalidate.
        let display = match unsafe { EGLDisplay::new(gbm.clone()) } {
            Ok(display) => display,
            Err(error) => {
                return (
                    None,
                    EglOffer::Unavailable(format!("no EGL display on GBM: {error}")),
                )
            }
        };
        // Without EGL_EXT_device_query the device cannot say it is software: Mesa's software
        // devices all have it, so a device that cannot be asked is taken as hardware.
        let offer = match EGLDevice::device_for_display(&display) {
            Ok(device) if device.is_software() => EglOffer::Software,
            _ => EglOffer::Hardware,
        };
        (Some(Egl { gbm, display }), offer)
    }
}

pub struct GlesFrames {
    renderer: GlesRenderer,
    gbm: GbmDevice<DrmDeviceFd>,
    textures: WindowTextures<GlesRenderer>,
    cursor: CursorImages,
    /// The shell's output drawn on the GPU, its damage tracker and its copy in memory.
    copy: GlesTexture,
    output: TrackedOutput,
    shadow: ShadowFrame,
    size: (u32, u32),
}

impl GlesFrames {
    pub fn new(egl: Egl, size: (u32, u32)) -> anyhow::Result<GlesFrames> {
        let Egl { gbm, display } = egl;
        let context = EGLContext::new(&display).context("cannot create an EGL context")?;
        // SAFETY: the context is new and this renderer is its only user.
        let mut renderer =
            unsafe { GlesRenderer::new(context) }.context("cannot start the GLES renderer")?;
        let copy = texture(&mut renderer, size)?;
        Ok(GlesFrames {
            copy,
            renderer,
            gbm,
            textures: WindowTextures::default(),
            cursor: CursorImages::default(),
            output: TrackedOutput::new(size.0, size.1),
            shadow: ShadowFrame::new(size.0, size.1),
            size,
        })
    }

    pub fn scanout(&self) -> ScanoutSource {
        ScanoutSource {
            buffers: Buffers::Gbm(self.gbm.clone()),
            renderer_formats: self.renderer.egl_context().dmabuf_render_formats().clone(),
        }
    }

    /// Draws the shell's output into the texture and reads its damage back into the copy in
    /// memory, then draws `screens` (none while the session is away); returns the damage.
    pub fn render(
        &mut self,
        scene: &mut impl Scene,
        screens: &mut [Screen],
    ) -> anyhow::Result<Vec<Rectangle<i32, Physical>>> {
        let elements = scene
            .elements(&mut self.renderer, &mut self.textures)
            .context("preparing the frame")?;
        let (damage, read) = {
            let mut framebuffer = self
                .renderer
                .bind(&mut self.copy)
                .context("binding the output texture")?;
            let damage = self
                .output
                .draw(&mut self.renderer, &mut framebuffer, &elements)?;
            let read = self
                .shadow
                .start_read(&mut self.renderer, &framebuffer, &damage)
                .context("reading the frame back")?;
            (damage, read)
        };
        if let Some(read) = read {
            self.shadow
                .finish_read(&mut self.renderer, read)
                .context("reading the frame back")?;
        }
        if !screens.is_empty() {
            let (shape, at) = scene.pointer();
            let cursor = self.cursor.element(&mut self.renderer, shape, at);
            for screen in screens {
                if let Err(error) = screen.render(&mut self.renderer, &elements, cursor.as_ref()) {
                    warn!("{error:#}");
                }
            }
        }
        Ok(damage)
    }

    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        self.shadow.with_pixels(export)
    }

    /// A new texture and copy at the shell's new size; the screens keep theirs.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.copy = texture(&mut self.renderer, (width, height))?;
        self.output = TrackedOutput::new(width, height);
        self.shadow = ShadowFrame::new(width, height);
        self.size = (width, height);
        Ok(())
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        self.textures.forget(key);
    }
}

/// A texture to draw the shell's output into (RGBA: the format every GLES can draw into).
fn texture(renderer: &mut GlesRenderer, size: (u32, u32)) -> anyhow::Result<GlesTexture> {
    renderer
        .create_buffer(Fourcc::Abgr8888, (size.0 as i32, size.1 as i32).into())
        .context("cannot allocate the output texture")
}
