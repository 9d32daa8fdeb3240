//! The damage waiting to be sent: one merged set, never a queue, so a slow client costs memory
//! bounded by [`MAX_RECTS`] whatever the compositor's frame rate.

use crate::frame::Rect;
use airgui_damage::MergedRects;

/// Beyond this many separate rectangles the set collapses into their bounding box: encoding a few
/// extra pixels is cheaper than many small updates, and the set stays small.
pub(crate) const MAX_RECTS: usize = 32;

/// The rectangles that changed since the client last got an update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PendingDamage {
    rects: MergedRects<MAX_RECTS>,
    full: bool,
}

/// What [`PendingDamage::take`] hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Damage {
    /// The whole output (a new client, a new size, or too much changed to track).
    Full,
    Rects(Vec<Rect>),
}

impl PendingDamage {
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        !self.full && self.rects.is_empty()
    }

    /// Everything must be sent again.
    pub(crate) fn mark_full(&mut self) {
        self.full = true;
        self.rects.clear();
    }

    /// Adds `rect` (already clamped to the output). Rectangles that overlap or touch are merged
    /// into their bounding box, so no pixel is encoded twice and the list stays short.
    pub(crate) fn add(&mut self, rect: Rect, width: u16, height: u16) {
        if self.full || rect.is_empty() {
            return;
        }
        self.rects.add(rect);
        if self
            .rects
            .iter()
            .any(|r| r.contains(&Rect::new(0, 0, u32::from(width), u32::from(height))))
        {
            self.mark_full();
        }
    }

    /// Hands out everything pending and leaves the set empty.
    pub(crate) fn take(&mut self) -> Option<Damage> {
        if std::mem::take(&mut self.full) {
            self.rects.clear();
            return Some(Damage::Full);
        }
        if self.rects.is_empty() {
            return None;
        }
        Some(Damage::Rects(self.rects.take()))
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
    fn disjoint_rects_are_kept_apart() {
        let mut d = PendingDamage::default();
        d.add(r(0, 0, 10, 10), 640, 480);
        d.add(r(100, 100, 10, 10), 640, 480);
        assert_eq!(
            d.take(),
            Some(Damage::Rects(vec![r(0, 0, 10, 10), r(100, 100, 10, 10)]))
        );
        assert_eq!(d.take(), None);
        assert!(d.is_empty());
    }

    #[test]
    fn overlapping_and_touching_rects_merge() {
        let mut d = PendingDamage::default();
        d.add(r(0, 0, 10, 10), 640, 480);
        d.add(r(5, 5, 10, 10), 640, 480);
        d.add(r(15, 0, 5, 5), 640, 480); // touches the merged box's right edge
        assert_eq!(d.take(), Some(Damage::Rects(vec![r(0, 0, 20, 15)])));
    }

    #[test]
    fn a_merge_can_chain() {
        let mut d = PendingDamage::default();
        d.add(r(0, 0, 4, 4), 640, 480);
        d.add(r(20, 0, 4, 4), 640, 480);
        // Bridges both.
        d.add(r(3, 0, 18, 2), 640, 480);
        assert_eq!(d.take(), Some(Damage::Rects(vec![r(0, 0, 24, 4)])));
    }

    #[test]
    fn the_same_rect_many_times_stays_one() {
        let mut d = PendingDamage::default();
        for _ in 0..10_000 {
            d.add(r(8, 8, 16, 16), 640, 480);
        }
        assert_eq!(d.take(), Some(Damage::Rects(vec![r(8, 8, 16, 16)])));
    }

    #[test]
    fn bounded_by_a_bounding_box() {
        let mut d = PendingDamage::default();
        // A grid of disjoint 2x2 rects, far more than MAX_RECTS.
        for i in 0..200i32 {
            let x = (i % 20) * 10;
            let y = (i / 20) * 10;
            d.add(r(x, y, 2, 2), 640, 480);
            assert!(d.rects.len() <= MAX_RECTS);
        }
        let Some(Damage::Rects(rects)) = d.take() else {
            panic!("expected rects");
        };
        assert!(rects.len() <= MAX_RECTS);
        // Every added rect is still covered.
        for i in 0..200i32 {
            let added = r((i % 20) * 10, (i / 20) * 10, 2, 2);
            assert!(rects.iter().any(|b| b.contains(&added)), "{added:?} lost");
        }
    }

    #[test]
    fn covering_the_output_becomes_full() {
        let mut d = PendingDamage::default();
        d.add(r(0, 0, 320, 480), 640, 480);
        d.add(r(320, 0, 320, 480), 640, 480);
        assert_eq!(d.take(), Some(Damage::Full));
    }

    #[test]
    fn full_absorbs_later_rects() {
        let mut d = PendingDamage::default();
        d.mark_full();
        d.add(r(1, 1, 1, 1), 640, 480);
        assert_eq!(d.take(), Some(Damage::Full));
        assert_eq!(d.take(), None);
    }

    #[test]
    fn empty_rects_are_ignored() {
        let mut d = PendingDamage::default();
        d.add(r(5, 5, 0, 10), 640, 480);
        assert!(d.is_empty());
    }
}
