//! What airgui keeps for the GUI qube's own Wayland clients: the protocol states whose globals
//! they bind, their windows and the output they see.

use airgui_wayland_common::output::set_size;
use smithay::output::Output;
use smithay::reexports::wayland_server::DisplayHandle;
use smithay::wayland::compositor::CompositorState;
use smithay::wayland::output::OutputManagerState;
use smithay::wayland::selection::data_device::DataDeviceState;
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::shell::xdg::decoration::XdgDecorationState;
use smithay::wayland::shell::xdg::XdgShellState;
use smithay::wayland::shm::ShmState;
use smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState;

use super::copy_queue::CopyQueue;
use super::native_windows::NativeWindows;

/// The Wayland server of the GUI qube's own clients: its globals, its output and its windows.
pub struct Native {
    pub display: DisplayHandle,
    pub compositor_state: CompositorState,
    pub xdg_shell_state: XdgShellState,
    pub shm_state: ShmState,
    // Held for as long as airgui runs: these own their globals and are never asked anything.
    pub(super) _xdg_decoration_state: XdgDecorationState,
    pub(super) _output_manager_state: OutputManagerState,
    pub(super) _virtual_keyboard_state: Option<VirtualKeyboardManagerState>,
    pub data_device_state: DataDeviceState,
    pub primary_selection_state: PrimarySelectionState,
    /// The one output clients see: the whole desktop.
    pub output: Output,
    pub windows: NativeWindows,
    pub screencopy: CopyQueue,
    /// What `WAYLAND_DISPLAY` must say to reach the socket, once bound.
    pub socket_name: Option<String>,
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Native")
            .field("socket_name", &self.socket_name)
            .field("windows", &self.windows)
            .finish_non_exhaustive()
    }
}

impl Native {
    /// The output changed size.
    pub fn resize_output(&mut self, width: u32, height: u32) {
        set_size(&self.output, (width, height));
    }
}
