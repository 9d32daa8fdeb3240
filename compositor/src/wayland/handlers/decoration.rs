//! xdg-decoration for the GUI qube's own clients: always server-side, in the `gui` label's colour
//! (see `crate::server_side_decorations`).

crate::server_side_decorations::always_server_side!(crate::state::State);
