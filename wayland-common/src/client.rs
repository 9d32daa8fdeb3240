//! What both compositors keep per Wayland client: the GUI qube's airgui for its own programs,
//! and airgui-agent for a qube's.

use smithay::reexports::wayland_server::backend::{ClientData, ClientId, DisconnectReason};
use smithay::reexports::wayland_server::Client;
use smithay::wayland::compositor::CompositorClientState;

/// What a compositor keeps per Wayland client.
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
