//! xdg-decoration, always server-side, for both compositors: airgui draws every window's border
//! and title bar (a qube's in its label colour, the GUI qube's own in the `gui` label's), and
//! airgui-agent's windows get theirs from airgui. A client's own decorations would only repeat
//! them, and could imitate another domain's.

use smithay::reexports::wayland_protocols::xdg::decoration::zv1::server::zxdg_toplevel_decoration_v1::Mode;
use smithay::wayland::shell::xdg::ToplevelSurface;

/// Whatever mode the client asks for, the answer is server-side.
pub fn server_side(toplevel: &ToplevelSurface) {
    toplevel.with_pending_state(|state| state.decoration_mode = Some(Mode::ServerSide));
    if toplevel.is_initial_configure_sent() {
        toplevel.send_pending_configure();
    }
}

/// Implements and delegates xdg-decoration for a compositor state type, always server-side.
#[macro_export]
macro_rules! always_server_side {
    ($state:ty) => {
        impl smithay::wayland::shell::xdg::decoration::XdgDecorationHandler for $state {
            fn new_decoration(&mut self, toplevel: smithay::wayland::shell::xdg::ToplevelSurface) {
                $crate::decorations::server_side(&toplevel);
            }

            fn request_mode(
                &mut self,
                toplevel: smithay::wayland::shell::xdg::ToplevelSurface,
                _mode: smithay::reexports::wayland_protocols::xdg::decoration::zv1::server::zxdg_toplevel_decoration_v1::Mode,
            ) {
                $crate::decorations::server_side(&toplevel);
            }

            fn unset_mode(&mut self, toplevel: smithay::wayland::shell::xdg::ToplevelSurface) {
                $crate::decorations::server_side(&toplevel);
            }
        }

        smithay::delegate_xdg_decoration!($state);
    };
}
