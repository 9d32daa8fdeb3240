//! The connection to the GUI qube: the socket, the protocol state machine, the grant pool, and
//! the write queue (spec §1, §2).

use std::io;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use anyhow::Context;
use guid_protocol::msg::{Message, Version, XConf};
use guid_protocol::transport::QubeStream;
use guid_protocol::{AgentConnection, AgentEvent, PoolAllocator};
use rustix::event::{PollFd, PollFlags, Timespec};
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{Interest, Mode, PostAction, RegistrationToken};
use tracing::warn;

use super::Agent;

/// Pages the pool starts with; it grows as windows need more.
const INITIAL_POOL_PAGES: usize = 1024;
/// The daemon's default cap on a pool (1 GiB), in pages: a larger pool would be refused.
const MAX_POOL_PAGES: usize = (1 << 30) / guid_protocol::msg::PAGE_SIZE;
/// Bytes read from the daemon at once.
const READ_CHUNK: usize = 64 * 1024;
/// While more than this waits for a daemon that does not read, what clients change is kept per
/// window, latest only, instead of queued (see `backlog`).
const MAX_BACKLOG: usize = 1 << 20;
/// Past this, a client asking for more to be sent is disconnected rather than the queue growing
/// on; with the above, what clients cause stays far below it.
const MAX_QUEUED: usize = 16 << 20;
/// How long the daemon may take to greet us.
const GREETING_TIMEOUT: Duration = Duration::from_secs(30);

/// The socket to the daemon: connected to its socket, or accepted on ours (vchan layout).
pub fn open(connect: Option<&Path>, listen: Option<&Path>) -> anyhow::Result<QubeStream> {
    match (connect, listen) {
        (Some(path), _) => QubeStream::connect(path)
            .with_context(|| format!("cannot connect to the GUI qube at {}", path.display())),
        (None, Some(path)) => {
            match std::fs::remove_file(path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    return Err(error).with_context(|| format!("removing {}", path.display()))
                }
                _ => {}
            }
            let listener = UnixListener::bind(path)
                .with_context(|| format!("cannot listen on {}", path.display()))?;
            tracing::info!(socket = %path.display(), "waiting for the GUI qube to connect");
            let (stream, _) = listener.accept().context("accepting the GUI qube")?;
            QubeStream::from_stream(stream).context("setting up the GUI qube's socket")
        }
        (None, None) => anyhow::bail!("give --connect or --listen"),
    }
}

/// The agent's end of the GUI protocol.
#[derive(Debug)]
pub struct DaemonLink {
    stream: Rc<QubeStream>,
    connection: AgentConnection,
    pub pool: PoolAllocator,
    pub version: Version,
    pub xconf: XConf,
    /// Reused for every read.
    read_buffer: Vec<u8>,
    /// The source watching for writability while bytes wait.
    write: Option<RegistrationToken>,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

impl DaemonLink {
    /// Sends the version word with a fresh pool and waits for the daemon's greeting: nothing
    /// can be shown before the output size is known, so the agent waits here, once.
    pub fn handshake(stream: QubeStream) -> anyhow::Result<DaemonLink> {
        let pool = PoolAllocator::new(INITIAL_POOL_PAGES, MAX_POOL_PAGES)
            .context("creating the grant pool")?;
        let mut connection = AgentConnection::new(Version::CURRENT);
        stream
            .send_version_with_pool(connection.outgoing(), pool.fd())
            .context("sending the version and the pool")?;
        let mut buffer = [0u8; 4 + XConf::LEN];
        let mut have = 0;
        let timeout = Timespec::try_from(GREETING_TIMEOUT).unwrap_or_default();
        loop {
            let mut fds = [PollFd::new(&stream, PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) => anyhow::bail!("the GUI qube did not answer the handshake"),
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error).context("waiting for the GUI qube"),
            }
            // Only the greeting is read here, so that nothing after it is lost.
            let Some(rest) = buffer.get_mut(have..) else {
                anyhow::bail!("the GUI qube's greeting did not parse");
            };
            let received = match stream.recv(rest) {
                Ok(received) if received.len == 0 => {
                    anyhow::bail!("the GUI qube refused the connection")
                }
                Ok(received) => received,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Err(error).context("reading the GUI qube's greeting"),
            };
            let mut input = buffer.get(have..have + received.len).unwrap_or_default();
            have += received.len;
            if let Some(AgentEvent::Connected { version, xconf }) =
                connection.receive(&mut input)?
            {
                return Ok(DaemonLink {
                    stream: Rc::new(stream),
                    connection,
                    pool,
                    version,
                    xconf,
                    read_buffer: vec![0; READ_CHUNK],
                    write: None,
                    closed: None,
                });
            }
        }
    }

