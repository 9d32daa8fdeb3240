//! A qube's connection in the event loop: the socket it arrives on, a non-blocking read source
//! with a per-turn budget, queued writes, and what happens when it ends.

use std::io;
use std::os::fd::AsFd;
use std::rc::Rc;
use std::time::Duration;

use guid_protocol::transport::{QubeListener, QubeStream, VchanConnector};
use guid_protocol::{DaemonConfig, DaemonConnection, GrantPool, QubeEvent};
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, Mode, PostAction};
use tracing::{debug, info, warn};

use super::QubeLink;
use crate::config::QubeEndpoint;
use crate::render::textures::TextureKey;
use crate::shell_key::ShellKey;
use crate::state::State;

/// Bytes read from one qube per turn of the event loop, so that a flooding qube cannot starve
/// the others or the user's input; the rest waits for the next turn.
const READ_BUDGET: usize = 256 * 1024;
/// Bytes read per `recv`.
pub const READ_CHUNK: usize = 64 * 1024;

/// Opens every qube's endpoint: its listening socket, or its connector.
pub fn start_endpoints(state: &mut State) -> anyhow::Result<()> {
    for index in 0..state.airgui.qubes.len() {
        let Some(qube) = state.airgui.qubes.get_mut(index) else {
            continue;
        };
        match qube.config.endpoint.clone() {
            QubeEndpoint::Listen(path) => {
                let listener = QubeListener::bind(&path).map_err(|error| {
                    anyhow::anyhow!(
                        "qube {}: cannot listen on {}: {error}",
                        qube.name(),
                        path.display()
                    )
                })?;
                info!(qube = %qube.name(), path = %path.display(), "listening for the qube's agent");
                qube.not_connected_because = Some(format!(
                    "waiting for its agent to connect to {}",
                    path.display()
                ));
                airgui_wayland_common::listener::watch(
                    &state.airgui.handle,
                    "qube",
                    listener,
                    move |state, listener| accept(state, index, listener),
                )?;
            }
            QubeEndpoint::Connect(path) => {
                start_connector(state, index, VchanConnector::new(&path))
            }
        }
    }
    Ok(())
}

fn accept(state: &mut State, index: usize, listener: &QubeListener) -> std::io::Result<()> {
    while let Some(stream) = listener.accept()? {
        // The agent is already here: a refused pool ends this connection, and its next one is
        // checked again.
        if let Ok(pool) = configured_pool(state, index) {
            attach(state, index, stream, pool);
        }
    }
    Ok(())
}

/// Connects to an agent listening in the vchan-socket layout, retrying with a growing delay.
/// A configured pool is checked before each attempt: an agent connected to and then dropped
/// because of its pool would give up (the Qubes agent exits), so airgui waits, saying why,
/// until the pool is usable.
fn start_connector(state: &mut State, index: usize, mut connector: VchanConnector) {
    let timer = Timer::from_duration(Duration::ZERO);
    let inserted = state
        .airgui
        .handle
        .insert_source(timer, move |_, _, state| {
            let Ok(pool) = configured_pool(state, index) else {
                return TimeoutAction::ToDuration(connector.retry_delay());
            };
            match connector.try_connect() {
                Ok(Some(stream)) => {
                    if attach(state, index, stream, pool) {
                        return TimeoutAction::Drop;
                    }
                    TimeoutAction::ToDuration(connector.retry_delay())
                }
                Ok(None) => {
                    let why = format!(
                        "its agent is not listening at {}",
                        connector.path().display()
                    );
                    not_connected(state, index, why);
                    TimeoutAction::ToDuration(connector.retry_delay())
                }
                Err(error) => {
                    let why = format!(
                        "cannot connect to its agent at {}: {error}",
                        connector.path().display()
                    );
                    not_connected(state, index, why);
                    TimeoutAction::ToDuration(connector.retry_delay())
                }
            }
        });
    if let Err(error) = inserted {
        warn!(%error, "cannot schedule the connection to a qube");
    }
}

/// The qube's configured pool, opened and checked (`Ok(None)` when the agent sends its own);
/// `Err` (logged, and kept as the qube's status) when it is refused.
fn configured_pool(state: &mut State, index: usize) -> Result<Option<GrantPool>, ()> {
    let Some(qube) = state.airgui.qubes.get(index) else {
        return Err(());
    };
    let Some(path) = &qube.config.pool else {
        return Ok(None);
    };
    match GrantPool::open(path, qube.config.max_pool_bytes) {
        Ok(pool) => Ok(Some(pool)),
        Err(error) => {
            let why = format!("its configured pool {} is refused: {error}", path.display());
            not_connected(state, index, why);
            Err(())
        }
    }
}

