//! The Wayland protocols airgui offers the GUI qube's own programs, one file each:
//! wl_compositor and wl_subcompositor with wl_shm, xdg-shell, xdg-decoration (server-side only),
//! wl_seat, wl_output with xdg-output, the data device with primary selection (within the GUI
//! qube), and virtual-keyboard when the config allows it. wlr-screencopy is `super::screencopy`.

mod compositor;
mod decoration;
mod output;
pub mod seat;
mod selection;
mod virtual_keyboard;
mod xdg_shell;
