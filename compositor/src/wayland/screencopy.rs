//! wlr-screencopy-unstable-v1 (version 3), what `grim` speaks: a client asks for the output or
//! a region of it, gets the frame airgui last drew copied into its wl_shm buffer (XRGB8888, the
//! same pixels as `airgui msg screenshot`), and with `copy_with_damage` waits for the next frame
//! that changes the region. Smithay 0.7 has no implementation, so this is ours.
//!
//! The output shows every qube's windows, so the global exists only while
//! `native.screencopy` is on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use guid_protocol::Rect;
use smithay::reexports::wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_frame_v1::{
    self, Flags, ZwlrScreencopyFrameV1,
};
use smithay::reexports::wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_manager_v1::{
    self, ZwlrScreencopyManagerV1,
};
use smithay::reexports::wayland_server::protocol::{wl_buffer::WlBuffer, wl_shm};
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource,
};
use smithay::wayland::shm::{with_buffer_contents, with_buffer_contents_mut};
use tracing::debug;

use super::copy_queue::{CopyQueue, PendingCopy};
use crate::state::State;

/// The protocol version offered.
const VERSION: u32 = 3;
/// `copy_with_damage` requests waiting for a frame, over all clients; more fail at once.
const MAX_PENDING: usize = 64;
/// The same, for one client: one client cannot take every place.
const MAX_PENDING_PER_CLIENT: usize = 4;

/// Creates the global if `enabled`; the queue starts empty either way.
pub fn start(display: &DisplayHandle, enabled: bool) -> CopyQueue {
    if enabled {
        display.create_global::<State, ZwlrScreencopyManagerV1, _>(VERSION, ());
    }
    CopyQueue::default()
}

/// What a frame object captures, and whether a copy was asked of it already.
#[derive(Debug)]
pub struct FrameData {
    /// In output coordinates, never empty.
    region: Rect,
    used: AtomicBool,
}

impl GlobalDispatch<ZwlrScreencopyManagerV1, ()> for State {
    fn bind(
        _state: &mut State,
        _display: &DisplayHandle,
        _client: &Client,
        manager: New<ZwlrScreencopyManagerV1>,
        _global_data: &(),
        data_init: &mut DataInit<'_, State>,
    ) {
        data_init.init(manager, ());
    }
}

impl Dispatch<ZwlrScreencopyManagerV1, ()> for State {
    fn request(
        state: &mut State,
        _client: &Client,
        _manager: &ZwlrScreencopyManagerV1,
        request: zwlr_screencopy_manager_v1::Request,
        _data: &(),
        _display: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        let (width, height) = state.airgui.shell.output();
        let whole = Rect::new(0, 0, width, height);
        // The cursor is never drawn into the output, so `overlay_cursor` changes nothing.
        let (frame, region) = match request {
            zwlr_screencopy_manager_v1::Request::CaptureOutput { frame, .. } => (frame, whole),
            zwlr_screencopy_manager_v1::Request::CaptureOutputRegion {
                frame,
                x,
                y,
                width,
                height,
                ..
            } => {
                let asked = Rect::new(x, y, width.max(0) as u32, height.max(0) as u32);
                (frame, asked.intersect(&whole).unwrap_or_default())
            }
            zwlr_screencopy_manager_v1::Request::Destroy => return,
            _ => return,
        };
        let frame = data_init.init(
            frame,
            FrameData {
                region,
                used: AtomicBool::new(false),
            },
        );
        if region.width == 0 || region.height == 0 {
            frame.failed();
            return;
        }
        frame.buffer(
            wl_shm::Format::Xrgb8888,
            region.width,
            region.height,
            region.width * 4,
        );
        if frame.version() >= 3 {
            frame.buffer_done();
        }
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, FrameData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        frame: &ZwlrScreencopyFrameV1,
        request: zwlr_screencopy_frame_v1::Request,
        data: &FrameData,
        display: &DisplayHandle,
        _data_init: &mut DataInit<'_, State>,
    ) {
        let (buffer, with_damage) = match request {
            zwlr_screencopy_frame_v1::Request::Copy { buffer } => (buffer, false),
            zwlr_screencopy_frame_v1::Request::CopyWithDamage { buffer } => (buffer, true),
            zwlr_screencopy_frame_v1::Request::Destroy => {
                state
                    .airgui
                    .native
                    .screencopy
                    .pending
                    .retain(|p| &p.frame != frame);
                return;
            }
            _ => return,
        };
        if data.used.swap(true, Ordering::Relaxed) {
            frame.post_error(
                zwlr_screencopy_frame_v1::Error::AlreadyUsed,
                "this frame was already copied",
            );
            return;
        }
        if let Err(problem) = check_buffer(&buffer, data.region) {
            frame.post_error(zwlr_screencopy_frame_v1::Error::InvalidBuffer, problem);
            return;
        }
        if with_damage {
            let pending = &mut state.airgui.native.screencopy.pending;
            pending.retain(|p| p.frame.is_alive());
            let client_id = client.id();
            let of_client = pending
                .iter()
                .filter(|p| p.frame.client().is_some_and(|c| c.id() == client_id))
                .count();
            if pending.len() >= MAX_PENDING || of_client >= MAX_PENDING_PER_CLIENT {
                debug!("too many screencopy frames waiting for damage; one fails");
                frame.failed();
                return;
            }
            pending.push(PendingCopy {
                frame: frame.clone(),
                buffer,
            });
            return;
        }
        let interval = state.airgui.redraw.interval();
        let allowed = state.airgui.native.screencopy.plain_copy_allowed(
            display,
            client.id(),
            Instant::now(),
            interval,
        );
        if !allowed {
            debug!("a client asks for screen copies faster than the refresh rate; one fails");
            frame.failed();
            return;
        }
        // What the output shows now, not a frame that is due but not drawn.
        state.render_if_queued();
        copy(state, frame, &buffer, data.region, None);
    }
}

