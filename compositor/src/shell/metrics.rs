//! The sizes of a window's decorations: what turns a content rectangle into a frame.

use guid_protocol::Rect;

/// Sizes of the decorations around a normal window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metrics {
    /// Border on the left, right and bottom, and above the title bar.
    pub border: u32,
    /// Title bar height, between the top border and the content.
    pub title: u32,
}

impl Metrics {
    /// Height of the whole bar above the content (top border and title).
    pub fn bar_height(&self) -> u32 {
        self.border + self.title
    }

    /// The decorated frame around a content rectangle.
    pub fn frame(&self, content: Rect) -> Rect {
        Rect::new(
            content.x - self.border as i32,
            content.y - self.bar_height() as i32,
            content.width + 2 * self.border,
            content.height + self.bar_height() + self.border,
        )
    }

    /// The content inside a decorated frame.
    pub fn content(&self, frame: Rect) -> Rect {
        Rect::new(
            frame.x + self.border as i32,
            frame.y + self.bar_height() as i32,
            frame.width.saturating_sub(2 * self.border).max(1),
            frame
                .height
                .saturating_sub(self.bar_height() + self.border)
                .max(1),
        )
    }
}
