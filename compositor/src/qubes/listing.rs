//! The stacking of windows an agent lists when it connects to a new daemon (airgui restarted).
//!
//! The Qubes agent (qubes-gui-agent-linux, `send_all_windows_info`) then walks its window list,
//! which grows at the front, so the windows come newest first; each is announced whole before
//! the next: CREATE, CONFIGURE, WINDOW_DUMP, WMCLASS, WINDOW_HINTS, MAP, WMNAME, WINDOW_FLAGS.
//! A window created in the ordinary way is mapped before it has an image. So a window mapped
//! right after its own announcement, its image already there, was listed; each listed window
//! goes beneath the one listed before it, and the agent's order is kept (raising each in turn
//! would reverse it).

use guid_protocol::{QubeEvent, WindowId};

/// Where a qube's agent is in listing its windows.
#[derive(Debug, Default)]
pub struct Listing {
    /// The window created last, while nothing about another window has come since.
    announcing: Option<WindowId>,
    /// The window listed last, while no window created in the ordinary way has been mapped.
    last_listed: Option<WindowId>,
}

impl Listing {
    /// Every event of the qube, before it is applied.
    pub fn note(&mut self, event: &QubeEvent) {
        match event {
            QubeEvent::Connected { .. } => *self = Listing::default(),
            QubeEvent::WindowCreated { window, .. } => self.announcing = Some(*window),
            event => {
                if window_of(event).is_some_and(|window| Some(window) != self.announcing) {
                    self.announcing = None;
                }
            }
        }
    }

    /// The agent maps `window`, which has an image or not. Returns the window it must go
    /// beneath if it was listed after another; `None`: on top, as any window mapped.
    pub fn mapped(&mut self, window: WindowId, has_image: bool) -> Option<WindowId> {
        let listed = has_image && self.announcing == Some(window);
        self.announcing = None;
        if listed {
            self.last_listed.replace(window)
        } else {
            self.last_listed = None;
            None
        }
    }
}

fn window_of(event: &QubeEvent) -> Option<WindowId> {
    match event {
        QubeEvent::Connected { .. } | QubeEvent::ClipboardData { .. } => None,
        QubeEvent::WindowCreated { window, .. }
        | QubeEvent::WindowDestroyed { window }
        | QubeEvent::WindowMapped { window, .. }
        | QubeEvent::WindowUnmapped { window }
        | QubeEvent::WindowConfigured { window, .. }
        | QubeEvent::Title { window, .. }
        | QubeEvent::Class { window, .. }
        | QubeEvent::Hints { window, .. }
        | QubeEvent::Flags { window, .. }
        | QubeEvent::Image { window, .. }
        | QubeEvent::Damage { window, .. }
        | QubeEvent::Cursor { window, .. } => Some(*window),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guid_protocol::Rect;

    fn id(n: u32) -> WindowId {
        WindowId::new(n).unwrap()
    }

    fn created(n: u32) -> QubeEvent {
        QubeEvent::WindowCreated {
            window: id(n),
            geometry: Rect::new(0, 0, 10, 10),
            override_redirect: false,
        }
    }

    fn damaged(n: u32) -> QubeEvent {
        QubeEvent::Damage {
            window: id(n),
            rect: Rect::new(0, 0, 1, 1),
        }
    }

    #[test]
    fn listed_windows_go_each_beneath_the_one_before() {
        let mut listing = Listing::default();
        for (n, beneath) in [(3, None), (2, Some(id(3))), (1, Some(id(2)))] {
            listing.note(&created(n));
            listing.note(&damaged(n));
            assert_eq!(listing.mapped(id(n), true), beneath, "window {n}");
        }
        // A window created afterwards in the ordinary way: mapped before its image, on top.
        listing.note(&created(4));
        assert_eq!(listing.mapped(id(4), false), None);
        listing.note(&created(5));
        assert_eq!(listing.mapped(id(5), true), None, "the listing is over");
    }

    #[test]
    fn a_window_mapped_later_is_not_listed() {
        let mut listing = Listing::default();
        // Window 1 listed unmapped (window 2 came next), then mapped later: on top.
        listing.note(&created(1));
        listing.note(&created(2));
        assert_eq!(listing.mapped(id(2), true), None);
        listing.note(&damaged(2));
        assert_eq!(listing.mapped(id(1), true), None);
        // Mapped again after an unmap: on top.
        listing.note(&QubeEvent::WindowUnmapped { window: id(2) });
        assert_eq!(listing.mapped(id(2), true), None);
    }
}
