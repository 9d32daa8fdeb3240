//! The GUI qube's own windows: each xdg toplevel is a normal shell window, each xdg popup an
//! override-redirect one placed against its parent, exactly as a qube's windows are. A window
//! enters the shell with its first buffer and leaves it when the buffer goes.

use std::collections::BTreeMap;

use guid_protocol::msg::{MAX_WINDOW_HEIGHT, MAX_WINDOW_WIDTH};
use guid_protocol::Rect;
use smithay::backend::renderer::utils::with_renderer_surface_state;
use smithay::desktop::utils::{bbox_from_surface_tree, under_from_surface_tree};
use smithay::desktop::WindowSurfaceType;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle};
use smithay::wayland::compositor::{get_parent, with_states};
use smithay::wayland::shell::xdg::{
    PopupSurface, SurfaceCachedState, ToplevelSurface, XdgToplevelSurfaceData,
};
use tracing::warn;

use crate::render::decorations::Decorations;
use crate::shell::WindowKind;
use crate::shell_key::ShellKey;
use crate::state::State;

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

    fn kind(&self) -> WindowKind {
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

    fn remove(&mut self, id: NativeId) -> Option<NativeWindow> {
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

/// The surface of a native window under the output point `(x, y)` (the window's `content` on
/// the output), with that surface's origin on the output.
pub fn surface_under(
    state: &State,
    id: NativeId,
    content: Rect,
    (x, y): (f64, f64),
) -> Option<(WlSurface, Point<f64, Logical>)> {
    let root = state.airgui.native.windows.get(id)?.wl_surface();
    let geometry = window_geometry(root);
    let origin = Point::<i32, Logical>::from((content.x, content.y)) - geometry.loc;
    let (surface, at) =
        under_from_surface_tree(root, (x, y).into(), origin, WindowSurfaceType::ALL)?;
    Some((surface, at.to_f64()))
}

/// A root surface committed: its window enters the shell with its first buffer, follows a new
/// size, or leaves with a null buffer.
pub fn committed(state: &mut State, root: &WlSurface) {
    let Some(id) = state.airgui.native.windows.by_surface(root) else {
        return;
    };
    let has_buffer = with_renderer_surface_state(root, |s| s.buffer().is_some()).unwrap_or(false);
    let Some(window) = state.airgui.native.windows.get(id) else {
        return;
    };
    let key = ShellKey::Native(id);
    let size = window_geometry(root).size;
    match (has_buffer, window.mapped) {
        (true, false) => map(state, id),
        (false, true) => unmap(state, id),
        (true, true) => {
            let kind = window.kind();
            let content = state.airgui.shell.window(key).map(|w| w.content);
            if let Some(content) = content {
                let resized = Rect::new(content.x, content.y, size.w as u32, size.h as u32);
                if resized != content {
                    state.airgui.shell.configure(key, resized, kind);
                    state.airgui.input.layout_changed = true;
                }
            }
        }
        (false, false) => return,
    }
    state.airgui.queue_redraw();
}

/// Where a popup's window geometry goes on the output, from its parent's place.
fn popup_content(
    state: &State,
    parent: NativeId,
    offset: Point<i32, Logical>,
    root: &WlSurface,
) -> Rect {
    let size = window_geometry(root).size;
    let origin = state
        .airgui
        .shell
        .window(ShellKey::Native(parent))
        .map_or((0, 0), |w| (w.content.x, w.content.y));
    Rect::new(
        origin.0.saturating_add(offset.x),
        origin.1.saturating_add(offset.y),
        size.w as u32,
        size.h as u32,
    )
}

fn map(state: &mut State, id: NativeId) {
    let Some(window) = state.airgui.native.windows.get(id) else {
        return;
    };
    let root = window.wl_surface().clone();
    let kind = window.kind();
    let content = match &window.role {
        Role::Toplevel(_) => {
            let size = window_geometry(&root).size;
            Rect::new(0, 0, size.w as u32, size.h as u32)
        }
        Role::Popup { parent, offset, .. } => popup_content(state, *parent, *offset, &root),
    };
    let key = ShellKey::Native(id);
    state.airgui.shell.add(key, content, kind);
    // Like a qube's new window: placed and raised, but focus stays where the user put it.
    state.airgui.shell.map(key, kind);
    state.airgui.native.output.enter(&root);
    if let Some(window) = state.airgui.native.windows.get_mut(id) {
        window.mapped = true;
    }
    state.airgui.input.layout_changed = true;
}

fn unmap(state: &mut State, id: NativeId) {
    if let Some(window) = state.airgui.native.windows.get_mut(id) {
        window.mapped = false;
    }
    state.airgui.shell.unmap(ShellKey::Native(id));
    state.sync_keyboard_focus();
    state.airgui.input.layout_changed = true;
}

/// A toplevel or popup is gone.
pub fn destroy(state: &mut State, id: NativeId) {
    if state.airgui.native.windows.remove(id).is_none() {
        return;
    }
    let key = ShellKey::Native(id);
    state.airgui.shell.remove(key);
    state.sync_keyboard_focus();
    state.airgui.input.layout_changed = true;
    state.airgui.queue_redraw();
}

/// A popup moved relative to its parent (xdg_popup.reposition).
pub fn popup_moved(state: &mut State, id: NativeId, new_offset: Point<i32, Logical>) {
    let Some(window) = state.airgui.native.windows.get_mut(id) else {
        return;
    };
    let Role::Popup { parent, offset, .. } = &mut window.role else {
        return;
    };
    *offset = new_offset;
    let (parent, root, mapped) = (*parent, window.wl_surface().clone(), window.mapped);
    if mapped {
        let content = popup_content(state, parent, new_offset, &root);
        state
            .airgui
            .shell
            .configure(ShellKey::Native(id), content, WindowKind::OverrideRedirect);
        state.airgui.input.layout_changed = true;
        state.airgui.queue_redraw();
    }
}

/// A press anywhere but on a native popup closes the menus that grabbed: the click that
/// dismisses a menu is one the user aimed elsewhere.
pub fn dismiss_grabbed_popups(state: &mut State, pressed_on: Option<ShellKey>) {
    if let Some(ShellKey::Native(id)) = pressed_on {
        let on_popup = state
            .airgui
            .native
            .windows
            .get(id)
            .is_some_and(|w| matches!(w.role, Role::Popup { .. }));
        if on_popup {
            return;
        }
    }
    for (_, window) in state.airgui.native.windows.iter() {
        if let Role::Popup {
            popup,
            grabbed: true,
            ..
        } = &window.role
        {
            popup.send_popup_done();
        }
    }
}

/// The user resized a toplevel's frame: the client is asked for the new content size.
pub fn request_size(state: &State, id: NativeId, content: Rect) {
    let Some(toplevel) = state
        .airgui
        .native
        .windows
        .get(id)
        .and_then(NativeWindow::toplevel)
    else {
        return;
    };
    let size = (
        i32::try_from(content.width).unwrap_or(i32::MAX),
        i32::try_from(content.height).unwrap_or(i32::MAX),
    );
    toplevel.with_pending_state(|pending| pending.size = Some(size.into()));
    if toplevel.is_initial_configure_sent() {
        toplevel.send_pending_configure();
    }
}
