//! Copies the damaged rectangles of a window's surfaces (wl_shm buffers) into the window's pool
//! pages: the root surface as it is, subsurfaces blended over it.

use guid_protocol::Rect;
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::protocol::wl_shm::Format;
use smithay::wayland::shm::{self, BufferData};

/// One surface of a window: its buffer and where its top-left corner lies in the window.
#[derive(Debug)]
pub struct Layer {
    pub buffer: WlBuffer,
    pub at: (i32, i32),
    /// Blend by alpha over what lies below (subsurfaces); the root is copied as it is, since the
    /// daemon shows window pixels opaque.
    pub blend: bool,
}

/// Redraws `damage` (window coordinates, inside the window) of the `width` x `height` image in
/// `pages` (B G R X, stride `width * 4`) from the layers, bottom first.
pub fn compose(pages: &mut [u8], (width, height): (u32, u32), layers: &[Layer], damage: &[Rect]) {
    let stride = width as usize * 4;
    let mut row = Vec::new();
    for rect in damage {
        for layer in layers {
            let result = shm::with_buffer_contents(&layer.buffer, |ptr, len, data| {
                let source = Source { ptr, len, data };
                source.draw(pages, stride, (width, height), layer, *rect, &mut row);
            });
            if let Err(error) = result {
                // Not an shm buffer (we offer no other kind), or one the client broke.
                tracing::debug!(%error, "a surface's buffer cannot be read");
            }
        }
    }
}

/// A client's shm buffer, as smithay lends it.
struct Source {
    ptr: *const u8,
    len: usize,
    data: BufferData,
}

impl Source {
    /// Draws the part of `rect` this buffer covers.
    fn draw(
        &self,
        pages: &mut [u8],
        stride: usize,
        (width, height): (u32, u32),
        layer: &Layer,
        rect: Rect,
        row: &mut Vec<u8>,
    ) {
        let blend = match self.data.format {
            Format::Argb8888 => layer.blend,
            Format::Xrgb8888 => false,
            _ => return,
        };
        let (bx, by) = layer.at;
        let place = Rect::new(
            bx,
            by,
            u32::try_from(self.data.width).unwrap_or(0),
            u32::try_from(self.data.height).unwrap_or(0),
        );
        // The intersection of the rectangle, the buffer's place and the window.
        let Some(drawn) = rect
            .intersect(&place)
            .and_then(|r| r.clip_to(width, height))
        else {
            return;
        };
        let (x0, y0, x1, y1) = (
            i64::from(drawn.x),
            i64::from(drawn.y),
            drawn.right(),
            drawn.bottom(),
        );
        let row_bytes = ((x1 - x0) * 4) as usize;
        row.resize(row_bytes, 0);
        for y in y0..y1 {
            let src_at = i64::from(self.data.offset)
                + (y - i64::from(by)) * i64::from(self.data.stride)
                + (x0 - i64::from(bx)) * 4;
            let dst_at = y as usize * stride + x0 as usize * 4;
            let Some(dst) = pages.get_mut(dst_at..dst_at + row_bytes) else {
                return;
            };
            if blend {
                if !self.copy(src_at, row) {
                    return;
                }
                blend_over(dst, row);
            } else if !self.copy(src_at, dst) {
                return;
            }
        }
    }

    /// Copies `dst.len()` bytes from `offset` of the client's pool; false if out of its range.
    fn copy(&self, offset: i64, dst: &mut [u8]) -> bool {
        let Ok(offset) = usize::try_from(offset) else {
            return false;
        };
        if offset
            .checked_add(dst.len())
            .is_none_or(|end| end > self.len)
        {
            return false;
        }
        // SAFETY: smithay lends `ptr..ptr+len`, the client's mapped pool, for the duration of
        // the closure this runs in; the range is inside it (checked above). The client may write
        // these bytes concurrently, so they are only copied, never referenced.
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.add(offset), dst.as_mut_ptr(), dst.len());
        }
        true
    }
}

/// Premultiplied B G R A `src` over `dst`, pixel by pixel.
fn blend_over(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let alpha = u32::from(s.get(3).copied().unwrap_or(255));
        for (dc, sc) in d.iter_mut().zip(s).take(3) {
            let below = u32::from(*dc) * (255 - alpha) / 255;
            *dc = (u32::from(*sc) + below).min(255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premultiplied_pixels_blend_over_what_lies_below() {
        let mut dst = [200, 100, 0, 0, 10, 20, 30, 0];
        // Half-transparent white, premultiplied; then fully transparent.
        let src = [128, 128, 128, 128, 0, 0, 0, 0];
        blend_over(&mut dst, &src);
        assert_eq!(dst, [227, 177, 128, 0, 10, 20, 30, 0]);
    }
}
