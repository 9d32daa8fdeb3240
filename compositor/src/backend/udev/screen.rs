//! One monitor: a connector, the CRTC that drives it, and Smithay's `DrmCompositor`, which keeps
//! a swapchain of scanout buffers, tracks damage per buffer and flips pages.

use smithay::backend::allocator::dmabuf::Dmabuf;
use smithay::backend::allocator::dumb::DumbAllocator;
use smithay::backend::allocator::format::FormatSet;
use smithay::backend::allocator::gbm::{GbmAllocator, GbmBufferFlags, GbmDevice};
use smithay::backend::allocator::Fourcc;
use smithay::backend::drm::compositor::{DrmCompositor, FrameFlags, PrimaryPlaneElement};
use smithay::backend::drm::exporter::gbm::GbmFramebufferExporter;
use smithay::backend::drm::{DrmDevice, DrmDeviceFd};
use smithay::backend::renderer::element::render_elements;
use smithay::backend::renderer::element::utils::{Relocate, RelocateRenderElement};
use smithay::backend::renderer::{Bind, ImportAll, ImportMem, Renderer, Texture};
use smithay::output::OutputModeSource;
use smithay::reexports::drm::control::{connector, crtc, Device as _, Mode, ModeTypeFlags};
use smithay::reexports::drm::{Device as _, DriverCapability};
use smithay::utils::Transform;
use tracing::{debug, info};

use super::cursor::CursorElement;
use crate::render::element::{OutputElement, BACKGROUND};

render_elements! {
    /// What a screen shows: its part of the shell's output, and the cursor.
    pub ScreenElement<'a, R> where R: ImportAll + ImportMem;
    Shell = RelocateRenderElement<&'a OutputElement<R>>,
    Cursor = RelocateRenderElement<&'a CursorElement<R>>,
}

/// Scanout on dumb buffers, rendered by pixman: works on every KMS driver, GPU or not.
type DumbCompositor = DrmCompositor<DumbAllocator, DrmDeviceFd, (), DrmDeviceFd>;
/// Scanout on GBM buffers, rendered by GLES.
type GbmCompositor =
    DrmCompositor<GbmAllocator<DrmDeviceFd>, GbmFramebufferExporter<DrmDeviceFd>, (), DrmDeviceFd>;

/// A screen's swapchain, of the kind its renderer draws into.
enum Scanout {
    Dumb(DumbCompositor),
    Gbm(GbmCompositor),
}

/// What new screens are made of: the renderer's buffers and the formats it can draw into.
#[derive(Debug, Clone)]
pub struct ScanoutSource {
    pub buffers: Buffers,
    pub renderer_formats: FormatSet,
}

#[derive(Debug, Clone)]
pub enum Buffers {
    /// Dumb buffers, for pixman.
    Dumb,
    /// GBM buffers on the GPU's GBM device, for GLES.
    Gbm(GbmDevice<DrmDeviceFd>),
}

