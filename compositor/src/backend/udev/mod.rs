//! The login session: airgui on the machine's own monitors, keyboard and mouse. libseat gives
//! the devices (`session`), udev finds the primary GPU and follows hot-plug (`gpu`), each
//! connected monitor is a DRM/KMS `screen` rendered with pixman into dumb buffers, libinput
//! reads the keyboards and pointers (`input`), and the `cursor` is drawn into the frame.
//!
//! The same elements that go to the screens are also drawn into an image in memory: the copy
//! that screenshots, the RDP server and wlr-screencopy read, as on the headless backend.

mod cursor;
mod error;
mod gpu;
mod input;
mod layout;
mod screen;
mod session;

use airgui_remote::FrameRef;
use anyhow::Context;
use guid_protocol::Rect;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::render_elements;
use smithay::backend::renderer::element::utils::RelocateRenderElement;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, ImportAll, ImportMem, Offscreen};
use smithay::backend::session::libseat::LibSeatSession;
use smithay::backend::session::Session;
use smithay::backend::udev::{self as smithay_udev, UdevBackend, UdevEvent};
use smithay::reexports::calloop::LoopHandle;
use smithay::reexports::drm::control::crtc;
use smithay::reexports::input::Libinput;
use smithay::reexports::pixman;
use smithay::utils::Transform;
use tracing::{info, warn};

use super::BACKGROUND;
use crate::config::{OutputConfig, ScreenPlacement};
use crate::render::{self, OutputElement, WindowTextures};
use crate::shell_key::ShellKey;
use crate::state::{Airgui, State};
pub use error::UdevError;
use gpu::Gpu;

render_elements! {
    /// What a screen shows: its part of the shell's output, and the cursor.
    pub ScreenElement<'a, R> where R: ImportAll + ImportMem;
    Shell = RelocateRenderElement<&'a OutputElement<R>>,
    Cursor = RelocateRenderElement<&'a smithay::backend::renderer::element::memory::MemoryRenderBufferRenderElement<R>>,
}

pub struct Udev {
    session: LibSeatSession,
    libinput: Libinput,
    gpu: Option<Gpu>,
    renderer: PixmanRenderer,
    textures: WindowTextures<PixmanRenderer>,
    cursor: cursor::CursorImages,
    /// The copy of the shell's output in memory, and its damage tracker.
    copy: pixman::Image<'static, 'static>,
    tracker: OutputDamageTracker,
    /// 0 before the copy's first frame (draw everything), then 1: the image keeps the last one.
    age: usize,
    size: (u32, u32),
    /// `[[output.screen]]`: where monitors stand.
    placements: Vec<ScreenPlacement>,
    handle: LoopHandle<'static, State>,
}

