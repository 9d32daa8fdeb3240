//! guid-demo-agent: a synthetic qube. It opens windows over the GUI protocol, paints patterns
//! into a sealed grant pool, animates them by damage, and logs every event the daemon sends.

mod log;
mod window;

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use guid_protocol::msg::{Message, Version};
use guid_protocol::pool::PoolAllocator;
use guid_protocol::transport::QubeStream;
use guid_protocol::{AgentConnection, AgentEvent, Rect};
use rustix::event::{PollFd, PollFlags, Timespec};

use crate::log::EventLog;
use crate::window::{DemoWindow, WindowSpec};

/// A synthetic qube for tests, demos and benchmarks.
#[derive(Debug, Parser)]
#[command(version, group(clap::ArgGroup::new("peer").required(true)))]
struct Cli {
    /// Connect to the daemon's socket for this qube (listen mode of the daemon).
    #[arg(long, group = "peer")]
    connect: Option<PathBuf>,
    /// Listen on this path and let the daemon connect (the vchan-socket layout).
    #[arg(long, group = "peer")]
    listen: Option<PathBuf>,
    /// Use an inherited, connected socket descriptor.
    #[arg(long, group = "peer")]
    fd: Option<i32>,
    /// A window: w=640,h=480,x=100,y=80,title=Hello,pattern=gradient|checker|solid:#rrggbb,
    /// animate=none|square|full,fps=30,or (title_hex= for raw bytes). Repeat for more windows.
    #[arg(long = "window", value_name = "SPEC")]
    windows: Vec<WindowSpec>,
    /// Append one JSON line per event from the daemon to this file.
    #[arg(long)]
    log: Option<PathBuf>,
    /// The text this qube's clipboard holds, sent when the daemon asks for it.
    #[arg(long, default_value = "hello from the demo qube")]
    clipboard: String,
    /// After a disconnect, connect again and send every window again.
    #[arg(long)]
    reconnect: bool,
    /// The protocol minor version to offer (major is 1).
    #[arg(long, default_value_t = 8)]
    protocol_minor: u16,
}

