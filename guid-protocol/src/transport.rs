//! Thin transports around the sans-IO connections: Unix stream sockets, the pool descriptor as
//! `SCM_RIGHTS` on the version word, non-blocking reads and queued writes.

use std::cell::RefCell;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use rustix::net::{
    self, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

use crate::outgoing::Outgoing;

/// Descriptors accepted in one read; any beyond this are closed by the kernel (MSG_CTRUNC).
const MAX_FDS_PER_READ: usize = 2;

/// One qube's stream socket, non-blocking.
#[derive(Debug)]
pub struct QubeStream {
    stream: UnixStream,
    /// Held while the connection lives, so that its listener refuses a second one.
    _slot: Option<Arc<()>>,
}

/// What one read brought.
#[derive(Debug)]
pub struct Received {
    /// Bytes read; 0 means the peer closed the connection.
    pub len: usize,
    pub fds: Vec<OwnedFd>,
}

impl QubeStream {
    fn new(stream: UnixStream, slot: Option<Arc<()>>) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(QubeStream {
            stream,
            _slot: slot,
        })
    }

    /// Connects to a daemon's (or, for the vchan layout, an agent's) socket.
    pub fn connect(path: &Path) -> io::Result<Self> {
        QubeStream::new(UnixStream::connect(path)?, None)
    }

    /// Wraps one end of a socketpair, for tests and in-process peers.
    pub fn from_stream(stream: UnixStream) -> io::Result<Self> {
        QubeStream::new(stream, None)
    }

    /// Reads what is available, with any descriptors that came along.
    /// `WouldBlock` means nothing is available now.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        let mut space =
            [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS_PER_READ))];
        let mut ancillary = RecvAncillaryBuffer::new(&mut space);
        let mut iov = [io::IoSliceMut::new(buf)];
        let received = net::recvmsg(
            &self.stream,
            &mut iov,
            &mut ancillary,
            RecvFlags::CMSG_CLOEXEC | RecvFlags::DONTWAIT,
        )?;
        let mut fds = Vec::new();
        for message in ancillary.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = message {
                fds.extend(rights);
            }
        }
        Ok(Received {
            len: received.bytes,
            fds,
        })
    }

    /// Writes as much of `outgoing` as the socket takes now; true once everything is written.
    pub fn flush(&self, outgoing: &mut Outgoing) -> io::Result<bool> {
        while !outgoing.is_empty() {
            match net::send(
                &self.stream,
                outgoing.pending(),
                SendFlags::NOSIGNAL | SendFlags::DONTWAIT,
            ) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => outgoing.consume(n),
                Err(rustix::io::Errno::AGAIN) => return Ok(false),
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(true)
    }

    /// Sends the agent's version word (the first 4 outgoing bytes) with the pool descriptor
    /// attached, as spec §1 wants. Later bytes go through [`Self::flush`].
    pub fn send_version_with_pool(
        &self,
        outgoing: &mut Outgoing,
        pool: BorrowedFd<'_>,
    ) -> io::Result<()> {
        let word = outgoing
            .pending()
            .first_chunk::<4>()
            .copied()
            .ok_or(io::ErrorKind::InvalidInput)?;
        let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut ancillary = SendAncillaryBuffer::new(&mut space);
        let fds = [pool];
        if !ancillary.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let sent = net::sendmsg(
            &self.stream,
            &[io::IoSlice::new(&word)],
            &mut ancillary,
            SendFlags::NOSIGNAL,
        )?;
        if sent != word.len() {
            return Err(io::ErrorKind::WriteZero.into());
        }
        outgoing.consume(word.len());
        Ok(())
    }
}

impl AsFd for QubeStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

/// The daemon's socket for one qube (listen mode, spec §1). Whoever connects is that qube; one
/// connection at a time.
#[derive(Debug)]
pub struct QubeListener {
    listener: UnixListener,
    path: PathBuf,
    /// The live connection's slot; behind a cell so that `accept` needs only `&self`, as event
    /// loops hand out their sources' descriptors by shared reference.
    live: RefCell<Weak<()>>,
}

impl QubeListener {
    /// Binds `path` with mode 0600, replacing a stale socket and creating its directory (0700).
    pub fn bind(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir)?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        match std::fs::remove_file(path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        listener.set_nonblocking(true)?;
        Ok(QubeListener {
            listener,
            path: path.to_owned(),
            live: RefCell::new(Weak::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts the next connection, if any. One that arrives while the previous one lives is
    /// refused (closed at once) and skipped.
    pub fn accept(&self) -> io::Result<Option<QubeStream>> {
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if self.live.borrow().strong_count() > 0 {
                tracing::warn!(path = %self.path.display(), "refused a second connection while one is live");
                continue;
            }
            let slot = Arc::new(());
            *self.live.borrow_mut() = Arc::downgrade(&slot);
            return QubeStream::new(stream, Some(slot)).map(Some);
        }
    }
}

impl AsFd for QubeListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

impl Drop for QubeListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The daemon's side of the vchan-socket layout (connect mode, spec §1): the agent listens and
/// the daemon connects, retrying with a growing delay while the socket is missing.
#[derive(Debug)]
pub struct VchanConnector {
    path: PathBuf,
    delay: Duration,
}

impl VchanConnector {
    const FIRST_DELAY: Duration = Duration::from_millis(100);
    const MAX_DELAY: Duration = Duration::from_secs(5);

    pub fn new(path: &Path) -> Self {
        VchanConnector {
            path: path.to_owned(),
            delay: Self::FIRST_DELAY,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Connects if the agent is listening; `Ok(None)` means try again after [`Self::retry_delay`].
    pub fn try_connect(&mut self) -> io::Result<Option<QubeStream>> {
        match UnixStream::connect(&self.path) {
            Ok(stream) => {
                self.delay = Self::FIRST_DELAY;
                QubeStream::new(stream, None).map(Some)
            }
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// How long to wait before the next attempt; each call doubles the next one, up to 5 s.
    pub fn retry_delay(&mut self) -> Duration {
        let delay = self.delay;
        self.delay = (self.delay * 2).min(Self::MAX_DELAY);
        delay
    }
}
