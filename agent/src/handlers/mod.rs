//! The Wayland protocols the agent offers its clients, one file each: wl_compositor and
//! wl_subcompositor, wl_shm, xdg-shell, xdg-decoration (server-side only: the GUI qube
//! decorates), wl_seat, wl_output with xdg-output, and the data device with primary selection.
//! There is no linux-dmabuf: pixels must be in shared memory to reach the grant pool.

mod compositor;
mod decoration;
mod output;
mod seat;
mod selection;
mod xdg_shell;
