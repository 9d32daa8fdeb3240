//! The GUI qube's own Wayland clients: its trusted programs (a terminal, a launcher, the qube
//! manager) connect to airgui's Wayland socket like to any compositor. Their windows join the
//! same shell as qube windows (stacking, focus, placement), decorated in the `gui` label's colour
//! with their title alone.
//!
//! What they can never do: see a key, a click or the clipboard of a qube window. The seat's
//! keyboard and pointer talk Wayland only to the client whose surface holds the focus, and their
//! data device and primary selection are theirs alone (the qubes' clipboard lives in
//! `crate::clipboard`). Protocols that would read or inject other windows' input (virtual
//! keyboard) are off unless the config turns them on.
//!
//! The pieces: [`windows`] (toplevels and popups as shell windows), [`frames`] (frame callbacks
//! after each frame), [`screencopy`] (wlr-screencopy for `grim`) and [`handlers`], one file per
//! protocol. The listening socket is `airgui_wayland_common::socket`, shared with airgui-agent.

pub mod copy_queue;
pub mod frames;
pub mod handlers;
pub mod native;
pub mod native_windows;
pub mod screencopy;
pub mod windows;

use airgui_wayland_common::client::ClientState;
use airgui_wayland_common::output::headless_output;
use airgui_wayland_common::socket;
use anyhow::Context;
use smithay::output::Output;
use smithay::reexports::wayland_server::{Display, DisplayHandle};
use smithay::wayland::compositor::CompositorState;
use smithay::wayland::output::OutputManagerState;
use smithay::wayland::selection::data_device::DataDeviceState;
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::shell::xdg::decoration::XdgDecorationState;
use smithay::wayland::shell::xdg::XdgShellState;
use smithay::wayland::shm::ShmState;
use smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState;
use tracing::{info, warn};

use crate::config::Config;
use crate::state::State;
pub use native::Native;
use native_windows::NativeWindows;

impl Native {
    /// The globals every client sees; nothing listens yet (see [`start`]).
    pub fn new(display: &DisplayHandle, config: &Config) -> Native {
        let virtual_keyboard_state = config.native.virtual_keyboard.then(|| {
            // Smithay hands virtual keys to the focused Wayland surface only: qube windows have
            // none, so this reaches the GUI qube's own windows, never a qube.
            warn!("native.virtual_keyboard is on: any of the GUI qube's programs may type into another");
            VirtualKeyboardManagerState::new::<State, _>(display, |_client| true)
        });
        Native {
            compositor_state: CompositorState::new::<State>(display),
            xdg_shell_state: XdgShellState::new::<State>(display),
            _xdg_decoration_state: XdgDecorationState::new::<State>(display),
            shm_state: ShmState::new::<State>(display, Vec::new()),
            _output_manager_state: OutputManagerState::new_with_xdg_output::<State>(display),
            data_device_state: DataDeviceState::new::<State>(display),
            primary_selection_state: PrimarySelectionState::new::<State>(display),
            // Only when `native.virtual_keyboard` is on.
            _virtual_keyboard_state: virtual_keyboard_state,
            output: desktop_output(display, (config.output.width, config.output.height)),
            windows: NativeWindows::default(),
            screencopy: screencopy::start(display, config.native.screencopy),
            socket_name: None,
            display: display.clone(),
        }
    }
}

/// Dispatches the clients' requests from the event loop and, if `native.enabled`, opens the
/// socket. Returns what `WAYLAND_DISPLAY` must say, if a socket was opened.
pub fn start(state: &mut State, display: Display<State>) -> anyhow::Result<Option<String>> {
    let handle = state.airgui.handle.clone();
    socket::dispatch_from(&handle, display)?;
    let config = &state.airgui.config.native;
    if !config.enabled {
        return Ok(None);
    }
    let name = (!config.socket.is_empty()).then_some(config.socket.as_str());
    let relative = !name.is_some_and(|name| name.starts_with('/'));
    if relative && std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        warn!(
            "no Wayland socket for the GUI qube's own programs: XDG_RUNTIME_DIR is not set; set \
             it, or give native.socket an absolute path"
        );
        return Ok(None);
    }
    let (socket, name) = socket::bind(name).context("native.socket")?;
    socket::watch(&handle, socket, |state: &mut State, stream| {
        state
            .airgui
            .native
            .display
            .insert_client(stream, std::sync::Arc::new(ClientState::default()))
    })?;
    info!(wayland_display = %name, "the GUI qube's own programs may connect");
    state.airgui.native.socket_name = Some(name.clone());
    Ok(Some(name))
}

/// Sends what the clients are owed; after each turn of the event loop.
pub fn flush(state: &mut State) {
    if let Err(error) = state.airgui.native.display.flush_clients() {
        warn!(%error, "flushing the Wayland clients failed");
    }
}

/// The desktop as one wl_output at (0, 0).
fn desktop_output(display: &DisplayHandle, size: (u32, u32)) -> Output {
    let output = headless_output("airgui-1", "GUI qube desktop", size);
    output.create_global::<State>(display);
    output
}
