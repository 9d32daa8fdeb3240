//! A rectangle of pixels and the arithmetic on it. Fields hold whatever a sanitizer let through,
//! so every edge is computed in `i64` (where `x + width` always fits) and every result saturates
//! back into the fields' types: no input overflows or panics.

/// A rectangle: `x` and `y` may be negative (a window partly off the output), `width` and
/// `height` are in pixels. One with no width or no height is empty and holds no pixel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, width: u32, height: u32) -> Self {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// The exclusive right edge, in `i64` so that `x + width` cannot overflow.
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    /// The exclusive bottom edge, in `i64` so that `y + height` cannot overflow.
    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    /// The smallest rectangle holding both (an empty one holds nothing). A bounding box wider or
    /// taller than `u32::MAX` (from rectangles at opposite ends of `i32`) is cut there; it still
    /// reaches `i32::MAX`, so only pixels that no image has are lost.
    pub fn union(&self, other: &Rect) -> Rect {
        if self.is_empty() {
            return *other;
        }
        if other.is_empty() {
            return *self;
        }
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let width = self.right().max(other.right()) - i64::from(x);
        let height = self.bottom().max(other.bottom()) - i64::from(y);
        Rect::new(x, y, saturate(width), saturate(height))
    }

    /// The pixels in both, or `None` when they share none.
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let width = self.right().min(other.right()) - i64::from(x);
        let height = self.bottom().min(other.bottom()) - i64::from(y);
        // Each is at most one side's width or height, so it fits.
        let rect = Rect::new(
            x,
            y,
            u32::try_from(width).ok()?,
            u32::try_from(height).ok()?,
        );
        (!rect.is_empty()).then_some(rect)
    }

    /// The part inside an image (or output) of `width` x `height` at the origin, or `None` when
    /// nothing of it is inside.
    pub fn clip_to(&self, width: u32, height: u32) -> Option<Rect> {
        self.intersect(&Rect::new(0, 0, width, height))
    }

    /// True when the two overlap or share an edge, so that their bounding box adds no pixel
    /// along the shared edge that is in neither of them.
    pub fn touches(&self, other: &Rect) -> bool {
        i64::from(self.x) <= other.right()
            && i64::from(other.x) <= self.right()
            && i64::from(self.y) <= other.bottom()
            && i64::from(other.y) <= self.bottom()
    }

    /// True when the pixel at (`x`, `y`) is inside.
    pub fn contains_point(&self, x: i32, y: i32) -> bool {
        self.x <= x && self.y <= y && i64::from(x) < self.right() && i64::from(y) < self.bottom()
    }

    pub fn contains(&self, other: &Rect) -> bool {
        self.x <= other.x
            && self.y <= other.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }

    /// `[x, y, width, height]` as indices into a pixel buffer, or `None` when the rectangle
    /// starts left of or above the origin (clip it first).
    pub fn to_usize(&self) -> Option<[usize; 4]> {
        Some([
            usize::try_from(self.x).ok()?,
            usize::try_from(self.y).ok()?,
            usize::try_from(self.width).ok()?,
            usize::try_from(self.height).ok()?,
        ])
    }
}

