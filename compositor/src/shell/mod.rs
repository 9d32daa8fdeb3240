//! The window manager as pure logic: stacking, focus, placement and what lies under a point.
//! It knows rectangles and keys, nothing of Wayland, qubes or rendering, so it is tested alone.

mod metrics;
mod placement;
#[cfg(test)]
mod tests;

pub use metrics::Metrics;

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use guid_protocol::msg::{MAX_WINDOW_HEIGHT, MAX_WINDOW_WIDTH};
use guid_protocol::Rect;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    /// Decorated with a title bar and borders; can take focus.
    Normal,
    /// A menu or tooltip: a thin frame over its edges, kept inside the output, never focused.
    OverrideRedirect,
    /// A whole zone shown in a master's desktop: like a normal window, with the zone frame's
    /// thicker metrics.
    Zone,
}

impl WindowKind {
    /// Whether the window has a title bar and borders, and can hold focus.
    pub fn is_framed(self) -> bool {
        matches!(self, WindowKind::Normal | WindowKind::Zone)
    }
}

/// How a window is sized beyond what its agent asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizing {
    Normal,
    /// Fills the output with its decorations; `restore` is the content before.
    Maximized {
        restore: Rect,
    },
    /// Its content fills the output (only for qubes allowed fullscreen).
    Fullscreen {
        restore: Rect,
    },
}

/// Which borders a resize drag moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Edges {
    pub left: bool,
    pub right: bool,
    pub top: bool,
    pub bottom: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShellWindow<K> {
    /// The content (what the agent draws) in output coordinates.
    pub content: Rect,
    pub kind: WindowKind,
    pub mapped: bool,
    pub minimized: bool,
    pub sizing: Sizing,
    /// The window this one is a dialog of: placed over it, raised with it.
    pub transient_for: Option<K>,
    /// The content sizes a resize drag keeps to (the agent's size hints).
    pub size_limits: SizeLimits,
}

/// The smallest and largest content a window wants, as its agent's hints say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeLimits {
    pub min: Option<(u32, u32)>,
    pub max: Option<(u32, u32)>,
}

impl SizeLimits {
    /// The (min, max) content sizes a resize drag keeps to: the hints within [`MIN_CONTENT`]
    /// and the protocol's largest window; where they cannot both hold, the maximum wins.
    fn bounds(&self) -> ((u32, u32), (u32, u32)) {
        let (min_w, min_h) = self.min.unwrap_or(MIN_CONTENT);
        let (max_w, max_h) = self.max.unwrap_or((MAX_WINDOW_WIDTH, MAX_WINDOW_HEIGHT));
        let max = (
            max_w.clamp(1, MAX_WINDOW_WIDTH),
            max_h.clamp(1, MAX_WINDOW_HEIGHT),
        );
        let min = (
            min_w.max(MIN_CONTENT.0).min(max.0),
            min_h.max(MIN_CONTENT.1).min(max.1),
        );
        (min, max)
    }
}

impl<K> ShellWindow<K> {
    pub fn visible(&self) -> bool {
        self.mapped && !self.minimized
    }
}

/// What part of a window lies under a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// The content, at this position relative to its top-left corner.
    Content {
        x: i32,
        y: i32,
    },
    TitleBar,
    CloseButton,
    /// The border, where dragging resizes these edges.
    Border(Edges),
}

/// Distance from a corner within which a border drag resizes both edges at the corner.
const CORNER: i32 = 24;
/// The smallest content a resize drag leaves.
pub const MIN_CONTENT: (u32, u32) = (64, 32);

#[derive(Debug)]
pub struct Shell<K> {
    metrics: Metrics,
    zone_metrics: Metrics,
    output: (u32, u32),
    windows: HashMap<K, ShellWindow<K>>,
    /// Bottom to top.
    stack: Vec<K>,
    focus: Option<K>,
    cascade: placement::Cascade,
}