/// Stop animating while this much is waiting for a daemon that does not read.
const MAX_BACKLOG: usize = 1 << 20;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let specs = if cli.windows.is_empty() {
        vec![WindowSpec::default()]
    } else {
        cli.windows.clone()
    };
    let mut qube = Qube {
        windows: specs
            .into_iter()
            .zip(1..)
            .map(|(spec, id)| DemoWindow::new(id, spec))
            .collect(),
        pool: PoolAllocator::new(256, 1 << 20).context("creating the grant pool")?,
        log: EventLog::open(cli.log.as_deref()).context("opening the event log")?,
        clipboard: cli.clipboard.clone().into_bytes(),
        version: Version::CURRENT,
        connections: 0,
    };
    let offered = Version {
        major: 1,
        minor: cli.protocol_minor,
    };
    let listener = cli
        .listen
        .as_deref()
        .map(|path| {
            let _ = std::fs::remove_file(path);
            UnixListener::bind(path).with_context(|| format!("listening on {}", path.display()))
        })
        .transpose()?;
    let mut delay = Duration::from_millis(100);
    loop {
        let stream = match (&cli.fd, &cli.connect, &listener) {
            (Some(fd), _, _) => {
                // SAFETY: the caller handed us this descriptor for our exclusive use.
                let owned = unsafe { OwnedFd::from_raw_fd(*fd) };
                QubeStream::from_stream(UnixStream::from(owned))
            }
            (_, Some(path), _) => QubeStream::connect(path),
            (_, _, Some(listener)) => listener
                .accept()
                .and_then(|(stream, _)| QubeStream::from_stream(stream)),
            _ => anyhow::bail!("give --connect, --listen or --fd"),
        };
        let result = match stream {
            Ok(stream) => {
                delay = Duration::from_millis(100);
                qube.serve(&stream, offered)
            }
            Err(error) => Err(anyhow::Error::from(error).context("connecting")),
        };
        qube.disconnected();
        match result {
            Ok(()) => tracing::info!("the daemon closed the connection"),
            Err(error) => tracing::warn!("{error:#}"),
        }
        if !cli.reconnect || cli.fd.is_some() {
            return Ok(());
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The demo qube's state, which outlives connections.
#[derive(Debug)]
struct Qube {
    windows: Vec<DemoWindow>,
    pool: PoolAllocator,
    log: EventLog,
    clipboard: Vec<u8>,
    version: Version,
    /// Connections that completed the handshake so far.
    connections: u32,
}

impl Qube {
    /// Runs one connection until the daemon closes it.
    fn serve(&mut self, stream: &QubeStream, offered: Version) -> anyhow::Result<()> {
        let mut connection = AgentConnection::new(offered);
        stream
            .send_version_with_pool(connection.outgoing(), self.pool.fd())
            .context("sending the version and pool")?;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut connected = false;
        loop {
            let flushed = stream.flush(connection.outgoing())?;
            let deadline = self
                .windows
                .iter()
                .filter_map(|w| w.next_frame)
                .min()
                .filter(|_| connected);
            let timeout = deadline.map(|at| {
                Timespec::try_from(at.saturating_duration_since(Instant::now())).unwrap_or_default()
            });
            let mut flags = PollFlags::IN;
            if !flushed {
                flags |= PollFlags::OUT;
            }
            let mut fds = [PollFd::new(stream, flags)];
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Err(rustix::io::Errno::INTR) => continue,
                result => result.context("poll")?,
            };
            match stream.recv(&mut buffer) {
                Ok(received) if received.len == 0 => return Ok(()),
                Ok(received) => {
                    let mut input = buffer.get(..received.len).unwrap_or_default();
                    while let Some(event) = connection.receive(&mut input)? {
                        let mut out = Vec::new();
                        connected |= matches!(event, AgentEvent::Connected { .. });
                        self.handle(event, &mut out)?;
                        send_all(&mut connection, out)?;
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error).context("reading from the daemon"),
            }
            if connected && connection.outgoing().len() < MAX_BACKLOG {
                let now = Instant::now();
                let mut out = Vec::new();
                for window in &mut self.windows {
                    window.animate(now, &mut self.pool, &mut out);
                }
                // Logged (with --log) as the damage is queued, after the pixels are painted.
                for (window, message) in &out {
                    if let Message::ShmImage(image) = message {
                        let rect = Rect::new(image.x, image.y, image.width, image.height);
                        self.log.damage_sent(*window, rect);
                    }
                }
                send_all(&mut connection, out)?;
            }
        }
    }

    fn handle(&mut self, event: AgentEvent, out: &mut Vec<(u32, Message)>) -> anyhow::Result<()> {
        let (window, message) = match event {
            AgentEvent::Connected { version, xconf } => {
                tracing::info!(%version, width = xconf.width, height = xconf.height, "connected");
                self.log.connected(version, &xconf);
                self.version = version;
                // The first time the windows are created in order; on a reconnect they are
                // listed as the Qubes agent lists the windows it has: newest first.
                if self.connections == 0 {
                    for window in &mut self.windows {
                        window.announce(&mut self.pool, out)?;
                    }
                } else {
                    for window in self.windows.iter_mut().rev() {
                        window.list(&mut self.pool, out)?;
                    }
                }
                self.connections += 1;
                self.release_unacknowledged();
                return Ok(());
            }
            AgentEvent::Message { window, message } => (window, message),
        };
        self.log.message(window, &message);
        let index = self.windows.iter().position(|w| w.id == window);
        match (message, index) {
            (Message::Configure(c), Some(i)) => {
                let geometry = Rect::new(c.x, c.y, c.width, c.height);
                if let Some(w) = self.windows.get_mut(i) {
                    w.configured(geometry, &mut self.pool, out)?;
                }
                self.release_unacknowledged();
            }
            (Message::WindowDumpAck, Some(i)) => {
                if let Some(w) = self.windows.get_mut(i) {
                    w.dump_acknowledged(&mut self.pool);
                }
            }
            (Message::Close, Some(i)) => {
                let mut closed = self.windows.remove(i);
                out.push((closed.id, Message::Destroy));
                // The daemon unmaps the pages when it processes DESTROY, before anything we
                // send later; a reused page can at worst show in a window that is already gone.
                closed.release_all(&mut self.pool);
            }
            (Message::ClipboardReq, _) => {
                out.push((window, Message::ClipboardData(self.clipboard.clone())));
            }
            _ => {}
        }
        Ok(())
    }

    /// Before 1.7 there are no dump acks: replaced buffers are free once the new dump is sent.
    fn release_unacknowledged(&mut self) {
        if self.version.minor < 7 {
            for window in &mut self.windows {
                window.release_replaced(&mut self.pool);
            }
        }
    }

    /// The daemon is gone, and with it every mapping of our pages but the current buffers.
    fn disconnected(&mut self) {
        for window in &mut self.windows {
            window.release_replaced(&mut self.pool);
            window.next_frame = None;
        }
    }
}

fn send_all(connection: &mut AgentConnection, messages: Vec<(u32, Message)>) -> anyhow::Result<()> {
    for (window, message) in messages {
        connection.send(window, &message)?;
    }
    Ok(())
}
