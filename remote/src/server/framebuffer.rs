//! The compositor's side of the display: one framebuffer and one merged damage set, filled by
//! [`Shared::submit`] on the compositor's thread and emptied by the update stream.

use std::num::{NonZeroU16, NonZeroUsize};
use std::sync::{Mutex, MutexGuard};

use ironrdp_server::{BitmapUpdate, DisplayUpdate, PixelFormat};
use tokio::sync::Notify;
use tracing::debug;

use super::cursor::Cursor;
use super::damage::PendingDamage;
use crate::frame::{FrameRef, Rect};

/// RDP desktops are at most this many pixels wide and high (MS-RDPEDISP 2.2.2.2.1).
pub const MAX_DESKTOP_SIDE: u16 = 8192;

/// Why a frame was not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame has no pixels ({width}x{height})")]
    Empty { width: u16, height: u16 },
    #[error("frame of {width}x{height} is larger than an RDP desktop ({MAX_DESKTOP_SIDE}x{MAX_DESKTOP_SIDE})")]
    TooLarge { width: u16, height: u16 },
    #[error("frame stride {stride} is shorter than a row of {width} BGRX pixels")]
    StrideTooSmall { stride: usize, width: u16 },
    #[error("frame buffer holds {len} bytes, {width}x{height} at stride {stride} needs {needed}")]
    BufferTooSmall {
        len: usize,
        needed: usize,
        width: u16,
        height: u16,
        stride: usize,
    },
}

/// The state shared by the compositor's handle and the server thread.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<DisplayState>,
    pub(super) notify: Notify,
}

#[derive(Debug)]
pub(crate) struct DisplayState {
    /// The desktop size the client sees: the frame's, with the width rounded up to a multiple of
    /// 4 (ironrdp-server's planar encoder refuses other widths); the extra columns stay black.
    pub(super) width: u16,
    pub(super) height: u16,
    /// The last composed frame, BGRX at `width * 4` bytes per row.
    pub(super) framebuffer: Vec<u8>,
    pub(super) pending: PendingDamage,
    pub(super) cursor: Cursor,
    pub(super) cursor_dirty: bool,
    pub(super) shutdown: bool,
}

/// The desktop width for a frame width: the next multiple of 4.
pub(crate) fn padded_width(width: u16) -> u16 {
    width.saturating_add(3) & !3
}

impl Shared {
    pub(crate) fn new(width: u16, height: u16) -> Self {
        let width = padded_width(width.max(4));
        let height = height.max(1);
        Self {
            state: Mutex::new(DisplayState {
                width,
                height,
                framebuffer: vec![0; usize::from(width) * 4 * usize::from(height)],
                pending: PendingDamage::default(),
                cursor: Cursor::Default,
                cursor_dirty: true,
                shutdown: false,
            }),
            notify: Notify::new(),
        }
    }

    /// A poisoned lock only means a panic elsewhere mid-update; the pixels are still pixels.
    pub(crate) fn lock(&self) -> MutexGuard<'_, DisplayState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn size(&self) -> (u16, u16) {
        let state = self.lock();
        (state.width, state.height)
    }

    /// Copies the damaged rectangles of `frame` into the framebuffer and adds them to the pending
    /// damage. A frame of another size replaces everything and is sent whole, after a resize.
    pub(crate) fn submit(&self, frame: FrameRef<'_>) -> Result<(), FrameError> {
        validate(&frame)?;
        let width = padded_width(frame.width);
        let mut state = self.lock();
        let changed = if (state.width, state.height) != (width, frame.height) {
            debug!(
                from = ?(state.width, state.height),
                to = ?(width, frame.height),
                "RDP desktop size follows the output"
            );
            state.width = width;
            state.height = frame.height;
            state.framebuffer = vec![0; usize::from(width) * 4 * usize::from(frame.height)];
            let all = Rect::new(0, 0, u32::from(frame.width), u32::from(frame.height));
            copy_rect(&frame, &mut state.framebuffer, usize::from(width) * 4, all);
            state.pending.mark_full();
            true
        } else {
            let mut any = false;
            let dst_stride = usize::from(width) * 4;
            for rect in frame.damage {
                let Some(rect) = rect.clip_to(u32::from(frame.width), u32::from(frame.height))
                else {
                    continue;
                };
                copy_rect(&frame, &mut state.framebuffer, dst_stride, rect);
                if let Some(aligned) =
                    align4(rect).clip_to(u32::from(width), u32::from(frame.height))
                {
                    state.pending.add(aligned, width, frame.height);
                    any = true;
                }
            }
            any
        };
        drop(state);
        if changed {
            self.notify.notify_one();
        }
        Ok(())
    }

    pub(crate) fn set_cursor(&self, cursor: Cursor) {
        let mut state = self.lock();
        if state.cursor != cursor {
            state.cursor = cursor;
            state.cursor_dirty = true;
            drop(state);
            self.notify.notify_one();
        }
    }

    /// Makes the update stream end, which disconnects the client cleanly.
    pub(crate) fn shutdown(&self) {
        self.lock().shutdown = true;
        self.notify.notify_one();
    }
}

