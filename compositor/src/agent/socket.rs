//! The Wayland socket where the qube's applications connect.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction};
use smithay::reexports::wayland_server::ListeningSocket;

use super::{Agent, ClientState};

/// Binds `name` (a name in `$XDG_RUNTIME_DIR`, or an absolute path), or the first free
/// `wayland-N`; returns the socket and what `WAYLAND_DISPLAY` must say to reach it.
pub fn bind(name: Option<&str>) -> anyhow::Result<(ListeningSocket, String)> {
    let socket = match name {
        Some(path) if path.starts_with('/') => ListeningSocket::bind_absolute(PathBuf::from(path)),
        Some(name) => ListeningSocket::bind(name),
        None => ListeningSocket::bind_auto("wayland", 1..33),
    }
    .with_context(|| {
        format!(
            "cannot bind the Wayland socket {}",
            name.unwrap_or("wayland-N")
        )
    })?;
    let display = match name {
        Some(name) => name.to_owned(),
        None => socket
            .socket_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    Ok((socket, display))
}

/// Accepts the applications that connect as Wayland clients.
pub fn watch(handle: &LoopHandle<'static, Agent>, socket: ListeningSocket) -> anyhow::Result<()> {
    handle
        .insert_source(
            Generic::new(socket, Interest::READ, Mode::Level),
            |_, socket, agent| {
                while let Some(stream) = socket.accept()? {
                    if let Err(error) = agent
                        .display
                        .insert_client(stream, Arc::new(ClientState::default()))
                    {
                        tracing::warn!(%error, "cannot take a Wayland client");
                    }
                }
                Ok(PostAction::Continue)
            },
        )
        .map_err(|error| anyhow::anyhow!("cannot watch the Wayland socket: {error}"))?;
    Ok(())
}
