//! Where windows go: the agent's position when the decorated window fits, else a cascade.

use guid_protocol::Rect;

use super::metrics::Metrics;

/// Step between cascaded windows.
const CASCADE_STEP: i32 = 32;
/// Pixels of title bar that must stay on the output when a window is dragged.
const GRAB_MARGIN: i32 = 64;

/// The next cascade position.
#[derive(Debug, Default)]
pub(super) struct Cascade {
    next: i32,
}

impl Cascade {
    /// Keeps `content` where it is if its frame fits on the output, else cascades it.
    pub(super) fn place(&mut self, content: Rect, metrics: Metrics, output: (u32, u32)) -> Rect {
        let frame = metrics.frame(content);
        if fits(&frame, output) {
            return content;
        }
        let (out_w, out_h) = (output.0 as i32, output.1 as i32);
        let room_x = out_w - frame.width as i32;
        let room_y = out_h - frame.height as i32;
        if self.next > room_x.max(0) || self.next > room_y.max(0) {
            self.next = 0;
        }
        let x = self.next.min(room_x.max(0));
        let y = self.next.min(room_y.max(0));
        self.next += CASCADE_STEP;
        metrics.content(Rect::new(x, y, frame.width, frame.height))
    }
}

fn fits(frame: &Rect, output: (u32, u32)) -> bool {
    frame.x >= 0
        && frame.y >= 0
        && frame.right() <= i64::from(output.0)
        && frame.bottom() <= i64::from(output.1)
}

/// The nearest geometry a qube's agent can hold: the protocol's limits (16384x6144 at ±16384,
/// ±6144). The agent's answers are clamped to them, so a window placed beyond them would never
/// be confirmed and would be configured again and again.
pub(super) fn representable(rect: Rect) -> Rect {
    guid_protocol::sanitize::geometry(rect.x, rect.y, rect.width.max(1), rect.height.max(1))
        .unwrap_or(rect)
}

/// A dialog's content, its frame centred on its parent's frame and kept inside the output.
pub(super) fn centred_on(
    content: Rect,
    parent: Rect,
    metrics: Metrics,
    output: (u32, u32),
) -> Rect {
    let frame = metrics.frame(content);
    let centre = |start: i32, outer: u32, inner: u32| {
        (i64::from(start) + (i64::from(outer) - i64::from(inner)) / 2) as i32
    };
    let centred = Rect::new(
        centre(parent.x, parent.width, frame.width),
        centre(parent.y, parent.height, frame.height),
        frame.width,
        frame.height,
    );
    metrics.content(inside(centred, output))
}

/// Moves a rectangle fully inside the output (its top-left corner stays inside if it is larger).
pub(super) fn inside(rect: Rect, output: (u32, u32)) -> Rect {
    let clamp = |pos: i32, len: u32, room: u32| {
        let max = i64::from(room) - i64::from(len);
        i64::from(pos).clamp(0, max.max(0)) as i32
    };
    Rect::new(
        clamp(rect.x, rect.width, output.0),
        clamp(rect.y, rect.height, output.1),
        rect.width,
        rect.height,
    )
}

/// Keeps a dragged frame's title bar reachable: its top on the output, and at least
/// [`GRAB_MARGIN`] pixels of it horizontally.
pub(super) fn keep_grabbable(frame: Rect, metrics: Metrics, output: (u32, u32)) -> Rect {
    let (out_w, out_h) = (output.0 as i32, output.1 as i32);
    // The bounds always hold 0, so `clamp` cannot be given an empty range.
    let left = (GRAB_MARGIN - frame.width as i32).min(0);
    let right = (out_w - GRAB_MARGIN).max(0);
    let x = frame.x.clamp(left, right);
    let y = frame
        .y
        .clamp(0, (out_h - metrics.bar_height() as i32).max(0));
    Rect::new(x, y, frame.width, frame.height)
}
