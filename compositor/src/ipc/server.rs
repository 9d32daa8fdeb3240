//! The IPC socket in the event loop. Requests are small and handled at once; a client that
//! sends more than a request's worth without a newline, or stops reading, is dropped.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rustix::net::RecvFlags;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{Interest, Mode, PostAction};
use tracing::{debug, warn};

use super::commands;
use crate::state::State;

/// The longest request line accepted.
const MAX_REQUEST: usize = 1 << 20;
/// How long a reply may wait for a slow client.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Listens on the configured IPC socket; returns its path.
pub fn start(state: &mut State) -> anyhow::Result<PathBuf> {
    let path = state.airgui.config.ipc_socket();
    let listener = bind(&path)?;
    crate::listener::watch(&state.airgui.handle, "IPC", listener, |state, listener| {
        loop {
            match listener.accept() {
                Ok((stream, _)) => add_client(state, stream),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    })?;
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

fn add_client(state: &mut State, stream: UnixStream) {
    // Reads never block (MSG_DONTWAIT); replies block, up to the timeout.
    if let Err(error) = stream.set_write_timeout(Some(WRITE_TIMEOUT)) {
        warn!(%error, "IPC client set-up failed");
        return;
    }
    let mut pending = Vec::new();
    let source = Generic::new(stream, Interest::READ, Mode::Level);
    let inserted = state
        .airgui
        .handle
        .insert_source(source, move |_, stream, state| {
            Ok(serve(state, stream, &mut pending))
        });
    if let Err(error) = inserted {
        warn!(%error, "cannot watch an IPC client");
    }
}

/// Reads what the client sent and answers each complete line.
fn serve(state: &mut State, stream: &UnixStream, pending: &mut Vec<u8>) -> PostAction {
    let mut chunk = [0u8; 4096];
    let read = match rustix::net::recv(stream, &mut chunk, RecvFlags::DONTWAIT) {
        Ok((0, _)) => return PostAction::Remove,
        Ok((n, _)) => n,
        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => return PostAction::Continue,
        Err(error) => {
            debug!(%error, "IPC client read failed");
            return PostAction::Remove;
        }
    };
    pending.extend_from_slice(chunk.get(..read).unwrap_or_default());
    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        let reply = commands::handle_line(state, &line);
        let mut text = reply.to_string();
        text.push('\n');
        if let Err(error) = (&*stream).write_all(text.as_bytes()) {
            debug!(%error, "IPC client stopped reading");
            return PostAction::Remove;
        }
    }
    if pending.len() > MAX_REQUEST {
        warn!("IPC request too long: client dropped");
        return PostAction::Remove;
    }
    PostAction::Continue
}
