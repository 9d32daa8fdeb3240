//! The login session: airgui on the machine's own monitors, keyboard and mouse. libseat gives
//! the devices (`session`), udev finds the primary GPU and follows hot-plug (`gpu`), each
//! connected monitor is a DRM/KMS `screen` placed on the shell's output by `layout`, libinput
//! reads the keyboards and pointers (`input`), and the `cursor` is drawn into the frame.
//! Screens are rendered with GLES into GBM buffers (`gles`) or with pixman into dumb buffers
//! (`pixman`); `choice` picks one from what EGL offers and `output.renderer`.
//!
//! The same elements that go to the screens are also drawn into a copy in memory: what
//! screenshots, the RDP server and wlr-screencopy read, as on the headless backend.

mod choice;
mod cursor;
mod error;
mod gles;
mod gpu;
mod input;
mod layout;
mod pixman;
mod renderer;
mod screen;
mod session;

use airgui_remote::FrameRef;
use guid_protocol::Rect;
use smithay::backend::input::InputEvent;
use smithay::backend::libinput::LibinputInputBackend;
use smithay::backend::session::libseat::LibSeatSession;
use smithay::backend::session::{Event as SessionEvent, Session};
use smithay::backend::udev::{self as smithay_udev, UdevBackend, UdevEvent};
use smithay::reexports::calloop::LoopHandle;
use smithay::reexports::drm::control::crtc;
use smithay::reexports::input::Libinput;
use tracing::{info, warn};

use super::host::BackendHost;
use crate::config::{OutputConfig, RendererSetting, ScreenPlacement};
use crate::render::scene::Scene;
use crate::render::textures::TextureKey;
use choice::{Choice, EglOffer};
pub use error::UdevError;
use gpu::Gpu;
use renderer::Frames;

pub struct Udev {
    session: LibSeatSession,
    libinput: Libinput,
    gpu: Option<Gpu>,
    frames: Frames,
    size: (u32, u32),
    /// `[[output.screen]]`: where monitors stand.
    placements: Vec<ScreenPlacement>,
}