/// Records why the qube is not connected (shown by `airgui msg qubes`); logged as a warning
/// when the reason changes, so that a retry every few seconds does not flood the log.
fn not_connected(state: &mut State, index: usize, why: String) {
    let Some(qube) = state.airgui.qubes.get_mut(index) else {
        return;
    };
    if qube.not_connected_because.as_deref() == Some(why.as_str()) {
        debug!(qube = %qube.name(), "still not connected: {why}");
    } else {
        warn!(qube = %qube.name(), "not connected: {why}");
        qube.not_connected_because = Some(why);
    }
}

/// A qube's agent connected: watch its socket. False if the connection could not be taken.
fn attach(state: &mut State, index: usize, stream: QubeStream, pool: Option<GrantPool>) -> bool {
    let airgui = &mut state.airgui;
    let Some(qube) = airgui.qubes.get_mut(index) else {
        return false;
    };
    if qube.link.is_some() {
        warn!(qube = %qube.name(), "refused a second connection while one is live");
        return false;
    }
    // The output as it is now (it follows RDP client resizes): the xconf and the 90% rule.
    let (output_width, output_height) = airgui.shell.output();
    let config = DaemonConfig {
        limits: guid_protocol::sanitize::Limits {
            max_windows: qube.config.max_windows,
            allow_utf8_titles: qube.config.allow_utf8_titles,
            output_width,
            output_height,
        },
        max_pool_bytes: qube.config.max_pool_bytes,
    };
    let connection = match pool {
        None => DaemonConnection::new(config),
        Some(pool) => DaemonConnection::with_pool(config, pool),
    };
    let stream = Rc::new(stream);
    let source = Generic::new(Rc::clone(&stream), Interest::READ, Mode::Level);
    let read = match airgui.handle.insert_source(source, move |_, _, state| {
        readable(state, index);
        Ok(PostAction::Continue)
    }) {
        Ok(token) => token,
        Err(error) => {
            let why = format!("cannot watch its socket: {error}");
            not_connected(state, index, why);
            return false;
        }
    };
    info!(qube = %qube.name(), "agent connected");
    qube.not_connected_because = None;
    qube.link = Some(QubeLink {
        connection,
        stream,
        read,
        write: None,
    });
    true
}

/// Reads what the qube sent, up to the budget, and applies the events.
fn readable(state: &mut State, index: usize) {
    let mut buffer = std::mem::take(&mut state.airgui.read_buffer);
    buffer.resize(READ_CHUNK, 0);
    let mut budget = READ_BUDGET;
    while budget > 0 {
        let (events, end) = read_once(state, index, &mut buffer);
        let read = events.bytes;
        for event in events.events {
            super::events::apply(state, index, event);
        }
        if let Some(reason) = end {
            disconnect(state, index, &reason);
            break;
        }
        if read == 0 {
            break;
        }
        budget = budget.saturating_sub(read);
    }
    state.airgui.read_buffer = buffer;
    // The handshake and the acknowledgements are queued by the connection itself.
    if let Some(qube) = state.airgui.qubes.get_mut(index) {
        if let Some(link) = &mut qube.link {
            qube.needs_flush |= !link.connection.outgoing().is_empty();
        }
    }
}

struct Batch {
    bytes: usize,
    events: Vec<QubeEvent>,
}

/// One `recv` and the events in it; `Some(reason)` when the connection must end.
fn read_once(state: &mut State, index: usize, buffer: &mut [u8]) -> (Batch, Option<String>) {
    let mut batch = Batch {
        bytes: 0,
        events: Vec::new(),
    };
    let Some(link) = link_mut(state, index) else {
        return (batch, None);
    };
    let received = match link.stream.recv(buffer) {
        Ok(received) if received.len == 0 => {
            return (batch, Some("the agent closed the connection".into()))
        }
        Ok(received) => received,
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => return (batch, None),
        Err(error) if error.kind() == io::ErrorKind::Interrupted => return (batch, None),
        Err(error) => return (batch, Some(format!("read failed: {error}"))),
    };
    batch.bytes = received.len;
    for fd in received.fds {
        if let Err(error) = link.connection.receive_descriptor(fd) {
            return (batch, Some(format!("protocol error: {error}")));
        }
    }
    let mut input = buffer.get(..received.len).unwrap_or_default();
    loop {
        match link.connection.receive(&mut input) {
            Ok(Some(event)) => batch.events.push(event),
            Ok(None) => return (batch, None),
            Err(error) => return (batch, Some(format!("protocol error: {error}"))),
        }
    }
}