/// A non-negative extent as a side length, cut at `u32::MAX`.
fn saturate(extent: i64) -> u32 {
    u32::try_from(extent.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUGE: Rect = Rect::new(i32::MAX, i32::MAX, u32::MAX, u32::MAX);
    const LOW: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

    #[test]
    fn union_is_the_bounding_box_and_ignores_empty_rects() {
        let a = Rect::new(0, 0, 10, 10);
        let b = Rect::new(20, -5, 5, 5);
        assert_eq!(a.union(&b), Rect::new(0, -5, 25, 15));
        assert_eq!(a.union(&Rect::new(100, 100, 0, 7)), a);
        assert_eq!(Rect::default().union(&b), b);
    }

    #[test]
    fn intersect_and_clip_keep_only_shared_pixels() {
        let output = Rect::new(0, 0, 100, 50);
        assert_eq!(
            Rect::new(90, 40, 20, 20).intersect(&output),
            Some(Rect::new(90, 40, 10, 10))
        );
        assert_eq!(Rect::new(100, 0, 5, 5).intersect(&output), None);
        assert_eq!(Rect::new(-5, -5, 5, 5).intersect(&output), None);
        assert_eq!(
            Rect::new(-5, -5, 10, 10).clip_to(640, 480),
            Some(Rect::new(0, 0, 5, 5))
        );
        assert_eq!(
            Rect::new(630, 470, 100, 100).clip_to(640, 480),
            Some(Rect::new(630, 470, 10, 10))
        );
        assert_eq!(Rect::new(700, 0, 10, 10).clip_to(640, 480), None);
        assert_eq!(Rect::new(5, 5, 0, 10).clip_to(640, 480), None);
        assert_eq!(Rect::new(0, 0, 10, 10).clip_to(0, 0), None);
    }

    #[test]
    fn touching_means_overlapping_or_sharing_an_edge() {
        let a = Rect::new(0, 0, 10, 10);
        assert!(a.touches(&Rect::new(10, 0, 5, 5)));
        assert!(a.touches(&Rect::new(5, 5, 10, 10)));
        assert!(!a.touches(&Rect::new(11, 0, 5, 5)));
        assert!(!a.touches(&Rect::new(0, 11, 5, 5)));
        assert!(a.contains(&Rect::new(2, 2, 8, 8)));
        assert!(a.contains_point(0, 0) && a.contains_point(9, 9));
        assert!(!a.contains_point(10, 9) && !a.contains_point(-1, 0));
        assert!(HUGE.contains_point(i32::MAX, i32::MAX));
        assert!(!a.contains(&Rect::new(2, 2, 9, 8)));
    }

    #[test]
    fn rects_at_the_extremes_neither_overflow_nor_panic() {
        assert_eq!(HUGE.right(), i64::from(i32::MAX) + i64::from(u32::MAX));
        assert_eq!(HUGE.area(), u64::from(u32::MAX) * u64::from(u32::MAX));
        // The box from i32::MIN to i32::MAX + u32::MAX is wider than u32: cut at u32::MAX.
        assert_eq!(LOW.union(&HUGE), LOW);
        assert_eq!(HUGE.union(&LOW), LOW);
        assert_eq!(HUGE.union(&HUGE), HUGE);
        assert_eq!(HUGE.intersect(&LOW), None);
        assert_eq!(HUGE.intersect(&HUGE), Some(HUGE));
        assert_eq!(
            LOW.intersect(&Rect::new(0, 0, u32::MAX, u32::MAX)),
            Some(Rect::new(0, 0, i32::MAX as u32, i32::MAX as u32))
        );
        assert_eq!(
            HUGE.clip_to(u32::MAX, u32::MAX),
            Some(Rect::new(
                i32::MAX,
                i32::MAX,
                u32::MAX - i32::MAX as u32,
                u32::MAX - i32::MAX as u32,
            ))
        );
        assert_eq!(
            LOW.clip_to(u32::MAX, u32::MAX),
            Some(Rect::new(0, 0, i32::MAX as u32, i32::MAX as u32,))
        );
        assert_eq!(LOW.clip_to(640, 480), Some(Rect::new(0, 0, 640, 480)));
        assert!(HUGE.touches(&LOW), "they share the edge at i32::MAX");
        assert!(!HUGE.touches(&Rect::new(0, 0, 1, 1)));
        assert!(!LOW.contains(&HUGE) && HUGE.contains(&HUGE));
        assert_eq!(LOW.to_usize(), None);
        assert_eq!(
            HUGE.to_usize(),
            Some([
                i32::MAX as usize,
                i32::MAX as usize,
                u32::MAX as usize,
                u32::MAX as usize
            ])
        );
    }
}
