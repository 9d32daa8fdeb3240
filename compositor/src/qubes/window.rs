//! One qube window as the compositor keeps it: the sanitized facts its agent told us, its image
//! in the grant pool, and what of that image still has to reach the screen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use guid_protocol::sanitize::{CursorShape, SizeHints, Title, WindowClass};
use guid_protocol::{WindowId, WindowImage};

use crate::render::decorations::Decorations;
use crate::render::upload_plan::PendingUpload;

/// A window of a qube: which qube (its index in the configuration) and the agent's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowKey {
    pub qube: usize,
    pub window: WindowId,
}

#[derive(Debug)]
pub struct QubeWindow {
    pub title: Title,
    pub class: WindowClass,
    pub hints: SizeHints,
    pub cursor: CursorShape,
    pub override_redirect: bool,
    pub demands_attention: bool,
    /// The agent asked for FULLSCREEN and the window was maximized instead.
    pub fullscreen_requested: bool,
    /// The WINDOW_FLAGS the agent was last told (see [`super::flags`]).
    pub flags_told: u32,
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
            fullscreen_requested: false,
            flags_told: 0,
            image: None,
            upload: PendingUpload::default(),
            decorations: Decorations::default(),
            target: QubeTarget::new(key),
        }
    }

    /// A new image (dump): one of a new size is uploaded whole; one of the same size replaces
    /// the old, and the damage the agent sends says what changed (see `render::upload_plan`).
    pub fn set_image(&mut self, image: WindowImage) {
        let same_size = (self.image.as_ref())
            .is_some_and(|old| (old.width, old.height) == (image.width, image.height));
        self.image = Some(image);
        if same_size {
            self.upload.replaced = true;
        } else {
            self.upload = PendingUpload {
                whole: true,
                ..PendingUpload::default()
            };
        }
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
