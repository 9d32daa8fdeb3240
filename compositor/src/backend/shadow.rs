//! A CPU copy of the last frame, for backends that render on a GPU: the IPC screenshot, the RDP
//! server and wlr-screencopy read frames from memory, as the headless backend keeps them. After
//! each frame only its damage is read back.

use airgui_remote::FrameRef;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::{ExportMem, TextureMapping};
use smithay::utils::{Buffer, Physical, Rectangle};

/// Pixels on their way back from the GPU.
#[derive(Debug)]
pub struct PendingRead<M> {
    mapping: M,
    bounds: Rectangle<i32, Physical>,
}

/// B, G, R, X pixels, `width * 4` bytes a row.
#[derive(Debug, Default)]
pub struct ShadowFrame {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl ShadowFrame {
    pub fn new(width: u32, height: u32) -> ShadowFrame {
        ShadowFrame {
            width,
            height,
            pixels: vec![0; width as usize * height as usize * 4],
        }
    }

    /// Starts reading back the bounding box of `damage` from the framebuffer just drawn; the
    /// pixels land with [`ShadowFrame::finish_read`]. (Mapping them makes the GL context
    /// current without the window's surface, so a window backend maps them after its swap.)
    pub fn start_read<R: ExportMem>(
        &self,
        renderer: &mut R,
        framebuffer: &R::Framebuffer<'_>,
        damage: &[Rectangle<i32, Physical>],
    ) -> Result<Option<PendingRead<R::TextureMapping>>, R::Error> {
        let Some(bounds) = damage.iter().copied().reduce(|a, b| a.merge(b)) else {
            return Ok(None);
        };
        let whole =
            Rectangle::<i32, Physical>::from_size((self.width as i32, self.height as i32).into());
        let Some(bounds) = bounds.intersection(whole) else {
            return Ok(None);
        };
        let region = Rectangle::<i32, Buffer>::new(
            (bounds.loc.x, bounds.loc.y).into(),
            (bounds.size.w, bounds.size.h).into(),
        );
        let mapping = renderer.copy_framebuffer(framebuffer, region, Fourcc::Xrgb8888)?;
        Ok(Some(PendingRead { mapping, bounds }))
    }

    /// Copies what [`ShadowFrame::start_read`] read into the frame.
    pub fn finish_read<R: ExportMem>(
        &mut self,
        renderer: &mut R,
        read: PendingRead<R::TextureMapping>,
    ) -> Result<(), R::Error> {
        let PendingRead { mapping, bounds } = read;
        let flipped = mapping.flipped();
        let bytes = renderer.map_texture(&mapping)?;
        let row = bounds.size.w as usize * 4;
        let stride = self.width as usize * 4;
        for y in 0..bounds.size.h as usize {
            let source_row = if flipped {
                bounds.size.h as usize - 1 - y
            } else {
                y
            };
            let from = source_row * row;
            let to = (bounds.loc.y as usize + y) * stride + bounds.loc.x as usize * 4;
            if let (Some(source), Some(target)) = (
                bytes.get(from..from + row),
                self.pixels.get_mut(to..to + row),
            ) {
                target.copy_from_slice(source);
            }
        }
        Ok(())
    }

    pub fn with_pixels<T>(&self, export: impl FnOnce(FrameRef<'_>) -> T) -> T {
        export(FrameRef {
            width: self.width as u16,
            height: self.height as u16,
            stride: self.width as usize * 4,
            pixels: &self.pixels,
            damage: &[],
        })
    }
}
