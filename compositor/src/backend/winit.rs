//! The nested backend: airgui in a window of another desktop (X11 or Wayland), for
//! development. Smithay's winit backend gives a GLES renderer on the window's EGL surface and
//! the window's keyboard and pointer; the output is the window, and follows its size.

use anyhow::Context;
use guid_protocol::Rect;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::gles::GlesRenderer;
use smithay::backend::winit::{self, WinitEvent, WinitGraphicsBackend};
use smithay::reexports::calloop::LoopHandle;
use smithay::reexports::winit::dpi::PhysicalSize;
use smithay::reexports::winit::window::Window as WinitWindow;
use smithay::utils::Transform;
use tracing::info;

use super::host::BackendHost;
use super::shadow::ShadowFrame;
use crate::render::element::BACKGROUND;
use crate::render::scene::Scene;
use crate::render::textures::{TextureKey, WindowTextures};

pub struct Winit {
    backend: WinitGraphicsBackend<GlesRenderer>,
    tracker: OutputDamageTracker,
    textures: WindowTextures<GlesRenderer>,
    shadow: ShadowFrame,
    size: (u32, u32),
}

impl std::fmt::Debug for Winit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Winit")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Winit {
    /// Opens a window of `width` x `height` on the host desktop and hands its events to the
    /// event loop.
    pub fn new<D: BackendHost>(
        handle: &LoopHandle<'static, D>,
        width: u32,
        height: u32,
    ) -> anyhow::Result<Winit> {
        let attributes = WinitWindow::default_attributes()
            .with_title("airgui")
            .with_inner_size(PhysicalSize::new(width, height))
            .with_resizable(true);
        let (backend, events) =
            winit::init_from_attributes::<GlesRenderer>(attributes).map_err(|error| {
                anyhow::anyhow!(
                    "--backend winit needs a desktop to open a window in (DISPLAY or \
                     WAYLAND_DISPLAY) with EGL (libegl-mesa0): {error}"
                )
            })?;
        handle
            .insert_source(events, |event, _, state| handle_event(state, event))
            .map_err(|error| anyhow::anyhow!("cannot watch the window's events: {error}"))?;
        let size = backend.window_size();
        let size = (size.w.max(1) as u32, size.h.max(1) as u32);
        info!(
            width = size.0,
            height = size.1,
            "nested in a window of the host desktop"
        );
        Ok(Winit {
            tracker: OutputDamageTracker::new(
                (size.0 as i32, size.1 as i32),
                1.0,
                Transform::Flipped180,
            ),
            backend,
            textures: WindowTextures::default(),
            shadow: ShadowFrame::new(size.0, size.1),
            size,
        })
    }

    /// The window's current size (it may differ from what was asked).
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    pub fn render(&mut self, scene: &mut impl Scene) -> anyhow::Result<Vec<Rect>> {
        let age = self.backend.buffer_age().unwrap_or(0);
        let (renderer, mut framebuffer) = self.backend.bind().context("binding the window")?;
        let elements = scene
            .elements(renderer, &mut self.textures)
            .context("preparing the frame")?;
        let result = self
            .tracker
            .render_output(renderer, &mut framebuffer, age, &elements, BACKGROUND)
            .map_err(|error| anyhow::anyhow!("rendering: {error:?}"))?;
        let damage = result.damage.cloned().unwrap_or_default();
        let read = self
            .shadow
            .start_read(renderer, &framebuffer, &damage)
            .context("reading the frame back")?;
        drop(framebuffer);
        if !damage.is_empty() {
            self.backend
                .submit(Some(&damage))
                .context("showing the frame")?;
        }
        if let Some(read) = read {
            self.shadow
                .finish_read(self.backend.renderer(), read)
                .context("reading the frame back")?;
        }
        Ok(damage
            .iter()
            .map(|r| Rect::new(r.loc.x, r.loc.y, r.size.w as u32, r.size.h as u32))
            .collect())
    }

    pub fn with_pixels<T>(&self, export: impl FnOnce(airgui_remote::FrameRef<'_>) -> T) -> T {
        self.shadow.with_pixels(export)
    }

    /// The window took a new size: a new damage tracker and copy, everything drawn again.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.size = (width, height);
        self.tracker =
            OutputDamageTracker::new((width as i32, height as i32), 1.0, Transform::Flipped180);
        self.shadow = ShadowFrame::new(width, height);
        Ok(())
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        self.textures.forget(key);
    }
}

fn handle_event<D: BackendHost>(host: &mut D, event: WinitEvent) {
    match event {
        WinitEvent::Resized { size, .. } => {
            let (width, height) = (size.w.max(1) as u32, size.h.max(1) as u32);
            host.resize_output(width, height);
            host.queue_redraw();
        }
        WinitEvent::Input(event) => host.handle_input(event),
        WinitEvent::Redraw => host.queue_redraw(),
        WinitEvent::CloseRequested => {
            info!("the window was closed: stopping");
            host.stop();
        }
        WinitEvent::Focus(_) => {}
    }
}
