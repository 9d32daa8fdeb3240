//! What a frame copies of an image into the texture of a renderer that keeps its own copy
//! (GLES, and every renderer for a zone's framebuffer): the damaged rectangles into a texture of
//! the image's size, the whole image only into a new texture (a new or resized image), and no
//! more than a budget of bytes per frame. The first upload of a frame always goes, so a window
//! larger than the budget still shows; what does not fit waits for the next frame.

use airgui_damage::MergedRects;
use guid_protocol::Rect;

/// Damage rectangles kept per window (or zone) before they are merged into one: enough for a few moving
/// things, bounded however much an agent sends between two frames.
const MAX_DAMAGE_RECTS: usize = 16;

/// Image work waiting for the next frame.
#[derive(Debug, Default)]
pub struct PendingUpload {
    /// A new image of a new size arrived: upload all of it.
    pub whole: bool,
    /// A new image of the same size arrived: an in-place texture must read it; a copy is kept
    /// and takes the damage that follows.
    pub replaced: bool,
    /// Rectangles of the current image that changed.
    pub damage: MergedRects<MAX_DAMAGE_RECTS>,
}

impl PendingUpload {
    pub fn add_damage(&mut self, rect: Rect) {
        if self.whole {
            return;
        }
        self.damage.add(rect);
    }

    pub fn is_empty(&self) -> bool {
        !self.whole && !self.replaced && self.damage.is_empty()
    }
}

/// Bytes a frame copies into textures before the rest waits for the next frame: a few full-HD
/// windows, so that a burst of new images from several qubes costs several short frames rather
/// than one long one.
pub const UPLOAD_BYTES_PER_FRAME: u64 = 32 << 20;

/// What is left of a frame's upload budget.
#[derive(Debug)]
pub struct UploadBudget {
    left: u64,
    spent: bool,
}

impl UploadBudget {
    pub fn new(bytes: u64) -> Self {
        UploadBudget {
            left: bytes,
            spent: false,
        }
    }