impl<K: Copy + Eq + Hash> Shell<K> {
    /// A shell decorating windows with `metrics` and zone frames with `zone_metrics`.
    pub fn new(output: (u32, u32), metrics: Metrics, zone_metrics: Metrics) -> Self {
        Shell {
            metrics,
            zone_metrics,
            output,
            windows: HashMap::new(),
            stack: Vec::new(),
            focus: None,
            cascade: placement::Cascade::default(),
        }
    }

    /// The decoration sizes of a kind of window (override-redirect ones have none).
    pub fn metrics_of(&self, kind: WindowKind) -> Metrics {
        match kind {
            WindowKind::Zone => self.zone_metrics,
            WindowKind::Normal | WindowKind::OverrideRedirect => self.metrics,
        }
    }

    pub fn output(&self) -> (u32, u32) {
        self.output
    }

    /// The output changed size: maximized and fullscreen windows fill it again, others come
    /// back inside as far as needed. Returns the windows that moved, with their new content.
    pub fn set_output_size(&mut self, output: (u32, u32)) -> Vec<(K, Rect)> {
        self.output = output;
        let mut moved = Vec::new();
        for (key, window) in &mut self.windows {
            let metrics = match window.kind {
                WindowKind::Zone => self.zone_metrics,
                _ => self.metrics,
            };
            let content = match (window.kind, window.sizing) {
                (_, Sizing::Maximized { .. }) => {
                    metrics.content(Rect::new(0, 0, output.0, output.1))
                }
                (_, Sizing::Fullscreen { .. }) => Rect::new(0, 0, output.0, output.1),
                (WindowKind::OverrideRedirect, Sizing::Normal) => {
                    placement::inside(window.content, output)
                }
                (WindowKind::Normal | WindowKind::Zone, Sizing::Normal) => {
                    let frame =
                        placement::keep_grabbable(metrics.frame(window.content), metrics, output);
                    metrics.content(frame)
                }
            };
            let content = placement::representable(content);
            if content != window.content {
                window.content = content;
                moved.push((*key, content));
            }
        }
        moved
    }

    pub fn window(&self, key: K) -> Option<&ShellWindow<K>> {
        self.windows.get(&key)
    }

    /// A new window, not yet shown.
    pub fn add(&mut self, key: K, content: Rect, kind: WindowKind) {
        self.windows.insert(
            key,
            ShellWindow {
                content: placement::representable(content),
                kind,
                mapped: false,
                minimized: false,
                sizing: Sizing::Normal,
                transient_for: None,
                size_limits: SizeLimits::default(),
            },
        );
        self.stack.retain(|k| *k != key);
        self.stack.push(key);
    }

    pub fn remove(&mut self, key: K) {
        self.windows.remove(&key);
        self.stack.retain(|k| *k != key);
        self.drop_focus_of(key);
    }

    /// Shows a window on top, placed: where its agent asked when its frame fits on the output,
    /// else cascaded; an override-redirect window is kept inside the output, a zone frame's title
    /// bar on it. Focus is not given. Returns the content rectangle if placement moved it (the
    /// agent must be told).
    pub fn map(&mut self, key: K, kind: WindowKind) -> Option<Rect> {
        let (metrics, output) = (self.metrics_of(kind), self.output);
        let parent_frame = (self.windows.get(&key)?.transient_for)
            .and_then(|parent| self.windows.get(&parent))
            .filter(|parent| parent.visible())
            .map(|parent| self.frame_of(parent));
        let window = self.windows.get_mut(&key)?;
        window.kind = kind;
        window.mapped = true;
        window.minimized = false;
        let placed = match (kind, parent_frame) {
            (WindowKind::Normal, Some(parent)) => {
                placement::centred_on(window.content, parent, metrics, output)
            }
            (WindowKind::Normal, None) => self.cascade.place(window.content, metrics, output),
            (WindowKind::OverrideRedirect, _) => placement::inside(window.content, output),
            (WindowKind::Zone, _) => metrics.content(placement::keep_grabbable(
                metrics.frame(window.content),
                metrics,
                output,
            )),
        };
        let placed = placement::representable(placed);
        let moved = (placed != window.content).then_some(placed);
        window.content = placed;
        self.raise(key);
        moved
    }

