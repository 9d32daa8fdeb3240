//! xdg-decoration for the GUI qube's own clients: always server-side, in the `gui` label's colour
//! (see `airgui_wayland_common::decorations`).

airgui_wayland_common::always_server_side!(crate::state::State);
