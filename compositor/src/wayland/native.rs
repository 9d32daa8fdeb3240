//! What airgui keeps for the GUI qube's own Wayland clients: the protocol states whose globals
//! they bind, their windows, the output they see, and what each client carries.

use smithay::output::{Mode as OutputMode, Output};
use smithay::reexports::wayland_server::backend::{ClientData, ClientId, DisconnectReason};
use smithay::reexports::wayland_server::{Client, DisplayHandle};
use smithay::wayland::compositor::{CompositorClientState, CompositorState};
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
        let mode = output_mode((width, height));
        self.output
            .change_current_state(Some(mode), None, None, None);
        self.output.set_preferred(mode);
    }
}

/// What airgui keeps per Wayland client (here and in `airgui agent`).
#[derive(Debug, Default)]
pub struct ClientState {
    pub compositor_state: CompositorClientState,
}

impl ClientData for ClientState {
    fn initialized(&self, _client_id: ClientId) {}
    fn disconnected(&self, _client_id: ClientId, _reason: DisconnectReason) {}
}

/// A client's compositor state, for `CompositorHandler::client_compositor_state`.
pub fn client_compositor_state(client: &Client) -> &CompositorClientState {
    match client.get_data::<ClientState>() {
        Some(state) => &state.compositor_state,
        // Every client is inserted with a ClientState; this is for the type checker.
        None => &FALLBACK_CLIENT_STATE,
    }
}

static FALLBACK_CLIENT_STATE: std::sync::LazyLock<CompositorClientState> =
    std::sync::LazyLock::new(CompositorClientState::default);

pub fn output_mode((width, height): (u32, u32)) -> OutputMode {
    OutputMode {
        size: (
            i32::try_from(width).unwrap_or(i32::MAX),
            i32::try_from(height).unwrap_or(i32::MAX),
        )
            .into(),
        refresh: 60_000,
    }
}