    pub fn unmap(&mut self, key: K) {
        if let Some(window) = self.windows.get_mut(&key) {
            window.mapped = false;
        }
        self.drop_focus_of(key);
    }

    /// The agent moved or resized the window. A shown window keeps its title bar reachable and
    /// an override-redirect one stays inside the output; returns the content rectangle if that
    /// moved it.
    pub fn configure(&mut self, key: K, content: Rect, kind: WindowKind) -> Option<Rect> {
        let (metrics, output) = (self.metrics_of(kind), self.output);
        let window = self.windows.get_mut(&key)?;
        window.kind = kind;
        let placed = match kind {
            _ if !window.mapped => content,
            // A maximized or fullscreen window keeps the daemon's geometry.
            _ if window.sizing != Sizing::Normal => window.content,
            WindowKind::OverrideRedirect => placement::inside(content, output),
            WindowKind::Normal | WindowKind::Zone => {
                let frame = placement::keep_grabbable(metrics.frame(content), metrics, output);
                metrics.content(frame)
            }
        };
        let placed = placement::representable(placed);
        window.content = placed;
        if kind == WindowKind::OverrideRedirect {
            self.drop_focus_of(key);
        }
        (placed != content).then_some(placed)
    }

    /// The window's outer rectangle: decorations included for normal windows.
    pub fn frame(&self, key: K) -> Option<Rect> {
        let window = self.windows.get(&key)?;
        Some(self.frame_of(window))
    }

    fn frame_of(&self, window: &ShellWindow<K>) -> Rect {
        match (window.kind, window.sizing) {
            (_, Sizing::Fullscreen { .. }) | (WindowKind::OverrideRedirect, _) => window.content,
            (kind, _) => self.metrics_of(kind).frame(window.content),
        }
    }