/// The compositor as the login session's event sources see it.
pub trait UdevHost: BackendHost {
    /// The udev backend, when it is the one running.
    fn udev(&mut self) -> Option<&mut Udev>;
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
    pub fn new<D: UdevHost>(
        handle: &LoopHandle<'static, D>,
        output: &OutputConfig,
    ) -> anyhow::Result<Udev> {
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
        let placements = output.screens.clone();
        let mut gpu = Gpu::open(handle, &mut session, device_id, &primary, flipped)?;
        let mut frames = start_renderer(output.renderer, &gpu, size)?;
        gpu.scan(&frames.scanout(), &placements);
        if gpu.screens.is_empty() {
            warn!(gpu = %primary.display(), "no monitor connected: waiting for one");
        }
        let size = gpu.size().unwrap_or(size);
        frames.resize(size.0, size.1)?;
        let libinput = input::start(handle, &session, &seat, input_event)?;
        session::watch(handle, notifier, session_event)?;
        let hotplug_handle = handle.clone();
        handle
            .insert_source(udev, move |event, _, state| {
                hotplug(state, &hotplug_handle, event)
            })
            .map_err(|error| UdevError::Watch {
                what: "udev",
                reason: error.to_string(),
            })?;
        info!(%seat, "login session");
        Ok(Udev {
            session,
            libinput,
            gpu: Some(gpu),
            frames,
            size,
            placements,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Draws the copy in memory, then every screen; returns the copy's damage.
    pub fn render(&mut self, scene: &mut impl Scene) -> anyhow::Result<Vec<Rect>> {
        let screens = match (&mut self.gpu, self.session.is_active()) {
            (Some(gpu), true) => gpu.screens.as_mut_slice(),
            _ => &mut [],
        };
        let damage = self.frames.render(scene, screens)?;
        Ok(damage
            .iter()
            .map(|r| Rect::new(r.loc.x, r.loc.y, r.size.w as u32, r.size.h as u32))
            .collect())
    }

    /// The copy in memory as it stands after the last frame.
    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        self.frames.with_pixels(export)
    }

    /// A new copy in memory at the shell's new size; the screens keep theirs.
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.frames.resize(width, height)?;
        self.size = (width, height);
        Ok(())
    }

    pub fn forget_window(&mut self, key: TextureKey) {
        self.frames.forget_window(key);
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
        gpu.scan(&self.frames.scanout(), &self.placements);
        gpu.size().filter(|size| *size != self.size)
    }

    /// A page flip on `crtc` completed; returns whether to draw again.
    fn flip_done(&mut self, crtc: crtc::Handle) -> bool {
        self.gpu.as_mut().is_some_and(|gpu| gpu.flip_done(crtc))
    }

    /// Monitors plugged or unplugged, or a GPU came or went; returns the shell's new size if
    /// it changed.
    fn device_event<D: UdevHost>(
        &mut self,
        handle: &LoopHandle<'static, D>,
        event: UdevEvent,
    ) -> Option<(u32, u32)> {
        match event {
            UdevEvent::Changed { device_id } => {
                let gpu = self.gpu.as_mut().filter(|gpu| gpu.device_id == device_id)?;
                if !gpu.scan(&self.frames.scanout(), &self.placements) {
                    return None;
                }
            }
            UdevEvent::Added { device_id, path } => {
                if self.gpu.is_some() {
                    return None;
                }
                // The GLES renderer lives on the GPU it was made for, and its textures with it.
                if matches!(self.frames, Frames::Gles(_)) {
                    warn!(
                        path = %path.display(),
                        "a GPU came back, but the GLES renderer belongs to the one that went \
                         away: restart airgui to use it"
                    );
                    return None;
                }
                match Gpu::open(handle, &mut self.session, device_id, &path, flipped) {
                    Ok(mut gpu) => {
                        gpu.scan(&self.frames.scanout(), &self.placements);
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
                if let Some(gpu) = self.gpu.take() {
                    handle.remove(gpu.token);
                }
                return None;
            }
        }
        self.gpu
            .as_ref()
            .and_then(Gpu::size)
            .filter(|size| *size != self.size)
    }
}

fn hotplug<D: UdevHost>(host: &mut D, handle: &LoopHandle<'static, D>, event: UdevEvent) {
    let Some(udev) = host.udev() else {
        return;
    };
    if let Some((width, height)) = udev.device_event(handle, event) {
        host.resize_output(width, height);
    }
    host.queue_redraw();
}

/// A page flip completed: the screen may take the next frame.
fn flipped<D: UdevHost>(host: &mut D, crtc: crtc::Handle) {
    if host.udev().is_some_and(|udev| udev.flip_done(crtc)) {
        host.queue_redraw();
    }
}

/// Pauses the backend while the session is away (another VT) and resumes it on return.
fn session_event<D: UdevHost>(host: &mut D, event: SessionEvent) {
    let Some(udev) = host.udev() else {
        return;
    };
    match event {
        SessionEvent::PauseSession => {
            info!("session paused: another VT is shown");
            udev.pause();
        }
        SessionEvent::ActivateSession => {
            info!("session active again");
            if let Some(size) = udev.resume() {
                host.resize_output(size.0, size.1);
            }
            host.queue_redraw();
        }
    }
}

/// A key, button or motion from libinput.
fn input_event<D: UdevHost>(host: &mut D, event: InputEvent<LibinputInputBackend>) {
    let before = host.pointer();
    host.handle_input(event);
    // The cursor is drawn into the frame: it moved or changed shape, so draw one.
    if host.pointer() != before {
        host.queue_redraw();
    }
}

/// The renderer `setting` asks for on `gpu`, or pixman when GLES is not worth it there (see
/// `choice`). The log names the one chosen and why.
fn start_renderer(setting: RendererSetting, gpu: &Gpu, size: (u32, u32)) -> anyhow::Result<Frames> {
    let (egl, offer) = if choice::needs_probe(setting) {
        gles::Egl::probe(gpu.fd())
    } else {
        (None, EglOffer::Unavailable("not asked".into()))
    };
    let (chosen, why) = choice::choose(setting, &offer).map_err(|reason| UdevError::NoGles {
        path: gpu.path.clone(),
        reason,
    })?;
    info!(renderer = %chosen, %why, "renderer");
    if let (Choice::Gles, Some(egl)) = (chosen, egl) {
        match gles::GlesFrames::new(egl, size) {
            Ok(frames) => return Ok(Frames::Gles(Box::new(frames))),
            Err(error) if setting == RendererSetting::Gles => {
                return Err(UdevError::NoGles {
                    path: gpu.path.clone(),
                    reason: format!("{error:#}"),
                }
                .into())
            }
            Err(error) => warn!("{error:#}: rendering with pixman instead"),
        }
    }
    Ok(Frames::Pixman(Box::new(pixman::PixmanFrames::new(size)?)))
}
