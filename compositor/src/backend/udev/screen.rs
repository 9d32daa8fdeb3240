//! One monitor: a connector, the CRTC that drives it, and Smithay's `DrmCompositor`, which keeps
//! a swapchain of scanout buffers, tracks damage per buffer and flips pages.

use smithay::backend::allocator::dumb::DumbAllocator;
use smithay::backend::allocator::Fourcc;
use smithay::backend::drm::compositor::{DrmCompositor, FrameFlags};
use smithay::backend::drm::{DrmDevice, DrmDeviceFd};
use smithay::backend::renderer::element::utils::{Relocate, RelocateRenderElement};
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::Bind;
use smithay::output::OutputModeSource;
use smithay::reexports::drm::control::{connector, crtc, Device as _, Mode, ModeTypeFlags};
use smithay::utils::Transform;
use tracing::{debug, info};

use super::cursor::CursorElement;
use super::ScreenElement;
use crate::backend::BACKGROUND;
use crate::render::OutputElement;

/// Scanout on dumb buffers, rendered by pixman: works on every KMS driver, GPU or not. No GBM
/// device, so no cursor plane: the cursor is drawn into the frame.
type PixmanCompositor = DrmCompositor<DumbAllocator, DrmDeviceFd, (), DrmDeviceFd>;

/// A connected monitor.
pub struct Screen {
    pub connector: connector::Handle,
    /// The connector's name, such as `Virtual-1` or `HDMI-A-1`.
    pub name: String,
    pub crtc: crtc::Handle,
    compositor: PixmanCompositor,
    /// Where its top left corner is on the shell's output (see `layout`).
    pub at: (i32, i32),
    pub size: (u32, u32),
    /// A page flip was queued and has not completed: a new frame waits for it.
    flip_pending: bool,
    /// Something changed while the flip was pending: draw again when it completes.
    pub redraw_after_flip: bool,
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("name", &self.name)
            .field("at", &self.at)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A connected connector with its mode and a free CRTC for it.
pub struct Candidate {
    pub connector: connector::Handle,
    pub name: String,
    pub mode: Mode,
    pub crtc: crtc::Handle,
}

/// The connected connectors with at least one mode, in connector order, each with a CRTC no
/// other of them (nor a screen already driven, in `taken`) uses.
pub fn connected(drm: &DrmDevice, taken: &[crtc::Handle]) -> Vec<Candidate> {
    let Ok(resources) = drm.resource_handles() else {
        return Vec::new();
    };
    let mut used: Vec<crtc::Handle> = taken.to_vec();
    let mut found = Vec::new();
    for &handle in resources.connectors() {
        let Ok(info) = drm.get_connector(handle, false) else {
            continue;
        };
        if info.state() != connector::State::Connected {
            continue;
        }
        let modes = info.modes();
        let Some(mode) = modes
            .iter()
            .find(|mode| mode.mode_type().contains(ModeTypeFlags::PREFERRED))
            .or_else(|| modes.first())
            .copied()
        else {
            continue;
        };
        let crtc = info
            .encoders()
            .iter()
            .filter_map(|encoder| drm.get_encoder(*encoder).ok())
            .flat_map(|encoder| resources.filter_crtcs(encoder.possible_crtcs()))
            .find(|crtc| !used.contains(crtc));
        let Some(crtc) = crtc else {
            debug!(?handle, "no free CRTC for a connected connector");
            continue;
        };
        used.push(crtc);
        found.push(Candidate {
            connector: handle,
            name: format!("{}-{}", info.interface().as_str(), info.interface_id()),
            mode,
            crtc,
        });
    }
    found
}

impl Screen {
    /// Sets the connector's mode on its CRTC (on the first frame) with a swapchain of dumb
    /// buffers.
    pub fn new(
        drm: &mut DrmDevice,
        renderer: &PixmanRenderer,
        candidate: Candidate,
    ) -> anyhow::Result<Screen> {
        let Candidate {
            connector,
            name,
            mode,
            crtc,
        } = candidate;
        let surface = drm
            .create_surface(crtc, mode, &[connector])
            .map_err(|error| anyhow::anyhow!("cannot drive {name}: {error}"))?;
        let (width, height) = mode.size();
        let fd = drm.device_fd().clone();
        let renderer_formats =
            Bind::<smithay::backend::allocator::dmabuf::Dmabuf>::supported_formats(renderer)
                .unwrap_or_default();
        let compositor = DrmCompositor::new(
            OutputModeSource::Static {
                size: (i32::from(width), i32::from(height)).into(),
                scale: 1.0.into(),
                transform: Transform::Normal,
            },
            surface,
            None,
            DumbAllocator::new(fd.clone()),
            fd,
            [Fourcc::Xrgb8888, Fourcc::Argb8888],
            renderer_formats,
            drm.cursor_size(),
            None,
        )
        .map_err(|error| anyhow::anyhow!("cannot set up scanout on {name}: {error}"))?;
        info!(%name, width, height, refresh = mode.vrefresh(), "screen");
        Ok(Screen {
            connector,
            name,
            crtc,
            compositor,
            at: (0, 0),
            size: (u32::from(width), u32::from(height)),
            flip_pending: false,
            redraw_after_flip: false,
        })
    }

    /// Draws the part of the shell's output this screen shows, with the cursor over it, and
    /// queues the page flip. Only what changed since this buffer was last shown is drawn.
    pub fn render(
        &mut self,
        renderer: &mut PixmanRenderer,
        shell: &[OutputElement<PixmanRenderer>],
        cursor: Option<&CursorElement>,
    ) -> anyhow::Result<()> {
        if self.flip_pending {
            self.redraw_after_flip = true;
            return Ok(());
        }
        let offset = (-self.at.0, -self.at.1);
        let mut elements: Vec<ScreenElement<'_, PixmanRenderer>> =
            Vec::with_capacity(shell.len() + 1);
        if let Some(cursor) = cursor {
            elements.push(ScreenElement::Cursor(RelocateRenderElement::from_element(
                cursor,
                offset,
                Relocate::Relative,
            )));
        }
        elements.extend(shell.iter().map(|element| {
            ScreenElement::Shell(RelocateRenderElement::from_element(
                element,
                offset,
                Relocate::Relative,
            ))
        }));
        let frame = self
            .compositor
            .render_frame(renderer, &elements, BACKGROUND, FrameFlags::DEFAULT)
            .map_err(|error| anyhow::anyhow!("rendering {}: {error}", self.name))?;
        if frame.is_empty {
            return Ok(());
        }
        self.compositor
            .queue_frame(())
            .map_err(|error| anyhow::anyhow!("showing a frame on {}: {error}", self.name))?;
        self.flip_pending = true;
        Ok(())
    }

    /// The queued flip completed (the frame is on screen); returns whether to draw again.
    pub fn flip_done(&mut self) -> bool {
        if let Err(error) = self.compositor.frame_submitted() {
            tracing::warn!(screen = %self.name, %error, "page flip");
        }
        self.flip_pending = false;
        std::mem::take(&mut self.redraw_after_flip)
    }

    /// Back from another VT: the CRTC's state is unknown, so the next frame sets it whole.
    pub fn reset(&mut self) {
        if let Err(error) = self.compositor.reset_state() {
            tracing::warn!(screen = %self.name, %error, "cannot reset the screen's state");
        }
        self.compositor.reset_buffers();
        self.flip_pending = false;
        self.redraw_after_flip = false;
    }
}
