//! The GUI qube's own windows: each xdg toplevel is a normal shell window, each xdg popup an
//! override-redirect one placed against its parent, exactly as a qube's windows are. A window
//! enters the shell with its first buffer and leaves it when the buffer goes.

use guid_protocol::Rect;
use smithay::backend::renderer::utils::with_renderer_surface_state;
use smithay::desktop::utils::under_from_surface_tree;
use smithay::desktop::WindowSurfaceType;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point};

use super::native_windows::{window_geometry, NativeId, NativeWindow, Role};
use crate::shell::WindowKind;
use crate::shell_key::ShellKey;
use crate::state::State;

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