    /// Queues a message for the daemon.
    pub fn send(&mut self, window: u32, message: &Message) {
        if let Err(error) = self.connection.send(window, message) {
            // Only a message type an agent may not send fails; that is our bug, not the peer's.
            tracing::error!(%error, "not sent to the GUI qube");
        }
    }

    /// Whether so much waits for the daemon that window state should be kept rather than queued.
    pub fn congested(&self) -> bool {
        self.connection.queued() > MAX_BACKLOG
    }

    /// Whether the queue passed its hard cap.
    pub fn overflowing(&self) -> bool {
        self.connection.queued() > MAX_QUEUED
    }

    /// Whether everything queued has been written to the socket.
    pub fn is_flushed(&self) -> bool {
        self.connection.queued() == 0
    }

    pub fn closed_reason(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// Whether pages replaced by a dump are freed only on the daemon's WINDOW_DUMP_ACK (1.7+).
    pub fn acknowledges_dumps(&self) -> bool {
        self.version.minor >= 7
    }
}

/// Watches the daemon's socket for messages.
pub fn watch(agent: &mut Agent) -> anyhow::Result<()> {
    let source = Generic::new(Rc::clone(&agent.link.stream), Interest::READ, Mode::Level);
    agent
        .handle
        .insert_source(source, |_, _, agent| {
            readable(agent);
            Ok(PostAction::Continue)
        })
        .map_err(|error| anyhow::anyhow!("cannot watch the GUI qube's socket: {error}"))?;
    Ok(())
}

/// Reads what the daemon sent and acts on each message.
fn readable(agent: &mut Agent) {
    let mut buffer = std::mem::take(&mut agent.link.read_buffer);
    buffer.resize(READ_CHUNK, 0);
    receive(agent, &mut buffer);
    agent.link.read_buffer = buffer;
}

fn receive(agent: &mut Agent, buffer: &mut [u8]) {
    let received = match agent.link.stream.recv(buffer) {
        Ok(received) if received.len == 0 => {
            return close(agent, "the GUI qube closed the connection".into())
        }
        Ok(received) => received,
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            return
        }
        Err(error) => return close(agent, format!("reading from the GUI qube failed: {error}")),
    };
    let mut input = buffer.get(..received.len).unwrap_or_default();
    loop {
        match agent.link.connection.receive(&mut input) {
            Ok(Some(AgentEvent::Message { window, message })) => {
                super::input::handle_message(agent, window, message)
            }
            Ok(Some(AgentEvent::Connected { .. })) => {}
            Ok(None) => return,
            Err(error) => return close(agent, format!("the GUI qube broke the protocol: {error}")),
        }
    }
}

/// Writes what the socket takes; watches for writability while something is left. Once
/// everything is out, what waited for the daemon to catch up goes: window state kept while it
/// was not reading, and frame callbacks.
pub fn flush(agent: &mut Agent) {
    if agent.link.closed.is_some() || agent.link.write.is_some() {
        return;
    }
    if !agent.link.congested() {
        super::windows::catch_up(agent);
    }
    match write_out(agent) {
        Some(true) => super::frames::daemon_caught_up(agent),
        Some(false) => watch_writes(agent),
        None => {}
    }
}

/// Writes what the socket takes: `Some(true)` once everything is out, `None` if the
/// connection failed.
fn write_out(agent: &mut Agent) -> Option<bool> {
    let link = &mut agent.link;
    match link.stream.flush(link.connection.outgoing()) {
        Ok(done) => Some(done),
        Err(error) => {
            close(agent, format!("writing to the GUI qube failed: {error}"));
            None
        }
    }
}

/// Watches a second descriptor of the socket for writability, apart from reads.
fn watch_writes(agent: &mut Agent) {
    let fd = match agent.link.stream.as_fd().try_clone_to_owned() {
        Ok(fd) => fd,
        Err(error) => return close(agent, format!("cannot watch writes: {error}")),
    };
    let source = Generic::new(fd, Interest::WRITE, Mode::Level);
    match agent
        .handle
        .insert_source(source, |_, _, agent| Ok(writable(agent)))
    {
        Ok(token) => agent.link.write = Some(token),
        Err(error) => close(agent, format!("cannot watch writes: {error}")),
    }
}

/// The socket takes bytes again: write on; once all is out, stop watching.
fn writable(agent: &mut Agent) -> PostAction {
    match write_out(agent) {
        Some(false) => PostAction::Continue,
        Some(true) => {
            agent.link.write = None;
            flush(agent);
            PostAction::Remove
        }
        None => {
            agent.link.write = None;
            PostAction::Remove
        }
    }
}

/// The daemon is gone: the agent stops, and with it every client's connection.
fn close(agent: &mut Agent, reason: String) {
    if agent.link.closed.is_none() {
        warn!("{reason}");
        agent.link.closed = Some(reason);
    }
    agent.signal.stop();
}
