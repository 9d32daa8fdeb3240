//! The IPC socket in the event loop: the listener, and a bounded number of clients, each its
//! own event source (`super::connection`), so that no client can make the loop wait.

use std::cell::Cell;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::Context;
use rustix::net::SendFlags;
use tracing::warn;

use super::commands;
use super::connection::Connection;
use crate::state::State;

/// The most IPC clients connected at once (`airgui msg` holds one for a request).
pub const MAX_CLIENTS: usize = 32;
/// What a client past [`MAX_CLIENTS`] is told before it is closed.
const TOO_MANY: &str = "too many IPC clients are connected; try again when some have closed";

/// Listens on the configured IPC socket; returns its path.
pub fn start(state: &mut State) -> anyhow::Result<PathBuf> {
    let path = state.airgui.config.ipc_socket();
    let listener = bind(&path)?;
    let clients = Rc::new(ClientCount::default());
    airgui_wayland_common::listener::watch(
        &state.airgui.handle,
        "IPC",
        listener,
        move |state, listener| loop {
            match listener.accept() {
                Ok((stream, _)) => add_client(state, &clients, stream),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        },
    )?;
    Ok(path)
}

fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    if UnixStream::connect(path).is_ok() {
        anyhow::bail!(
            "another airgui already listens on {}; stop it or set [ipc] socket",
            path.display()
        );
    }
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            return Err(error)
                .with_context(|| format!("cannot remove the stale socket {}", path.display()))
        }
        _ => {}
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Watches a new client, unless [`MAX_CLIENTS`] are connected already: then it is told so and
/// closed.
fn add_client(state: &mut State, clients: &Rc<ClientCount>, stream: UnixStream) {
    if clients.open.get() >= MAX_CLIENTS {
        // Said once per run of refusals, not for each.
        if !clients.refusing.replace(true) {
            warn!("{MAX_CLIENTS} IPC clients are connected; refusing more until some close");
        }
        let reply = format!("{}\n", commands::failure(TOO_MANY.into()));
        let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
        let _ = rustix::net::send(&stream, reply.as_bytes(), flags);
        return;
    }
    clients.refusing.set(false);
    let number = clients.next.get();
    clients.next.set(number + 1);
    let connection = match Connection::new(number, stream) {
        Ok(connection) => connection,
        Err(error) => {
            warn!(%error, "IPC client set-up failed");
            return;
        }
    };
    let slot = ClientSlot::take(clients);
    let inserted = state
        .airgui
        .handle
        .insert_source(connection, move |line, _, state| {
            // The callback owns the slot: it is given back when the source goes.
            let _open = &slot;
            commands::handle_line(state, &line).to_string()
        });
    if let Err(error) = inserted {
        warn!(%error, "cannot watch an IPC client");
    }
}

/// The clients connected, bounded by [`MAX_CLIENTS`].
#[derive(Debug, Default)]
struct ClientCount {
    open: Cell<usize>,
    next: Cell<u64>,
    refusing: Cell<bool>,
}

/// One client's place in the count, given back when its source is dropped.
struct ClientSlot(Rc<ClientCount>);

impl ClientSlot {
    fn take(clients: &Rc<ClientCount>) -> Self {
        clients.open.set(clients.open.get() + 1);
        ClientSlot(Rc::clone(clients))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.0.open.set(self.0.open.get().saturating_sub(1));
    }
}
