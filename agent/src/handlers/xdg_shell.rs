//! xdg-shell: toplevels and popups become GUI-protocol windows on their first buffer (see
//! `agent::windows`); here they get their configures, names and grabs.

use smithay::delegate_xdg_shell;
use smithay::reexports::wayland_server::protocol::wl_seat::WlSeat;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Rectangle, Serial};
use smithay::wayland::shell::xdg::{
    PopupSurface, PositionerState, ToplevelSurface, XdgShellHandler, XdgShellState,
};

use crate::{backlog, windows, Agent};

impl XdgShellHandler for Agent {
    fn xdg_shell_state(&mut self) -> &mut XdgShellState {
        &mut self.xdg_shell_state
    }

    fn new_toplevel(&mut self, surface: ToplevelSurface) {
        // Windows may be as large as the output; the client picks its size within that.
        let bounds = self
            .output
            .current_mode()
            .map(|mode| mode.size.to_logical(1));
        surface.with_pending_state(|state| state.bounds = bounds);
    }

    fn new_popup(&mut self, surface: PopupSurface, positioner: PositionerState) {
        let geometry = self.popup_geometry(&surface, &positioner);
        surface.with_pending_state(|state| state.geometry = geometry);
    }

    fn grab(&mut self, surface: PopupSurface, _seat: WlSeat, _serial: Serial) {
        if let Some(toplevel) = self.toplevel_of(&surface) {
            self.windows.grab(surface, toplevel);
        }
    }

    fn reposition_request(
        &mut self,
        surface: PopupSurface,
        positioner: PositionerState,
        token: u32,
    ) {
        let geometry = self.popup_geometry(&surface, &positioner);
        surface.with_pending_state(|state| state.geometry = geometry);
        surface.send_repositioned(token);
        if let Err(error) = surface.send_configure() {
            tracing::debug!(%error, "cannot configure a repositioned popup");
        }
        windows::popup_moved(self, surface.wl_surface());
        backlog::limit(self, surface.wl_surface());
    }

    fn title_changed(&mut self, surface: ToplevelSurface) {
        self.described(surface.wl_surface());
    }

    fn app_id_changed(&mut self, surface: ToplevelSurface) {
        self.described(surface.wl_surface());
    }

    fn toplevel_destroyed(&mut self, surface: ToplevelSurface) {
        if let Some(id) = self.windows.by_surface(surface.wl_surface()) {
            windows::destroy(self, id);
        }
    }

    fn popup_destroyed(&mut self, surface: PopupSurface) {
        if let Some(id) = self.windows.by_surface(surface.wl_surface()) {
            windows::destroy(self, id);
        }
    }
}

impl Agent {
    /// A toplevel's title or app id changed.
    fn described(&mut self, surface: &WlSurface) {
        if let Some(id) = self.windows.by_surface(surface) {
            windows::describe(self, id);
        }
        backlog::limit(self, surface);
    }

    /// Where a popup goes relative to its parent: where it asks, moved or flipped as its
    /// positioner allows to stay on the output (the daemon would otherwise push it inside
    /// without the client knowing).
    fn popup_geometry(
        &self,
        popup: &PopupSurface,
        positioner: &PositionerState,
    ) -> Rectangle<i32, Logical> {
        let parent = popup
            .get_parent_surface()
            .and_then(|parent| self.windows.by_surface(&parent))
            .and_then(|id| self.windows.get(id));
        match parent {
            Some(parent) => {
                let output = Rectangle::new(
                    (
                        parent.geometry.x.saturating_neg(),
                        parent.geometry.y.saturating_neg(),
                    )
                        .into(),
                    (
                        i32::try_from(self.link.xconf.width).unwrap_or(i32::MAX),
                        i32::try_from(self.link.xconf.height).unwrap_or(i32::MAX),
                    )
                        .into(),
                );
                positioner.get_unconstrained_geometry(output)
            }
            None => positioner.get_geometry(),
        }
    }

    /// The root surface of the toplevel a popup (or a popup of a popup) belongs to.
    fn toplevel_of(&self, popup: &PopupSurface) -> Option<WlSurface> {
        let mut parent = popup.get_parent_surface()?;
        // Popup chains are short; the bound only guards against a cycle.
        for _ in 0..64 {
            let next = self
                .xdg_shell_state
                .popup_surfaces()
                .iter()
                .find(|p| p.wl_surface() == &parent)
                .and_then(PopupSurface::get_parent_surface);
            match next {
                Some(next) => parent = next,
                None => return Some(parent),
            }
        }
        None
    }
}

/// xdg-shell wants a configure in answer to a surface's first commit, before any buffer.
pub fn send_initial_configure(agent: &mut Agent, root: &WlSurface) {
    let shell = &agent.xdg_shell_state;
    if let Some(toplevel) = shell
        .toplevel_surfaces()
        .iter()
        .find(|t| t.wl_surface() == root)
    {
        if !toplevel.is_initial_configure_sent() {
            toplevel.send_configure();
        }
        return;
    }
    if let Some(popup) = shell
        .popup_surfaces()
        .iter()
        .find(|p| p.wl_surface() == root)
    {
        if !popup.is_initial_configure_sent() {
            if let Err(error) = popup.send_configure() {
                tracing::debug!(%error, "cannot configure a popup");
            }
        }
    }
}

delegate_xdg_shell!(Agent);
