//! What airgui (the GUI qube) and airgui-agent (inside a qube) share as Wayland compositors, so
//! that neither links the other: the listening sockets of the event loop ([`listener`],
//! [`socket`]), what a compositor keeps per client ([`client`]), the `[keyboard]` table both
//! read so that an X keycode means the same key on both sides ([`keyboard`]), their one output
//! ([`output`]), the pointer's button numbers ([`pointer`]) and always-server-side
//! xdg-decoration ([`decorations`]), and how both log ([`logging`]).
//!
//! Only Smithay's headless Wayland server parts are used here: no backend, renderer, RDP or
//! zone code, so that nothing of the GUI qube ends up in what runs inside a qube.

pub mod client;
pub mod decorations;
pub mod keyboard;
pub mod listener;
pub mod logging;
pub mod output;
pub mod pointer;
pub mod socket;