    /// Takes `bytes` if they fit, or if nothing was taken yet this frame.
    fn take(&mut self, bytes: u64) -> bool {
        if self.spent && bytes > self.left {
            return false;
        }
        self.left = self.left.saturating_sub(bytes);
        self.spent = true;
        true
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadPlan {
    /// Nothing to copy.
    Nothing,
    /// A new texture from the whole image.
    Import,
    /// These rectangles of the image into its texture.
    Update(Vec<Rect>),
    /// Over this frame's budget: the work waits for the next frame.
    Later,
}

/// Plans copying `pending` of an image of `image_size` into a texture that holds an image of
/// `texture_size` (`None`: there is no texture yet).
pub fn plan(
    pending: &PendingUpload,
    texture_size: Option<(u32, u32)>,
    image_size: (u32, u32),
    budget: &mut UploadBudget,
) -> UploadPlan {
    if pending.whole || texture_size != Some(image_size) {
        let bytes = u64::from(image_size.0) * u64::from(image_size.1) * 4;
        return match budget.take(bytes) {
            true => UploadPlan::Import,
            false => UploadPlan::Later,
        };
    }
    // A new image of the same size (a re-sent dump) keeps the texture: the agent says with
    // damage what differs, as for any change.
    let rects: Vec<Rect> = (pending.damage.iter())
        .filter_map(|rect| rect.clip_to(image_size.0, image_size.1))
        .collect();
    if rects.is_empty() {
        return UploadPlan::Nothing;
    }
    let bytes = rects.iter().map(|rect| rect.area() * 4).sum();
    match budget.take(bytes) {
        true => UploadPlan::Update(rects),
        false => UploadPlan::Later,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_merged_past_the_bound() {
        let mut upload = PendingUpload::default();
        for i in 0..40 {
            upload.add_damage(Rect::new(i * 10, 0, 5, 5));
        }
        assert!(upload.damage.len() <= MAX_DAMAGE_RECTS);
        let all = upload
            .damage
            .iter()
            .fold(Rect::default(), |a, r| a.union(r));
        assert_eq!(all, Rect::new(0, 0, 395, 5));
    }

    fn damage(rects: &[Rect]) -> PendingUpload {
        let mut pending = PendingUpload::default();
        for rect in rects {
            pending.add_damage(*rect);
        }
        pending
    }

    fn budget() -> UploadBudget {
        UploadBudget::new(UPLOAD_BYTES_PER_FRAME)
    }

    #[test]
    fn only_damage_goes_into_a_texture_of_the_right_size() {
        let rects = [Rect::new(10, 10, 20, 20), Rect::new(100, 50, 5, 5)];
        let planned = plan(&damage(&rects), Some((640, 480)), (640, 480), &mut budget());
        assert_eq!(planned, UploadPlan::Update(rects.to_vec()));
    }

    #[test]
    fn a_new_or_resized_image_is_imported_whole() {
        let pending = PendingUpload {
            whole: true,
            ..PendingUpload::default()
        };
        assert_eq!(
            plan(&pending, None, (640, 480), &mut budget()),
            UploadPlan::Import
        );
        let resized = damage(&[Rect::new(0, 0, 10, 10)]);
        let planned = plan(&resized, Some((640, 480)), (800, 600), &mut budget());
        assert_eq!(planned, UploadPlan::Import);
        let planned = plan(&resized, None, (640, 480), &mut budget());
        assert_eq!(planned, UploadPlan::Import);
    }

    /// A dump sent again at the same size (a moved window) copies nothing until damage says
    /// what changed.
    #[test]
    fn a_replaced_image_of_the_same_size_keeps_its_texture() {
        let pending = PendingUpload {
            replaced: true,
            ..PendingUpload::default()
        };
        let planned = plan(&pending, Some((640, 480)), (640, 480), &mut budget());
        assert_eq!(planned, UploadPlan::Nothing);
        let mut pending = pending;
        pending.add_damage(Rect::new(0, 0, 8, 8));
        let planned = plan(&pending, Some((640, 480)), (640, 480), &mut budget());
        assert_eq!(planned, UploadPlan::Update(vec![Rect::new(0, 0, 8, 8)]));
    }

    #[test]
    fn damage_is_cut_to_the_image() {
        let pending = damage(&[
            Rect::new(-5, -5, 10, 10),
            Rect::new(630, 470, 100, 100),
            Rect::new(700, 0, 10, 10),
        ]);
        let planned = plan(&pending, Some((640, 480)), (640, 480), &mut budget());
        let expected = vec![Rect::new(0, 0, 5, 5), Rect::new(630, 470, 10, 10)];
        assert_eq!(planned, UploadPlan::Update(expected));
    }

    /// Past the budget, images wait for the next frame; the first of a frame always goes.
    #[test]
    fn a_frame_copies_no_more_than_its_budget() {
        let whole = PendingUpload {
            whole: true,
            ..PendingUpload::default()
        };
        let mut frame = UploadBudget::new(1920 * 1080 * 4 * 2);
        let full_hd = (1920, 1080);
        assert_eq!(plan(&whole, None, full_hd, &mut frame), UploadPlan::Import);
        assert_eq!(plan(&whole, None, full_hd, &mut frame), UploadPlan::Import);
        assert_eq!(plan(&whole, None, full_hd, &mut frame), UploadPlan::Later);
        let small = damage(&[Rect::new(0, 0, 10, 10)]);
        assert_eq!(
            plan(&small, Some(full_hd), full_hd, &mut frame),
            UploadPlan::Later
        );

        let mut next = UploadBudget::new(1920 * 1080 * 4);
        let huge = (16384, 6144);
        assert_eq!(plan(&whole, None, huge, &mut next), UploadPlan::Import);
        assert_eq!(plan(&whole, None, full_hd, &mut next), UploadPlan::Later);
    }
}
