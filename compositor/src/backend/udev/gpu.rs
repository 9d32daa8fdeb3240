//! The primary GPU: its DRM device opened through the session, and one screen per connected
//! monitor, placed by `layout`.

use std::path::{Path, PathBuf};

use smithay::backend::drm::{DrmDevice, DrmDeviceFd, DrmEvent};
use smithay::backend::session::libseat::LibSeatSession;
use smithay::backend::session::Session;
use smithay::reexports::calloop::{LoopHandle, RegistrationToken};
use smithay::reexports::drm::control::crtc;
use smithay::reexports::rustix::fs::{Dev, OFlags};
use smithay::utils::DeviceFd;
use tracing::{error, info, warn};

use super::error::UdevError;
use super::layout;
use super::screen::{self, ScanoutSource, Screen};
use crate::config::ScreenPlacement;

pub struct Gpu {
    /// The device number udev names it by.
    pub device_id: Dev,
    pub path: PathBuf,
    drm: DrmDevice,
    pub screens: Vec<Screen>,
    /// Its page flips' event source, removed by whoever drops the GPU.
    pub token: RegistrationToken,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu")
            .field("path", &self.path)
            .field("screens", &self.screens)
            .finish_non_exhaustive()
    }
}

impl Gpu {
    /// Opens the DRM device at `path` through the session and calls `flipped` at each
    /// completed page flip.
    pub fn open<D: 'static>(
        handle: &LoopHandle<'static, D>,
        session: &mut LibSeatSession,
        device_id: Dev,
        path: &Path,
        flipped: fn(&mut D, crtc::Handle),
    ) -> Result<Gpu, UdevError> {
        let open_error = |reason: String| UdevError::OpenGpu {
            path: path.to_owned(),
            reason,
        };
        let fd = session
            .open(
                path,
                OFlags::RDWR | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK,
            )
            .map_err(|error| open_error(error.to_string()))?;
        let fd = DrmDeviceFd::new(DeviceFd::from(fd));
        let (drm, notifier) =
            DrmDevice::new(fd, true).map_err(|error| open_error(error.to_string()))?;
        let token = handle
            .insert_source(notifier, move |event, _, state| match event {
                DrmEvent::VBlank(crtc) => flipped(state, crtc),
                DrmEvent::Error(error) => error!(%error, "GPU"),
            })
            .map_err(|error| UdevError::Watch {
                what: "the GPU",
                reason: error.to_string(),
            })?;
        info!(path = %path.display(), "GPU");
        Ok(Gpu {
            device_id,
            path: path.to_owned(),
            drm,
            screens: Vec::new(),
            token,
        })
    }

    /// Follows the connectors: drops screens whose monitor went away, adds one for each new
    /// monitor, and places them as `placements` says. Returns whether anything changed.
    pub fn scan(&mut self, source: &ScanoutSource, placements: &[ScreenPlacement]) -> bool {
        let connected = screen::connected(&self.drm, &[]);
        let before = self.screens.len();
        self.screens.retain(|screen| {
            let still = connected
                .iter()
                .any(|candidate| candidate.connector == screen.connector);
            if !still {
                info!(screen = %screen.name, "monitor disconnected");
            }
            still
        });
        let mut changed = self.screens.len() != before;
        let taken: Vec<crtc::Handle> = self.screens.iter().map(|screen| screen.crtc).collect();
        let new: Vec<_> = screen::connected(&self.drm, &taken)
            .into_iter()
            .filter(|candidate| {
                !self
                    .screens
                    .iter()
                    .any(|screen| screen.connector == candidate.connector)
            })
            .collect();
        for candidate in new {
            match Screen::new(&mut self.drm, source, candidate) {
                Ok(screen) => {
                    self.screens.push(screen);
                    changed = true;
                }
                Err(error) => warn!("{error:#}"),
            }
        }
        self.screens
            .sort_by_key(|screen| u32::from(screen.connector));
        let named: Vec<(&str, (u32, u32))> = self
            .screens
            .iter()
            .map(|screen| (screen.name.as_str(), screen.size))
            .collect();
        let corners = layout::arrange(&named, placements);
        for (screen, corner) in self.screens.iter_mut().zip(corners) {
            changed |= screen.at != corner;
            screen.at = corner;
        }
        changed
    }

    /// The DRM device, for a GBM device on it.
    pub fn fd(&self) -> &DrmDeviceFd {
        self.drm.device_fd()
    }

    /// The shell's output: the smallest rectangle from (0, 0) that holds every screen.
    pub fn size(&self) -> Option<(u32, u32)> {
        let right = |screen: &Screen| screen.at.0.unsigned_abs().saturating_add(screen.size.0);
        let bottom = |screen: &Screen| screen.at.1.unsigned_abs().saturating_add(screen.size.1);
        let width = self.screens.iter().map(right).max()?;
        let height = self.screens.iter().map(bottom).max()?;
        Some((width, height))
    }

    pub fn pause(&mut self) {
        self.drm.pause();
    }

    pub fn activate(&mut self) {
        if let Err(error) = self.drm.activate(false) {
            error!(%error, "cannot take the GPU back");
        }
        for screen in &mut self.screens {
            screen.reset();
        }
    }

    /// The flip on `crtc` completed; returns whether to draw again.
    pub fn flip_done(&mut self, crtc: crtc::Handle) -> bool {
        self.screens
            .iter_mut()
            .find(|screen| screen.crtc == crtc)
            .is_some_and(Screen::flip_done)
    }
}