/// Writes every qube's queued bytes; called once after each turn of the event loop.
pub fn flush_all(state: &mut State) {
    queue_released_acks(state);
    for index in 0..state.airgui.qubes.len() {
        if state.airgui.qubes.get(index).is_some_and(|q| q.needs_flush) {
            if let Err(reason) = flush(state, index) {
                disconnect(state, index, &reason);
            }
        }
    }
}

/// The acks of dumps whose replaced images this turn let go of (a window's image replaced, a
/// texture that read the old one in place redrawn).
fn queue_released_acks(state: &mut State) {
    let mut failed = Vec::new();
    for (index, qube) in state.airgui.qubes.iter_mut().enumerate() {
        let Some(link) = &mut qube.link else {
            continue;
        };
        match link.connection.queue_released_acks() {
            Ok(queued) => qube.needs_flush |= queued,
            Err(error) => failed.push((index, format!("protocol error: {error}"))),
        }
    }
    for (index, reason) in failed {
        disconnect(state, index, &reason);
    }
}

/// Writes what the socket takes; watches for writability while something is left.
fn flush(state: &mut State, index: usize) -> Result<(), String> {
    let airgui = &mut state.airgui;
    let Some(qube) = airgui.qubes.get_mut(index) else {
        return Ok(());
    };
    qube.needs_flush = false;
    let Some(link) = &mut qube.link else {
        return Ok(());
    };
    let done = link
        .stream
        .flush(link.connection.outgoing())
        .map_err(|error| format!("write failed: {error}"))?;
    match (done, link.write) {
        (true, Some(token)) => {
            airgui.handle.remove(token);
            link.write = None;
        }
        (false, None) => {
            // A second descriptor on the socket, so that epoll watches writes apart from reads.
            let fd = (link.stream.as_fd().try_clone_to_owned())
                .map_err(|e| format!("cannot watch writes: {e}"))?;
            let source = Generic::new(fd, Interest::WRITE, Mode::Level);
            let token = airgui
                .handle
                .insert_source(source, move |_, _, state| Ok(writable(state, index)))
                .map_err(|error| format!("cannot watch writes: {error}"))?;
            link.write = Some(token);
        }
        _ => {}
    }
    Ok(())
}

/// The socket drained: write more, and stop watching once everything is out.
fn writable(state: &mut State, index: usize) -> PostAction {
    let Some(link) = link_mut(state, index) else {
        return PostAction::Remove;
    };
    match link.stream.flush(link.connection.outgoing()) {
        Ok(true) => {
            link.write = None;
            PostAction::Remove
        }
        Ok(false) => PostAction::Continue,
        Err(error) => {
            link.write = None;
            disconnect(state, index, &format!("write failed: {error}"));
            PostAction::Remove
        }
    }
}

fn link_mut(state: &mut State, index: usize) -> Option<&mut QubeLink> {
    state.airgui.qubes.get_mut(index)?.link.as_mut()
}

/// Ends a qube's connection: its windows vanish, nothing else changes. A qube in connect mode
/// is retried.
pub fn disconnect(state: &mut State, index: usize, reason: &str) {
    let airgui = &mut state.airgui;
    let Some(qube) = airgui.qubes.get_mut(index) else {
        return;
    };
    let Some(link) = qube.link.take() else {
        return;
    };
    airgui.handle.remove(link.read);
    if let Some(token) = link.write {
        airgui.handle.remove(token);
    }
    warn!(qube = %qube.name(), "disconnected: {reason}");
    qube.not_connected_because = Some(format!("disconnected: {reason}"));
    let windows = std::mem::take(&mut qube.windows);
    let endpoint = qube.config.endpoint.clone();
    for id in windows.keys() {
        let key = super::WindowKey {
            qube: index,
            window: *id,
        };
        airgui.shell.remove(ShellKey::Qube(key));
        state.backend.forget_window(TextureKey::Qube(key));
    }
    drop(windows);
    state.airgui.input.layout_changed = true;
    state.sync_keyboard_focus();
    state.airgui.queue_redraw();
    if let QubeEndpoint::Connect(path) = endpoint {
        start_connector(state, index, VchanConnector::new(&path));
    }
}