impl std::fmt::Debug for Udev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Udev")
            .field("gpu", &self.gpu)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Udev {
    /// Opens a session on the seat, the seat's primary GPU and its monitors, and the seat's
    /// input devices. `output.width` and `output.height` are the output when no monitor is
    /// connected.
    pub fn new(handle: &LoopHandle<'static, State>, output: &OutputConfig) -> anyhow::Result<Udev> {
        let size = (output.width, output.height);
        let (mut session, notifier) = session::open()?;
        let seat = session.seat();
        let udev = UdevBackend::new(&seat).map_err(UdevError::Udev)?;
        let primary = smithay_udev::primary_gpu(&seat)
            .map_err(UdevError::Udev)?
            .or_else(|| {
                smithay_udev::all_gpus(&seat)
                    .ok()
                    .and_then(|gpus| gpus.into_iter().next())
            });
        let Some(primary) = primary else {
            return Err(UdevError::NoGpu { seat }.into());
        };
        let Some(device_id) = udev
            .device_list()
            .find(|(_, path)| *path == primary)
            .map(|(id, _)| id)
        else {
            return Err(UdevError::NoGpu { seat }.into());
        };
        let renderer =
            PixmanRenderer::new().map_err(|error| UdevError::Renderer(error.to_string()))?;
        let placements = output.screens.clone();
        let mut gpu = Gpu::open(handle, &mut session, device_id, &primary)?;
        gpu.scan(&renderer, &placements);
        if gpu.screens.is_empty() {
            warn!(gpu = %primary.display(), "no monitor connected: waiting for one");
        }
        let size = gpu.size().unwrap_or(size);
        let libinput = input::start(handle, &session, &seat)?;
        session::watch(handle, notifier)?;
        handle
            .insert_source(udev, |event, _, state| hotplug(state, event))
            .map_err(|error| UdevError::Watch {
                what: "udev",
                reason: error.to_string(),
            })?;
        info!(%seat, "login session");
        let mut udev = Udev {
            session,
            libinput,
            gpu: Some(gpu),
            renderer,
            textures: WindowTextures::default(),
            cursor: cursor::CursorImages::default(),
            copy: pixman::Image::new(pixman::FormatCode::X8R8G8B8, 1, 1, true)
                .context("cannot allocate the output image")?,
            tracker: OutputDamageTracker::new((1, 1), 1.0, Transform::Normal),
            age: 0,
            size,
            placements,
            handle: handle.clone(),
        };
        udev.resize(size.0, size.1)?;
        Ok(udev)
    }

    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Draws the copy in memory, then every screen; returns the copy's damage.
    pub fn render(&mut self, airgui: &mut Airgui) -> anyhow::Result<Vec<Rect>> {
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
        if let (Some(gpu), true) = (&mut self.gpu, self.session.is_active()) {
            let cursor = self.cursor.element(
                &mut self.renderer,
                airgui.input.shape(),
                airgui.input.pointer,
            );
            for screen in &mut gpu.screens {
                if let Err(error) = screen.render(&mut self.renderer, &elements, cursor.as_ref()) {
                    warn!("{error:#}");
                }
            }
        }
        Ok(damage
            .iter()
            .map(|r| Rect::new(r.loc.x, r.loc.y, r.size.w as u32, r.size.h as u32))
            .collect())
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

    /// Shows another VT (Ctrl+Alt+F`vt`).
    pub fn change_vt(&mut self, vt: i32) {
        session::change_vt(&mut self.session, vt);
    }

    /// The session went to another VT: let go of the GPU and input devices.
    fn pause(&mut self) {
        self.libinput.suspend();
        if let Some(gpu) = &mut self.gpu {
            gpu.pause();
        }
    }

    /// The session is back: take the devices again, look at the monitors (they may have
    /// changed meanwhile) and return the shell's new size if it changed.
    fn resume(&mut self) -> Option<(u32, u32)> {
        if self.libinput.resume().is_err() {
            warn!("cannot take the input devices back");
        }
        let gpu = self.gpu.as_mut()?;
        gpu.activate();
        gpu.scan(&self.renderer, &self.placements);
        gpu.size().filter(|size| *size != self.size)
    }

    /// A page flip on `crtc` completed; returns whether to draw again.
    fn flip_done(&mut self, crtc: crtc::Handle) -> bool {
        self.gpu.as_mut().is_some_and(|gpu| gpu.flip_done(crtc))
    }

    /// Monitors plugged or unplugged, or a GPU came or went; returns the shell's new size if
    /// it changed.
    fn device_event(&mut self, event: UdevEvent) -> Option<(u32, u32)> {
        match event {
            UdevEvent::Changed { device_id } => {
                let gpu = self.gpu.as_mut().filter(|gpu| gpu.device_id == device_id)?;
                if !gpu.scan(&self.renderer, &self.placements) {
                    return None;
                }
            }
            UdevEvent::Added { device_id, path } => {
                if self.gpu.is_some() {
                    return None;
                }
                match Gpu::open(&self.handle, &mut self.session, device_id, &path) {
                    Ok(mut gpu) => {
                        gpu.scan(&self.renderer, &self.placements);
                        self.gpu = Some(gpu);
                    }
                    Err(error) => {
                        warn!("{error}");
                        return None;
                    }
                }
            }
            UdevEvent::Removed { device_id } => {
                if self.gpu.as_ref()?.device_id != device_id {
                    return None;
                }
                info!("the GPU went away");
                self.gpu = None;
                return None;
            }
        }
        self.gpu
            .as_ref()
            .and_then(Gpu::size)
            .filter(|size| *size != self.size)
    }
}

fn hotplug(state: &mut State, event: UdevEvent) {
    let crate::backend::Backend::Udev(udev) = &mut state.backend else {
        return;
    };
    if let Some((width, height)) = udev.device_event(event) {
        state.resize_output(width, height);
    }
    state.airgui.queue_redraw();
}
