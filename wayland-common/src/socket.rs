//! A listening Wayland socket, for the GUI qube's own clients and for airgui-agent's, and the
//! display whose clients it serves.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use anyhow::Context;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction};
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::{Client, Display, ListeningSocket};

/// Dispatches the requests of `display`'s clients whenever they have sent some.
pub fn dispatch_from<D: 'static>(
    handle: &LoopHandle<'static, D>,
    display: Display<D>,
) -> anyhow::Result<()> {
    handle
        .insert_source(
            Generic::new(display, Interest::READ, Mode::Level),
            |_, display, data| {
                // SAFETY: the display is not dropped while the event loop holds it.
                let result = unsafe { display.get_mut().dispatch_clients(data) };
                if let Err(error) = result {
                    tracing::error!(%error, "dispatching the Wayland clients failed");
                }
                Ok(PostAction::Continue)
            },
        )
        .map_err(|error| anyhow::anyhow!("cannot watch the Wayland display: {error}"))?;
    Ok(())
}

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

/// Accepts the programs that connect, handing each to `insert` (which makes it a client of the
/// display).
pub fn watch<D: 'static>(
    handle: &LoopHandle<'static, D>,
    socket: ListeningSocket,
    insert: impl Fn(&mut D, UnixStream) -> std::io::Result<Client> + 'static,
) -> anyhow::Result<()> {
    crate::listener::watch(handle, "Wayland", socket, move |data, socket| {
        while let Some(stream) = socket.accept()? {
            match insert(data, stream) {
                Ok(client) => log_client(client.id()),
                Err(error) => tracing::warn!(%error, "cannot take a Wayland client"),
            }
        }
        Ok(())
    })
}

fn log_client(id: ClientId) {
    tracing::debug!(client = ?id, "a Wayland client connected");
}