fn validate(frame: &FrameRef<'_>) -> Result<(), FrameError> {
    if frame.width == 0 || frame.height == 0 {
        return Err(FrameError::Empty {
            width: frame.width,
            height: frame.height,
        });
    }
    if frame.width > MAX_DESKTOP_SIDE || frame.height > MAX_DESKTOP_SIDE {
        return Err(FrameError::TooLarge {
            width: frame.width,
            height: frame.height,
        });
    }
    let row = usize::from(frame.width) * 4;
    if frame.stride < row {
        return Err(FrameError::StrideTooSmall {
            stride: frame.stride,
            width: frame.width,
        });
    }
    let needed = frame.stride * (usize::from(frame.height) - 1) + row;
    if frame.pixels.len() < needed {
        return Err(FrameError::BufferTooSmall {
            len: frame.pixels.len(),
            needed,
            width: frame.width,
            height: frame.height,
            stride: frame.stride,
        });
    }
    Ok(())
}

/// Widens a rectangle to 4-pixel column boundaries: the planar (non-surface) encoder rejects
/// widths that are not multiples of 4, and the encoder's 64-pixel tiles stay aligned too.
fn align4(rect: Rect) -> Rect {
    let x = rect.x & !3;
    let right = (rect.right() + 3) & !3;
    Rect::new(
        x,
        rect.y,
        u32::try_from(right - i64::from(x)).unwrap_or(!3),
        rect.height,
    )
}

/// Copies `rect` (inside the frame) from the frame into a framebuffer of `dst_stride`.
fn copy_rect(frame: &FrameRef<'_>, dst: &mut [u8], dst_stride: usize, rect: Rect) {
    let Some([x, y, width, height]) = rect.to_usize() else {
        return;
    };
    let (row_len, x_off) = (width * 4, x * 4);
    for row in y..y + height {
        let src_start = row * frame.stride + x_off;
        let dst_start = row * dst_stride + x_off;
        let (Some(src), Some(dst)) = (
            frame.pixels.get(src_start..src_start + row_len),
            dst.get_mut(dst_start..dst_start + row_len),
        ) else {
            return;
        };
        dst.copy_from_slice(src);
    }
}

/// Copies `rect` out of the framebuffer into a tightly packed bitmap update.
pub(super) fn bitmap_update(state: &DisplayState, rect: Rect) -> Option<DisplayUpdate> {
    let stride = usize::from(state.width) * 4;
    let [x, y, width, height] = rect.to_usize()?;
    let (row_len, x_off) = (width * 4, x * 4);
    let mut data = Vec::with_capacity(row_len * height);
    for row in y..y + height {
        let start = row * stride + x_off;
        data.extend_from_slice(state.framebuffer.get(start..start + row_len)?);
    }
    Some(DisplayUpdate::Bitmap(BitmapUpdate {
        x: u16::try_from(rect.x).ok()?,
        y: u16::try_from(rect.y).ok()?,
        width: NonZeroU16::new(u16::try_from(rect.width).ok()?)?,
        height: NonZeroU16::new(u16::try_from(rect.height).ok()?)?,
        format: PixelFormat::BgrX32,
        data: data.into(),
        stride: NonZeroUsize::new(row_len)?,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn bad_frames_are_refused() {
        let shared = Shared::new(64, 32);
        let pixels = vec![0u8; 100];
        let frame = |width, height, stride| FrameRef {
            width,
            height,
            stride,
            pixels: &pixels,
            damage: &[],
        };
        assert!(matches!(
            shared.submit(frame(0, 1, 0)),
            Err(FrameError::Empty { .. })
        ));
        assert!(matches!(
            shared.submit(frame(10, 1, 39)),
            Err(FrameError::StrideTooSmall { .. })
        ));
        assert!(matches!(
            shared.submit(frame(10, 3, 40)),
            Err(FrameError::BufferTooSmall { .. })
        ));
        // 2 rows of stride 40 + one row of 40 = 120 > 100; but 2 rows at stride 60 need 100.
        assert!(shared.submit(frame(10, 2, 60)).is_ok());
    }

    #[test]
    fn padded_widths() {
        assert_eq!(padded_width(640), 640);
        assert_eq!(padded_width(641), 644);
        assert_eq!(padded_width(1366), 1368);
        assert_eq!(align4(Rect::new(5, 1, 3, 1)), Rect::new(4, 1, 4, 1));
        assert_eq!(align4(Rect::new(5, 1, 4, 1)), Rect::new(4, 1, 8, 1));
    }
}
