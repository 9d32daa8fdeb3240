//! One qube window as the compositor keeps it: the sanitized facts its agent told us, its image
//! in the grant pool, and what of that image still has to reach the screen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use guid_protocol::sanitize::{CursorShape, SizeHints, Title, WindowClass};
use guid_protocol::{Rect, WindowId, WindowImage};

use crate::render::decorations::Decorations;

/// A window of a qube: which qube (its index in the configuration) and the agent's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowKey {
    pub qube: usize,
    pub window: WindowId,
}

/// Damage rectangles kept per window before they are merged into one: enough for a few moving
/// things, bounded however much an agent sends between two frames.
const MAX_DAMAGE_RECTS: usize = 16;

/// Image work waiting for the next frame.
#[derive(Debug, Default)]
pub struct PendingUpload {
    /// A new image arrived: upload all of it.
    pub whole: bool,
    /// Rectangles of the current image that changed.
    pub damage: Vec<Rect>,
}

impl PendingUpload {
    pub fn add_damage(&mut self, rect: Rect) {
        if self.whole {
            return;
        }
        if self.damage.len() >= MAX_DAMAGE_RECTS {
            let merged = self.damage.iter().fold(rect, |all, r| all.union(r));
            self.damage.clear();
            self.damage.push(merged);
        } else {
            self.damage.push(rect);
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.whole && self.damage.is_empty()
    }
}

#[derive(Debug)]
pub struct QubeWindow {
    pub title: Title,
    pub class: WindowClass,
    pub hints: SizeHints,
    pub cursor: CursorShape,
    pub override_redirect: bool,
    pub demands_attention: bool,
    pub image: Option<WindowImage>,
    pub upload: PendingUpload,
    pub decorations: Decorations,
    pub target: QubeTarget,
}

impl QubeWindow {
    pub fn new(key: WindowKey, override_redirect: bool) -> Self {
        QubeWindow {
            title: Title::default(),
            class: WindowClass::default(),
            hints: SizeHints::default(),
            cursor: CursorShape::Default,
            override_redirect,
            demands_attention: false,
            image: None,
            upload: PendingUpload::default(),
            decorations: Decorations::default(),
            target: QubeTarget::new(key),
        }
    }

    pub fn set_image(&mut self, image: WindowImage) {
        self.image = Some(image);
        self.upload = PendingUpload {
            whole: true,
            damage: Vec::new(),
        };
    }
}

impl Drop for QubeWindow {
    fn drop(&mut self) {
        self.target.alive.store(false, Ordering::Release);
    }
}

/// A qube window as a keyboard and pointer focus target of the seat. Identity is the key;
/// `alive` turns false when the window goes, so the seat drops a stale focus by itself.
#[derive(Clone, Debug)]
pub struct QubeTarget {
    pub key: WindowKey,
    alive: Arc<AtomicBool>,
}

impl QubeTarget {
    fn new(key: WindowKey) -> Self {
        QubeTarget {
            key,
            alive: Arc::new(AtomicBool::new(true)),
        }
    }

    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }
}

impl PartialEq for QubeTarget {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && Arc::ptr_eq(&self.alive, &other.alive)
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

    #[test]
    fn a_dropped_window_is_no_longer_a_live_target() {
        let key = WindowKey {
            qube: 0,
            window: WindowId::new(1).unwrap(),
        };
        let window = QubeWindow::new(key, false);
        let target = window.target.clone();
        assert!(target.alive());
        drop(window);
        assert!(!target.alive());
    }
}
