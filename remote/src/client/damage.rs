//! The damage a zone's consumer has not taken yet: one merged set, never a queue, so a compositor
//! that is slower than the link costs memory bounded by [`MAX_RECTS`], whatever the slave sends.

use crate::frame::Rect;
use airgui_damage::MergedRects;

/// Beyond this many separate rectangles the set collapses into their bounding box: redrawing a
/// few extra pixels is cheaper for the compositor than many small uploads, and the set stays
/// small.
pub(crate) const MAX_RECTS: usize = 16;

/// The rectangles of a zone framebuffer that changed since the consumer last took them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DamageSet {
    rects: MergedRects<MAX_RECTS>,
}

impl DamageSet {
    pub(crate) fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rects.len()
    }

    /// Forgets everything (the framebuffer was replaced).
    pub(crate) fn clear(&mut self) {
        self.rects.clear();
    }

    /// Adds `rect`, clamped to the `width` x `height` framebuffer.
    pub(crate) fn add(&mut self, rect: Rect, width: u16, height: u16) {
        if let Some(clamped) = rect.clip_to(u32::from(width), u32::from(height)) {
            self.rects.add(clamped);
        }
    }

    /// Hands out everything pending and leaves the set empty.
    pub(crate) fn take(&mut self) -> Vec<Rect> {
        self.rects.take()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn r(x: i32, y: i32, w: u32, h: u32) -> Rect {
        Rect::new(x, y, w, h)
    }

    #[test]
    fn disjoint_rects_stay_apart_and_touching_ones_merge() {
        let mut d = DamageSet::default();
        d.add(r(0, 0, 10, 10), 640, 480);
        d.add(r(100, 100, 10, 10), 640, 480);
        d.add(r(10, 0, 5, 5), 640, 480); // touches the first one's right edge
        let mut rects = d.take();
        rects.sort_by_key(|r| (r.x, r.y));
        assert_eq!(rects, vec![r(0, 0, 15, 10), r(100, 100, 10, 10)]);
        assert!(d.is_empty());
    }

    #[test]
    fn rects_are_clamped_and_empty_ones_dropped() {
        let mut d = DamageSet::default();
        d.add(r(630, 470, 100, 100), 640, 480);
        d.add(r(700, 0, 10, 10), 640, 480);
        d.add(r(0, 0, 0, 10), 640, 480);
        assert_eq!(d.take(), vec![r(630, 470, 10, 10)]);
    }

    #[test]
    fn many_rects_stay_few_and_cover_everything() {
        let mut d = DamageSet::default();
        let added: Vec<Rect> = (0..1000i32)
            .map(|i| r((i % 40) * 16, (i / 40) * 16, 4, 4))
            .collect();
        for rect in &added {
            d.add(*rect, 640, 480);
            assert!(d.len() <= MAX_RECTS);
        }
        let rects = d.take();
        for rect in &added {
            assert!(rects.iter().any(|r| r.contains(rect)), "{rect:?} lost");
        }
    }
}