    /// Visible windows, topmost first.
    pub fn visible_top_to_bottom(&self) -> impl Iterator<Item = (K, &ShellWindow<K>)> + '_ {
        self.stack
            .iter()
            .rev()
            .filter_map(|key| self.windows.get(key).map(|window| (*key, window)))
            .filter(|(_, window)| window.visible())
    }

    /// Position of a window in the stacking order, 0 being the bottom.
    pub fn stacking_index(&self, key: K) -> Option<usize> {
        self.stack.iter().position(|k| *k == key)
    }

    /// The topmost visible window under `(x, y)` and the part of it that is there.
    pub fn hit(&self, x: i32, y: i32) -> Option<(K, Hit)> {
        self.visible_top_to_bottom().find_map(|(key, window)| {
            let frame = self.frame_of(window);
            frame
                .contains_point(x, y)
                .then(|| (key, self.part(window, &frame, x, y)))
        })
    }

    fn part(&self, window: &ShellWindow<K>, frame: &Rect, x: i32, y: i32) -> Hit {
        let content = window.content;
        if content.contains_point(x, y) {
            return Hit::Content {
                x: x - content.x,
                y: y - content.y,
            };
        }
        let metrics = self.metrics_of(window.kind);
        let bar = metrics.bar_height() as i32;
        let (on_left, on_right) = (x < content.x, i64::from(x) >= content.right());
        let on_top = y < frame.y + metrics.border as i32;
        let on_bottom = i64::from(y) >= content.bottom();
        let (beside, across) = (on_left || on_right, on_top || on_bottom);
        if window.kind.is_framed() && y < frame.y + bar && !on_top {
            let close_from = frame.x + frame.width as i32 - bar;
            // A zone cannot be closed from the master: its whole bar moves it.
            return if x >= close_from && window.kind == WindowKind::Normal {
                Hit::CloseButton
            } else {
                Hit::TitleBar
            };
        }
        // Near a corner, a border drag moves both edges that meet there.
        Hit::Border(Edges {
            left: on_left || (across && x < frame.x.saturating_add(CORNER)),
            right: on_right || (across && i64::from(x) >= frame.right() - i64::from(CORNER)),
            top: on_top || (beside && y < frame.y.saturating_add(CORNER)),
            bottom: on_bottom || (beside && i64::from(y) >= frame.bottom() - i64::from(CORNER)),
        })
    }

    /// Brings a window to the top, and above it the windows transient for it (and for those),
    /// in their order: a dialog never disappears behind its parent.
    pub fn raise(&mut self, key: K) {
        if !self.stack.contains(&key) {
            return;
        }
        let mut children: HashMap<K, Vec<K>> = HashMap::new();
        for k in &self.stack {
            if let Some(parent) = self.windows.get(k).and_then(|w| w.transient_for) {
                children.entry(parent).or_default().push(*k);
            }
        }
        // Agents may make transients form a cycle: each window joins the group once.
        let mut group = HashSet::from([key]);
        let mut pending = vec![key];
        while let Some(parent) = pending.pop() {
            for child in children.get(&parent).into_iter().flatten() {
                if group.insert(*child) {
                    pending.push(*child);
                }
            }
        }
        let transients: Vec<K> = (self.stack.iter())
            .filter(|k| **k != key && group.contains(k))
            .copied()
            .collect();
        self.stack.retain(|k| !group.contains(k));
        self.stack.push(key);
        self.stack.extend(transients);
    }

    /// Puts a window directly beneath another in the stacking order (nothing happens if either
    /// is unknown).
    pub fn lower_beneath(&mut self, key: K, above: K) {
        if key == above || !self.stack.contains(&key) || !self.stack.contains(&above) {
            return;
        }
        self.stack.retain(|k| *k != key);
        if let Some(at) = self.stack.iter().position(|k| *k == above) {
            self.stack.insert(at, key);
        }
    }

    /// The window `key` is a dialog of (`None`: a window of its own).
    pub fn set_transient_for(&mut self, key: K, parent: Option<K>) {
        if let Some(window) = self.windows.get_mut(&key) {
            window.transient_for = parent.filter(|parent| *parent != key);
        }
    }

    /// The content sizes resize drags keep to.
    pub fn set_size_limits(&mut self, key: K, limits: SizeLimits) {
        if let Some(window) = self.windows.get_mut(&key) {
            window.size_limits = limits;
        }
    }

    pub fn focus(&self) -> Option<K> {
        self.focus
    }

    /// Gives focus to a visible normal window (and raises it), or takes it away. A window that
    /// cannot hold focus (a menu) leaves it where it is. Returns whether focus changed. Only user
    /// actions call this.
    pub fn set_focus(&mut self, key: Option<K>) -> bool {
        if let Some(key) = key {
            if !self.focusable(key) {
                return false;
            }
            if let Some(window) = self.windows.get_mut(&key) {
                window.minimized = false;
            }
            self.raise(key);
        }
        let changed = self.focus != key;
        self.focus = key;
        changed
    }

    fn focusable(&self, key: K) -> bool {
        self.windows
            .get(&key)
            .is_some_and(|w| w.mapped && w.kind.is_framed())
    }

    /// Alt+Tab: focuses the lowest focusable window, so that repeated presses visit them all.
    pub fn cycle_focus(&mut self) -> Option<K> {
        let next = (self.stack.iter().copied())
            .find(|key| Some(*key) != self.focus && self.focusable(*key))?;
        self.set_focus(Some(next));
        Some(next)
    }

    fn drop_focus_of(&mut self, key: K) {
        if self.focus == Some(key) {
            self.focus = None;
        }
    }

    /// Moves a window's frame by (dx, dy), keeping part of its title bar on the output so the
    /// user can always grab it again. Returns the new content rectangle.
    pub fn move_by(&mut self, key: K, dx: i32, dy: i32) -> Option<Rect> {
        let output = self.output;
        let metrics = self.metrics_of(self.windows.get(&key)?.kind);
        let window = self.windows.get_mut(&key)?;
        if window.sizing != Sizing::Normal {
            return None;
        }
        let frame = metrics.frame(window.content);
        let moved = placement::keep_grabbable(
            Rect::new(frame.x + dx, frame.y + dy, frame.width, frame.height),
            metrics,
            output,
        );
        window.content = placement::representable(metrics.content(moved));
        Some(window.content)
    }

    /// Moves the given edges of a window's frame by (dx, dy), leaving at least
    /// [`MIN_CONTENT`] and the title bar reachable. Returns the new content rectangle if it
    /// changed.
    pub fn resize_by(&mut self, key: K, edges: Edges, dx: i32, dy: i32) -> Option<Rect> {
        let output = self.output;
        let metrics = self.metrics_of(self.windows.get(&key)?.kind);
        let window = self.windows.get_mut(&key)?;
        if window.sizing != Sizing::Normal || !window.kind.is_framed() {
            return None;
        }
        let old = window.content;
        let (min, max) = window.size_limits.bounds();
        let (x, width) = resize_span(
            (old.x, old.width),
            dx,
            (edges.left, edges.right),
            (min.0, max.0),
        );
        let (y, height) = resize_span(
            (old.y, old.height),
            dy,
            (edges.top, edges.bottom),
            (min.1, max.1),
        );
        let frame = metrics.frame(Rect::new(x, y, width, height));
        let resized = placement::representable(
            metrics.content(placement::keep_grabbable(frame, metrics, output)),
        );
        window.content = resized;
        (resized != old).then_some(resized)
    }

    pub fn set_minimized(&mut self, key: K, minimized: bool) {
        if let Some(window) = self.windows.get_mut(&key) {
            window.minimized = minimized;
        }
        if minimized {
            self.drop_focus_of(key);
        }
    }

    /// Maximizes (or restores) a window; returns its new content rectangle if it changed.
    pub fn set_maximized(&mut self, key: K, on: bool) -> Option<Rect> {
        let full = self
            .metrics
            .content(Rect::new(0, 0, self.output.0, self.output.1));
        self.set_sizing(key, on, |restore| Sizing::Maximized { restore }, full)
    }

    /// Makes a window's content fill the output (or restores it).
    pub fn set_fullscreen(&mut self, key: K, on: bool) -> Option<Rect> {
        let full = Rect::new(0, 0, self.output.0, self.output.1);
        self.set_sizing(key, on, |restore| Sizing::Fullscreen { restore }, full)
    }

    fn set_sizing(
        &mut self,
        key: K,
        on: bool,
        sizing: impl FnOnce(Rect) -> Sizing,
        full: Rect,
    ) -> Option<Rect> {
        let window = self.windows.get_mut(&key)?;
        if window.kind != WindowKind::Normal {
            return None;
        }
        let restore = match window.sizing {
            Sizing::Normal => window.content,
            Sizing::Maximized { restore } | Sizing::Fullscreen { restore } => restore,
        };
        let (new_sizing, content) = if on {
            (sizing(restore), full)
        } else {
            (Sizing::Normal, restore)
        };
        window.sizing = new_sizing;
        let content = placement::representable(content);
        let changed = window.content != content;
        window.content = content;
        changed.then_some(content)
    }
}

/// One axis of a resize: moving the start edge (left or top) keeps the end in place.
fn resize_span(
    (pos, len): (i32, u32),
    delta: i32,
    (start, end): (bool, bool),
    (min, max): (u32, u32),
) -> (i32, u32) {
    let (pos, len) = (i64::from(pos), i64::from(len));
    let clamp = |len: i64| len.clamp(i64::from(min), i64::from(max));
    let (new_pos, new_len) = if start {
        let new_len = clamp(len - i64::from(delta));
        (pos + len - new_len, new_len)
    } else if end {
        (pos, clamp(len + i64::from(delta)))
    } else {
        (pos, len)
    };
    (new_pos as i32, new_len as u32)
}