/// The buffer must be wl_shm, 32-bit XRGB or ARGB, exactly the region's size.
fn check_buffer(buffer: &WlBuffer, region: Rect) -> Result<(), String> {
    let data = with_buffer_contents(buffer, |_, _, data| data)
        .map_err(|_| "not a wl_shm buffer".to_owned())?;
    let format_ok = matches!(
        data.format,
        wl_shm::Format::Xrgb8888 | wl_shm::Format::Argb8888
    );
    let size_ok = i64::from(data.width) == i64::from(region.width)
        && i64::from(data.height) == i64::from(region.height)
        && i64::from(data.stride) >= i64::from(region.width) * 4;
    if format_ok && size_ok {
        Ok(())
    } else {
        Err(format!(
            "the buffer must be {}x{} XRGB8888 with a stride of at least {}",
            region.width,
            region.height,
            region.width * 4
        ))
    }
}

/// A frame was drawn: copies waiting for damage in their region complete.
pub fn frame_drawn(state: &mut State, damage: &[Rect]) {
    if damage.is_empty() || state.airgui.native.screencopy.pending.is_empty() {
        return;
    }
    let pending = std::mem::take(&mut state.airgui.native.screencopy.pending);
    let mut waiting = Vec::new();
    for copy_request in pending {
        let Some(region) = copy_request
            .frame
            .data::<FrameData>()
            .map(|data| data.region)
        else {
            continue;
        };
        if !copy_request.frame.is_alive() {
            continue;
        }
        let changed = damage
            .iter()
            .filter_map(|rect| rect.intersect(&region))
            .reduce(|a, b| a.union(&b));
        match changed {
            Some(changed) => copy(
                state,
                &copy_request.frame,
                &copy_request.buffer,
                region,
                Some(changed),
            ),
            None => waiting.push(copy_request),
        }
    }
    state.airgui.native.screencopy.pending.extend(waiting);
}

