//! xdg-decoration for the qube's clients: always server-side, since the GUI qube draws every
//! window's border and title in the qube's colour (see `airgui_wayland_common::decorations`).

airgui_wayland_common::always_server_side!(crate::Agent);
