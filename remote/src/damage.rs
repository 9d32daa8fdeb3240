//! A set of damaged rectangles that merges rather than queues: rectangles that overlap or touch
//! become their bounding box, and past `MAX` separate ones the whole set collapses into one. A
//! consumer slower than its producer (a client slower than the compositor, a compositor slower
//! than a zone link) thus costs bounded memory and never sees a pixel twice.

use crate::frame::DamageRect;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MergedRects<const MAX: usize> {
    rects: Vec<DamageRect>,
}

impl<const MAX: usize> MergedRects<MAX> {
    pub(crate) fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rects.len()
    }

    pub(crate) fn clear(&mut self) {
        self.rects.clear();
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &DamageRect> {
        self.rects.iter()
    }

    /// Adds a (non-empty) rectangle, merging it with every rectangle it overlaps or touches.
    pub(crate) fn add(&mut self, rect: DamageRect) {
        if rect.is_empty() {
            return;
        }
        let mut merged = rect;
        while let Some(index) = self.rects.iter().position(|r| r.touches(&merged)) {
            let other = self.rects.swap_remove(index);
            merged = merged.union(&other);
        }
        self.rects.push(merged);
        if self.rects.len() > MAX {
            let bounds = self.rects.iter().fold(merged, |acc, r| acc.union(r));
            self.rects.clear();
            self.rects.push(bounds);
        }
    }

    /// Hands out everything and leaves the set empty.
    pub(crate) fn take(&mut self) -> Vec<DamageRect> {
        std::mem::take(&mut self.rects)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn merging_chains_and_the_set_stays_bounded() {
        let mut set = MergedRects::<4>::default();
        set.add(DamageRect::new(0, 0, 4, 4));
        set.add(DamageRect::new(8, 0, 4, 4));
        set.add(DamageRect::new(4, 0, 4, 4)); // touches both: all three become one
        assert_eq!(set.take(), vec![DamageRect::new(0, 0, 12, 4)]);
        for i in 0..10 {
            set.add(DamageRect::new(i * 10, i * 10, 2, 2));
        }
        assert!(set.len() <= 4, "collapsed past the bound");
        let rects = set.take();
        let covered = rects.iter().fold(rects[0], |all, r| all.union(r));
        assert_eq!(covered, DamageRect::new(0, 0, 92, 92), "nothing lost");
        set.add(DamageRect::new(1, 1, 0, 5));
        assert!(set.is_empty(), "empty rectangles are not damage");
    }
}
