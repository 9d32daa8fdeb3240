//! The GUI qube's own windows as airgui keeps them: each xdg toplevel or popup with its
//! decorations, by the id the shell knows it by, and the geometry of their surface trees.

use std::collections::BTreeMap;

use guid_protocol::msg::{MAX_WINDOW_HEIGHT, MAX_WINDOW_WIDTH};
use smithay::desktop::utils::bbox_from_surface_tree;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle};
use smithay::wayland::compositor::{get_parent, with_states};
use smithay::wayland::shell::xdg::{
    PopupSurface, SurfaceCachedState, ToplevelSurface, XdgToplevelSurfaceData,
};
use tracing::warn;

use crate::render::decorations::Decorations;
use crate::shell::WindowKind;

/// Windows the GUI qube's programs may have at once; more are refused (never shown; a toplevel
/// is asked to close, a popup dismissed). Trusted programs do not come near this.
const MAX_WINDOWS: usize = 1000;
/// Longest title shown, in characters.
const MAX_TITLE_CHARS: usize = 256;

/// A native window, as the shell and the renderer know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NativeId(pub u32);

#[derive(Debug)]
pub enum Role {
    Toplevel(ToplevelSurface),
    Popup {
        popup: PopupSurface,
        parent: NativeId,
        /// Where the popup's window geometry lies, relative to its parent's.
        offset: Point<i32, Logical>,
        /// Whether it asked for an explicit grab (a menu): a click elsewhere dismisses it.
        grabbed: bool,
    },
}

#[derive(Debug)]
pub struct NativeWindow {
    pub role: Role,
    pub decorations: Decorations,
    /// In the shell, with a buffer.
    pub mapped: bool,
}

impl NativeWindow {
    pub fn wl_surface(&self) -> &WlSurface {
        match &self.role {
            Role::Toplevel(toplevel) => toplevel.wl_surface(),
            Role::Popup { popup, .. } => popup.wl_surface(),
        }
    }

    pub fn toplevel(&self) -> Option<&ToplevelSurface> {
        match &self.role {
            Role::Toplevel(toplevel) => Some(toplevel),
            Role::Popup { .. } => None,
        }
    }

    pub fn kind(&self) -> WindowKind {
        match self.role {
            Role::Toplevel(_) => WindowKind::Normal,
            Role::Popup { .. } => WindowKind::OverrideRedirect,
        }
    }

    /// The toplevel's title, printable and bounded (trusted programs, but a title is drawn
    /// where the user looks for who owns a window).
    pub fn title(&self) -> String {
        let Some(toplevel) = self.toplevel() else {
            return String::new();
        };
        let title = with_states(toplevel.wl_surface(), |states| {
            states
                .data_map
                .get::<XdgToplevelSurfaceData>()
                .and_then(|data| data.lock().ok().and_then(|data| data.title.clone()))
        });
        title
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_TITLE_CHARS)
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct NativeWindows {
    next: u32,
    windows: BTreeMap<NativeId, NativeWindow>,
}

impl NativeWindows {
    /// A new window, not yet in the shell; `None` past [`MAX_WINDOWS`].
    pub fn add(&mut self, role: Role) -> Option<NativeId> {
        if self.windows.len() >= MAX_WINDOWS {
            warn!("the GUI qube's programs have {MAX_WINDOWS} windows: refusing another");
            return None;
        }
        self.next = self.next.wrapping_add(1);
        let id = NativeId(self.next);
        self.windows.insert(
            id,
            NativeWindow {
                role,
                decorations: Decorations::default(),
                mapped: false,
            },
        );
        Some(id)
    }

    pub fn get(&self, id: NativeId) -> Option<&NativeWindow> {
        self.windows.get(&id)
    }

    pub fn get_mut(&mut self, id: NativeId) -> Option<&mut NativeWindow> {
        self.windows.get_mut(&id)
    }

    pub fn by_surface(&self, surface: &WlSurface) -> Option<NativeId> {
        self.windows
            .iter()
            .find(|(_, window)| window.wl_surface() == surface)
            .map(|(id, _)| *id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (NativeId, &NativeWindow)> + '_ {
        self.windows.iter().map(|(id, window)| (*id, window))
    }

    pub fn remove(&mut self, id: NativeId) -> Option<NativeWindow> {
        self.windows.remove(&id)
    }
}

/// The root of a surface's subsurface tree.
pub fn root_of(surface: &WlSurface) -> WlSurface {
    let mut root = surface.clone();
    while let Some(parent) = get_parent(&root) {
        root = parent;
    }
    root
}

/// The xdg window geometry of a root surface (the part the shell places and decorates), in the
/// surface's coordinates: as the client set it, else everything its surfaces cover.
pub fn window_geometry(surface: &WlSurface) -> Rectangle<i32, Logical> {
    let set = with_states(surface, |states| {
        states
            .cached_state
            .get::<SurfaceCachedState>()
            .current()
            .geometry
    });
    let mut geometry = set
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| bbox_from_surface_tree(surface, (0, 0)));
    geometry.size.w = geometry.size.w.clamp(1, MAX_WINDOW_WIDTH as i32);
    geometry.size.h = geometry.size.h.clamp(1, MAX_WINDOW_HEIGHT as i32);
    geometry
}
