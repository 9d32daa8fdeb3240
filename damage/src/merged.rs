//! A set of damaged rectangles that merges rather than queues: rectangles that overlap or touch
//! become their bounding box, and past `MAX` separate ones the whole set collapses into one. A
//! consumer slower than its producer (a client slower than the compositor, a compositor slower
//! than an agent or a zone link) thus costs bounded memory and never sees a pixel twice.

use crate::Rect;

/// At most `MAX` rectangles (at least one), none overlapping or touching another, covering every
/// pixel added since the set was last taken or cleared. Each user picks its bound: how many
/// separate updates are cheaper than the extra pixels of one bounding box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergedRects<const MAX: usize> {
    rects: Vec<Rect>,
}

impl<const MAX: usize> MergedRects<MAX> {
    pub fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rects.len()
    }

    pub fn clear(&mut self) {
        self.rects.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rect> {
        self.rects.iter()
    }

    /// Adds `rect`, merging it with every rectangle it overlaps or touches; an empty one is not
    /// damage and is dropped.
    pub fn add(&mut self, rect: Rect) {
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
    pub fn take(&mut self) -> Vec<Rect> {
        std::mem::take(&mut self.rects)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn r(x: i32, y: i32, w: u32, h: u32) -> Rect {
        Rect::new(x, y, w, h)
    }

    #[test]
    fn merging_chains_and_the_set_stays_bounded() {
        let mut set = MergedRects::<4>::default();
        set.add(r(0, 0, 4, 4));
        set.add(r(8, 0, 4, 4));
        set.add(r(4, 0, 4, 4)); // touches both: all three become one
        assert_eq!(set.take(), vec![r(0, 0, 12, 4)]);
        for i in 0..10 {
            set.add(r(i * 10, i * 10, 2, 2));
        }
        assert!(set.len() <= 4, "collapsed past the bound");
        let rects = set.take();
        let covered = rects.iter().fold(rects[0], |all, r| all.union(r));
        assert_eq!(covered, r(0, 0, 92, 92), "nothing lost");
        set.add(r(1, 1, 0, 5));
        assert!(set.is_empty(), "empty rectangles are not damage");
    }

    #[test]
    fn disjoint_rects_stay_apart_and_touching_ones_merge() {
        let mut set = MergedRects::<16>::default();
        set.add(r(0, 0, 10, 10));
        set.add(r(100, 100, 10, 10));
        set.add(r(10, 0, 5, 5)); // touches the first one's right edge
        let mut rects = set.take();
        rects.sort_by_key(|r| (r.x, r.y));
        assert_eq!(rects, vec![r(0, 0, 15, 10), r(100, 100, 10, 10)]);
        assert!(set.is_empty());
    }

    #[test]
    fn many_rects_stay_few_and_cover_everything() {
        let mut set = MergedRects::<16>::default();
        let added: Vec<Rect> = (0..1000)
            .map(|i| r((i % 40) * 16, (i / 40) * 16, 4, 4))
            .collect();
        for rect in &added {
            set.add(*rect);
            assert!(set.len() <= 16);
        }
        let rects = set.take();
        for rect in &added {
            assert!(rects.iter().any(|r| r.contains(rect)), "{rect:?} lost");
        }
    }

    /// Rectangles a hostile peer may send (after sanitizing, still anywhere in `i32`) merge
    /// without overflow and stay within the bound.
    #[test]
    fn rects_at_the_extremes_merge_without_overflow() {
        let mut set = MergedRects::<2>::default();
        set.add(r(i32::MAX, i32::MAX, u32::MAX, u32::MAX));
        set.add(r(i32::MIN, i32::MIN, u32::MAX, u32::MAX));
        set.add(r(i32::MIN, i32::MAX, u32::MAX, 1));
        set.add(r(0, 0, 1, 1));
        set.add(r(i32::MAX, i32::MIN, 1, u32::MAX));
        assert!(set.len() <= 2);
        let rects = set.take();
        assert!(rects.iter().all(|r| !r.is_empty()));
        assert!(rects.contains(&r(i32::MIN, i32::MIN, u32::MAX, u32::MAX)));
    }
}
