//! xdg-decoration for the qube's clients: always server-side, since the GUI qube draws every
//! window's border and title in the qube's colour (see `crate::server_side_decorations`).

crate::server_side_decorations::always_server_side!(crate::agent::Agent);