/// Copies the region of the last frame into the client's buffer and says it is ready.
fn copy(
    state: &State,
    frame: &ZwlrScreencopyFrameV1,
    buffer: &WlBuffer,
    region: Rect,
    damage: Option<Rect>,
) {
    let copied = state.backend.with_pixels(|output| {
        with_buffer_contents_mut(buffer, |pointer, len, data| {
            // SAFETY: Smithay maps the client's pool for `len` bytes for the duration of this
            // call; the client may scribble on it meanwhile, which only garbles its own image.
            let target = unsafe { std::slice::from_raw_parts_mut(pointer, len) };
            let offset = usize::try_from(data.offset).unwrap_or(usize::MAX);
            let stride = usize::try_from(data.stride).unwrap_or(0);
            copy_rows(
                &output,
                region,
                target.get_mut(offset..).unwrap_or_default(),
                stride,
            )
        })
    });
    match copied {
        Ok(true) => {}
        Ok(false) | Err(_) => {
            frame.failed();
            return;
        }
    }
    if let Some(damage) = damage {
        frame.damage(
            (damage.x - region.x) as u32,
            (damage.y - region.y) as u32,
            damage.width,
            damage.height,
        );
    }
    frame.flags(Flags::empty());
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let seconds = now.tv_sec as u64;
    frame.ready((seconds >> 32) as u32, seconds as u32, now.tv_nsec as u32);
    buffer.release();
}

/// Copies `region` of the output into `target` (rows `stride` bytes apart); false if either
/// side is too small.
fn copy_rows(
    output: &airgui_remote::FrameRef<'_>,
    region: Rect,
    target: &mut [u8],
    stride: usize,
) -> bool {
    let row_bytes = region.width as usize * 4;
    let (x, y) = (region.x.max(0) as usize, region.y.max(0) as usize);
    for row in 0..region.height as usize {
        let from = (y + row) * output.stride + x * 4;
        let to = row * stride;
        let (Some(source), Some(destination)) = (
            output.pixels.get(from..from + row_bytes),
            target.get_mut(to..to + row_bytes),
        ) else {
            return false;
        };
        destination.copy_from_slice(source);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::os::unix::net::UnixStream;
    use std::sync::Arc;
    use std::time::Duration;

    use smithay::reexports::wayland_server::backend::ClientData;
    use smithay::reexports::wayland_server::Display;

    struct NoData;
    impl ClientData for NoData {}

    #[test]
    fn plain_copies_are_paced_per_client() {
        let display: Display<()> = Display::new().unwrap();
        let handle = display.handle();
        // The peers' ends are dropped: the clients stay known until the display dispatches.
        let client = || {
            let (ours, _theirs) = UnixStream::pair().unwrap();
            display
                .handle()
                .insert_client(ours, Arc::new(NoData))
                .unwrap()
                .id()
        };
        let (a, b) = (client(), client());
        let mut screencopy = CopyQueue::default();
        let interval = Duration::from_millis(16);
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert!(screencopy.plain_copy_allowed(&handle, a.clone(), at(0), interval));
        assert!(!screencopy.plain_copy_allowed(&handle, a.clone(), at(5), interval));
        assert!(screencopy.plain_copy_allowed(&handle, b, at(5), interval));
        assert!(!screencopy.plain_copy_allowed(&handle, a.clone(), at(15), interval));
        assert!(screencopy.plain_copy_allowed(&handle, a, at(16), interval));
    }

    #[test]
    fn rows_of_the_region_land_at_the_target_stride() {
        // A 4x3 output whose pixel (x, y) holds bytes [x, y, 0, 0].
        let pixels: Vec<u8> = (0..3u8)
            .flat_map(|y| (0..4u8).flat_map(move |x| [x, y, 0, 0]))
            .collect();
        let output = airgui_remote::FrameRef {
            width: 4,
            height: 3,
            stride: 16,
            pixels: &pixels,
            damage: &[],
        };
        let mut target = vec![0xffu8; 2 * 12];
        assert!(copy_rows(&output, Rect::new(1, 1, 2, 2), &mut target, 12));
        assert_eq!(&target[..8], &[1, 1, 0, 0, 2, 1, 0, 0]);
        assert_eq!(&target[12..20], &[1, 2, 0, 0, 2, 2, 0, 0]);
        // Bytes past each row's pixels are the client's and stay as they were.
        assert_eq!(&target[8..12], &[0xff; 4]);
        // A region past the output's last row is refused, not read out of bounds.
        assert!(!copy_rows(&output, Rect::new(0, 2, 4, 2), &mut target, 16));
    }
}