/// A connected monitor.
pub struct Screen {
    pub connector: connector::Handle,
    /// The connector's name, such as `Virtual-1` or `HDMI-A-1`.
    pub name: String,
    pub crtc: crtc::Handle,
    scanout: Scanout,
    /// Where its top left corner is on the shell's output (see `layout`).
    pub at: (i32, i32),
    pub size: (u32, u32),
    /// A page flip was queued and has not completed: a new frame waits for it.
    flip_pending: bool,
    /// Something changed while the flip was pending: draw again when it completes.
    pub redraw_after_flip: bool,
    /// The driver takes the renderer's fences with a flip (so there is no need to wait).
    fences: bool,
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
    /// Sets the connector's mode on its CRTC (on the first frame) with a swapchain of the
    /// renderer's buffers.
    pub fn new(
        drm: &mut DrmDevice,
        source: &ScanoutSource,
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
        // As Smithay's DrmCompositor decides whether to pass fences on.
        let fences = !surface.is_legacy()
            && surface
                .get_driver_capability(DriverCapability::SyncObj)
                .is_ok_and(|value| value != 0);
        let fd = drm.device_fd().clone();
        let mode_source = OutputModeSource::Static {
            size: (i32::from(width), i32::from(height)).into(),
            scale: 1.0.into(),
            transform: Transform::Normal,
        };
        let formats = [Fourcc::Xrgb8888, Fourcc::Argb8888];
        let renderer_formats = source.renderer_formats.clone();
        let cursor_size = drm.cursor_size();
        let failed = |error: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot set up scanout on {name}: {error}")
        };
        // No GBM device is handed over for a cursor plane: the cursor is drawn into the frame
        // with both renderers, so every screen shows what the copy in memory shows.
        let scanout = match &source.buffers {
            Buffers::Dumb => Scanout::Dumb(
                DrmCompositor::new(
                    mode_source,
                    surface,
                    None,
                    DumbAllocator::new(fd.clone()),
                    fd,
                    formats,
                    renderer_formats,
                    cursor_size,
                    None,
                )
                .map_err(|error| failed(&error))?,
            ),
            Buffers::Gbm(gbm) => Scanout::Gbm(
                DrmCompositor::new(
                    mode_source,
                    surface,
                    None,
                    GbmAllocator::new(
                        gbm.clone(),
                        GbmBufferFlags::RENDERING | GbmBufferFlags::SCANOUT,
                    ),
                    // No import node: qube windows are shared memory, never scanned out as
                    // they are.
                    GbmFramebufferExporter::new(gbm.clone(), None),
                    formats,
                    renderer_formats,
                    cursor_size,
                    None,
                )
                .map_err(|error| failed(&error))?,
            ),
        };
        info!(%name, width, height, refresh = mode.vrefresh(), "screen");
        Ok(Screen {
            connector,
            name,
            crtc,
            scanout,
            at: (0, 0),
            size: (u32::from(width), u32::from(height)),
            flip_pending: false,
            redraw_after_flip: false,
            fences,
        })
    }

    /// Draws the part of the shell's output this screen shows, with the cursor over it, and
    /// queues the page flip. Only what changed since this buffer was last shown is drawn.
    pub fn render<R>(
        &mut self,
        renderer: &mut R,
        shell: &[OutputElement<R>],
        cursor: Option<&CursorElement<R>>,
    ) -> anyhow::Result<()>
    where
        R: Renderer + ImportAll + ImportMem + Bind<Dmabuf>,
        R::TextureId: Texture + Clone + Send + 'static,
    {
        if self.flip_pending {
            self.redraw_after_flip = true;
            return Ok(());
        }
        let offset = (-self.at.0, -self.at.1);
        let mut elements: Vec<ScreenElement<'_, R>> = Vec::with_capacity(shell.len() + 1);
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
        let rendering =
            |error: &dyn std::fmt::Display| anyhow::anyhow!("rendering {}: {error}", self.name);
        let empty = match &mut self.scanout {
            Scanout::Dumb(compositor) => {
                compositor
                    .render_frame(renderer, &elements, BACKGROUND, FrameFlags::DEFAULT)
                    .map_err(|error| rendering(&error))?
                    .is_empty
            }
            Scanout::Gbm(compositor) => {
                let frame = compositor
                    .render_frame(renderer, &elements, BACKGROUND, FrameFlags::DEFAULT)
                    .map_err(|error| rendering(&error))?;
                // Smithay hands the end of the drawing to the kernel as a fence only where the
                // driver takes fences and the renderer can export one; elsewhere (virtio-gpu,
                // llvmpipe) the flip would show a buffer still being drawn into. Wait there.
                if let PrimaryPlaneElement::Swapchain(element) = &frame.primary_element {
                    let handed_over = self.fences && element.sync.is_exportable();
                    if !handed_over && element.sync.wait().is_err() {
                        debug!(screen = %self.name, "waiting for the drawing was interrupted");
                    }
                }
                frame.is_empty
            }
        };
        if empty {
            return Ok(());
        }
        let showing = |error: &dyn std::fmt::Display| {
            anyhow::anyhow!("showing a frame on {}: {error}", self.name)
        };
        match &mut self.scanout {
            Scanout::Dumb(compositor) => compositor.queue_frame(()).map_err(|e| showing(&e))?,
            Scanout::Gbm(compositor) => compositor.queue_frame(()).map_err(|e| showing(&e))?,
        }
        self.flip_pending = true;
        debug!(screen = %self.name, "frame queued");
        Ok(())
    }

    /// The queued flip completed (the frame is on screen); returns whether to draw again.
    pub fn flip_done(&mut self) -> bool {
        debug!(screen = %self.name, redraw = self.redraw_after_flip, "flip done");
        let submitted = match &mut self.scanout {
            Scanout::Dumb(compositor) => compositor
                .frame_submitted()
                .map(drop)
                .map_err(|e| e.to_string()),
            Scanout::Gbm(compositor) => compositor
                .frame_submitted()
                .map(drop)
                .map_err(|e| e.to_string()),
        };
        if let Err(error) = submitted {
            tracing::warn!(screen = %self.name, %error, "page flip");
        }
        self.flip_pending = false;
        std::mem::take(&mut self.redraw_after_flip)
    }

    /// Back from another VT: the CRTC's state is unknown, so the next frame sets it whole.
    pub fn reset(&mut self) {
        let reset = match &mut self.scanout {
            Scanout::Dumb(compositor) => {
                let reset = compositor.reset_state();
                compositor.reset_buffers();
                reset
            }
            Scanout::Gbm(compositor) => {
                let reset = compositor.reset_state();
                compositor.reset_buffers();
                reset
            }
        };
        if let Err(error) = reset {
            tracing::warn!(screen = %self.name, %error, "cannot reset the screen's state");
        }
        self.flip_pending = false;
        self.redraw_after_flip = false;
    }
}
