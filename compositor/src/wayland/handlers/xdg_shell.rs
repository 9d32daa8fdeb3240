//! xdg-shell: toplevels and popups of the GUI qube's own programs become shell windows (see
//! `wayland::windows`); here they get their configures, placement and grabs.

use smithay::delegate_xdg_shell;
use smithay::reexports::wayland_server::protocol::wl_seat::WlSeat;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Rectangle, Serial};
use smithay::wayland::shell::xdg::{
    PopupSurface, PositionerState, ToplevelSurface, XdgShellHandler, XdgShellState,
};

use crate::shell_key::ShellKey;
use crate::state::State;
use crate::wayland::native_windows::{NativeId, Role};
use crate::wayland::windows;

impl XdgShellHandler for State {
    fn xdg_shell_state(&mut self) -> &mut XdgShellState {
        &mut self.airgui.native.xdg_shell_state
    }

    fn new_toplevel(&mut self, surface: ToplevelSurface) {
        // Windows may be as large as the output; the client picks its size within that.
        let (width, height) = self.airgui.shell.output();
        let bounds = (
            i32::try_from(width).unwrap_or(i32::MAX),
            i32::try_from(height).unwrap_or(i32::MAX),
        );
        surface.with_pending_state(|state| state.bounds = Some(bounds.into()));
        if self
            .airgui
            .native
            .windows
            .add(Role::Toplevel(surface.clone()))
            .is_none()
        {
            tracing::warn!("a toplevel of the GUI qube's programs is refused");
            // Configured, so that the program does not wait for ever, and asked to close.
            surface.send_configure();
            surface.send_close();
        }
    }

    fn new_popup(&mut self, surface: PopupSurface, positioner: PositionerState) {
        let Some(parent) = surface
            .get_parent_surface()
            .and_then(|parent| self.airgui.native.windows.by_surface(&parent))
        else {
            // A popup of a layer surface or of nothing known: never shown, and dismissed so
            // that its program does not wait for it.
            surface.send_popup_done();
            return;
        };
        let geometry = self.popup_geometry(parent, &positioner);
        surface.with_pending_state(|state| state.geometry = geometry);
        let role = Role::Popup {
            popup: surface.clone(),
            parent,
            offset: geometry.loc,
            grabbed: false,
        };
        if self.airgui.native.windows.add(role).is_none() {
            tracing::warn!("a popup of the GUI qube's programs is refused");
            surface.send_popup_done();
        }
    }

    fn grab(&mut self, surface: PopupSurface, _seat: WlSeat, _serial: Serial) {
        let Some(id) = self.airgui.native.windows.by_surface(surface.wl_surface()) else {
            return;
        };
        if let Some(window) = self.airgui.native.windows.get_mut(id) {
            if let Role::Popup { grabbed, .. } = &mut window.role {
                *grabbed = true;
            }
        }
    }

    fn reposition_request(
        &mut self,
        surface: PopupSurface,
        positioner: PositionerState,
        token: u32,
    ) {
        let Some(id) = self.airgui.native.windows.by_surface(surface.wl_surface()) else {
            return;
        };
        let parent = match self.airgui.native.windows.get(id).map(|w| &w.role) {
            Some(Role::Popup { parent, .. }) => *parent,
            _ => return,
        };
        let geometry = self.popup_geometry(parent, &positioner);
        surface.with_pending_state(|state| state.geometry = geometry);
        surface.send_repositioned(token);
        if let Err(error) = surface.send_configure() {
            tracing::debug!(%error, "cannot configure a repositioned popup");
        }
        windows::popup_moved(self, id, geometry.loc);
    }

    fn title_changed(&mut self, _surface: ToplevelSurface) {
        // The title bar reads the title when it is drawn.
        self.airgui.queue_redraw();
    }

    fn toplevel_destroyed(&mut self, surface: ToplevelSurface) {
        if let Some(id) = self.airgui.native.windows.by_surface(surface.wl_surface()) {
            windows::destroy(self, id);
        }
    }

    fn popup_destroyed(&mut self, surface: PopupSurface) {
        if let Some(id) = self.airgui.native.windows.by_surface(surface.wl_surface()) {
            windows::destroy(self, id);
        }
    }
}

impl State {
    /// Where a popup goes relative to its parent's window geometry: where it asks, moved or
    /// flipped as its positioner allows to stay on the output.
    fn popup_geometry(
        &self,
        parent: NativeId,
        positioner: &PositionerState,
    ) -> Rectangle<i32, Logical> {
        let Some(origin) = self
            .airgui
            .shell
            .window(ShellKey::Native(parent))
            .map(|w| (w.content.x, w.content.y))
        else {
            return positioner.get_geometry();
        };
        let (width, height) = self.airgui.shell.output();
        let output = Rectangle::new(
            (-origin.0, -origin.1).into(),
            (
                i32::try_from(width).unwrap_or(i32::MAX),
                i32::try_from(height).unwrap_or(i32::MAX),
            )
                .into(),
        );
        positioner.get_unconstrained_geometry(output)
    }
}

/// xdg-shell wants a configure in answer to a surface's first commit, before any buffer.
pub fn send_initial_configure(state: &mut State, root: &WlSurface) {
    let Some(id) = state.airgui.native.windows.by_surface(root) else {
        return;
    };
    match state.airgui.native.windows.get(id).map(|w| &w.role) {
        Some(Role::Toplevel(toplevel)) if !toplevel.is_initial_configure_sent() => {
            toplevel.send_configure();
        }
        Some(Role::Popup { popup, .. }) if !popup.is_initial_configure_sent() => {
            if let Err(error) = popup.send_configure() {
                tracing::debug!(%error, "cannot configure a popup");
            }
        }
        _ => {}
    }
}

delegate_xdg_shell!(State);
