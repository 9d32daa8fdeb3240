//! [`RawAgent`]: a qube written here, message by message, that can break every rule of the
//! protocol.

use std::fmt::Debug;
use std::io;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use guid_demo_agent::pattern::Pattern;
use guid_protocol::codec;
use guid_protocol::msg::{Create, Map, Message, ShmImage, Version, WmName};
use guid_protocol::transport::QubeStream;
use guid_protocol::{AgentConnection, AgentEvent, PoolAllocator, Rect};
use rustix::event::{PollFd, PollFlags, Timespec};

use crate::{wait_for, PATIENCE};

/// A qube written in the test: it speaks the protocol byte by byte, so it can break any rule.
/// What the daemon sends it is decoded into [`RawAgent::inbox`] when asked for.
#[derive(Debug)]
pub struct RawAgent {
    stream: QubeStream,
    connection: AgentConnection,
    pub pool: PoolAllocator,
    /// The messages the daemon sent, as (window, message), oldest first.
    pub inbox: Vec<(u32, Message)>,
}

impl RawAgent {
    /// Connects, hands over a sealed pool with the version word and reads the daemon's greeting.
    pub fn connect(socket: &Path) -> RawAgent {
        let pool = PoolAllocator::new(64, 4096).expect("a grant pool");
        RawAgent::handshake(socket, Version::CURRENT, pool, None)
            .expect("the daemon refused the connection")
    }

    /// Connects and offers `offered` with `pool`'s descriptor, or with `descriptor` instead when
    /// given; then waits for the daemon's greeting (`Some`) or its hanging up (`None`).
    pub fn handshake(
        socket: &Path,
        offered: Version,
        pool: PoolAllocator,
        descriptor: Option<std::os::fd::BorrowedFd<'_>>,
    ) -> Option<RawAgent> {
        let stream = wait_for(&format!("to connect to {}", socket.display()), || {
            QubeStream::connect(socket).map_err(|error| error.to_string())
        });
        let mut connection = AgentConnection::new(offered);
        stream
            .send_version_with_pool(connection.outgoing(), descriptor.unwrap_or(pool.fd()))
            .expect("send the version and the pool");
        let mut agent = RawAgent {
            stream,
            connection,
            pool,
            inbox: Vec::new(),
        };
        wait_for("the daemon's greeting or hanging up", || {
            if agent.connection.version().is_some() {
                return Ok(true);
            }
            poll(&agent.stream, PollFlags::IN);
            match agent.read() {
                Ok(true) => Err("no greeting yet"),
                Ok(false) | Err(_) => Ok(false),
            }
        });
        agent.connection.version().map(|_| agent)
    }

    /// The version the daemon answered.
    pub fn version(&self) -> Option<Version> {
        self.connection.version()
    }

    /// A second descriptor of the socket, for writing from another thread.
    pub fn socket_clone(&self) -> std::os::fd::OwnedFd {
        self.stream
            .as_fd()
            .try_clone_to_owned()
            .expect("dup the socket")
    }

    /// Reads and decodes what is available. `Ok(false)` once the daemon has hung up.
    fn read(&mut self) -> io::Result<bool> {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match self.stream.recv(&mut buffer) {
                Ok(received) if received.len == 0 => return Ok(false),
                Ok(received) => {
                    let mut input = &buffer[..received.len];
                    while let Some(event) = self
                        .connection
                        .receive(&mut input)
                        .map_err(io::Error::other)?
                    {
                        if let AgentEvent::Message { window, message } = event {
                            self.inbox.push((window, message));
                        }
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Waits until the daemon has sent a message matching `matches`; returns it.
    pub fn wait_message(
        &mut self,
        what: &str,
        matches: impl Fn(u32, &Message) -> bool,
    ) -> (u32, Message) {
        wait_for(&format!("{what} from the daemon"), || {
            let open = self.read().unwrap_or(false);
            if let Some(found) = self.inbox.iter().find(|(w, m)| matches(*w, m)) {
                return Ok(found.clone());
            }
            poll(&self.stream, PollFlags::IN);
            Err((open, self.inbox.clone()))
        })
    }

    /// Writes bytes, waiting while the socket is full. An error means the daemon hung up.
    pub fn send_raw(&self, mut bytes: &[u8]) -> io::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        while !bytes.is_empty() {
            let flags = rustix::net::SendFlags::NOSIGNAL | rustix::net::SendFlags::DONTWAIT;
            match rustix::net::send(self.stream.as_fd(), bytes, flags) {
                Ok(n) => bytes = &bytes[n..],
                Err(rustix::io::Errno::AGAIN) => {
                    assert!(Instant::now() < deadline, "the daemon stopped reading");
                    poll(&self.stream, PollFlags::OUT);
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Sends a message of any type for `window`, whoever may send it.
    pub fn send(&self, window: u32, message: &Message) -> io::Result<()> {
        let mut bytes = Vec::new();
        codec::encode(window, message, &mut bytes);
        self.send_raw(&bytes)
    }

    /// A header of any type claiming any body length, followed by `body` (which may be shorter
    /// or longer than claimed).
    pub fn send_header(
        &self,
        msg_type: u32,
        window: u32,
        claimed_len: u32,
        body: &[u8],
    ) -> io::Result<()> {
        let header = codec::Header {
            msg_type,
            window,
            untrusted_len: claimed_len,
        };
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes)
    }

    /// Creates, titles and maps a window and gives it an image painted with `pattern`, as a
    /// well-behaved agent does.
    pub fn create_window(&mut self, id: u32, geometry: Rect, title: &[u8], pattern: Pattern) {
        self.try_create_window(id, geometry, title, pattern)
            .expect("the daemon took the window");
    }

    /// [`RawAgent::create_window`], for when the daemon may hang up on the way.
    pub fn try_create_window(
        &mut self,
        id: u32,
        geometry: Rect,
        title: &[u8],
        pattern: Pattern,
    ) -> io::Result<()> {
        let (width, height) = (geometry.width, geometry.height);
        let run = self
            .pool
            .alloc(width as usize * height as usize * 4)
            .expect("pool pages");
        let whole = Rect::new(0, 0, width, height);
        pattern.paint(self.pool.bytes_mut(&run), width, whole, 0);
        let messages = [
            Message::Create(Create {
                x: geometry.x,
                y: geometry.y,
                width,
                height,
                parent: 0,
                override_redirect: 0,
            }),
            Message::WmName(WmName::new(title)),
            Message::Map(Map {
                transient_for: 0,
                override_redirect: 0,
            }),
            Message::WindowDump(run.dump(width, height)),
            Message::ShmImage(ShmImage {
                x: 0,
                y: 0,
                width,
                height,
            }),
        ];
        messages
            .iter()
            .try_for_each(|message| self.send(id, message))
    }
}

/// Waits up to 100 ms for a socket to be ready for `flags`.
pub fn poll(socket: &impl AsFd, flags: PollFlags) {
    let timeout = Timespec::try_from(Duration::from_millis(100)).expect("a timespec");
    let mut fds = [PollFd::new(socket, flags)];
    match rustix::event::poll(&mut fds, Some(&timeout)) {
        Ok(_) | Err(rustix::io::Errno::INTR) => {}
        Err(error) => panic!("poll: {error}"),
    }
}
