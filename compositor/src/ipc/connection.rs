//! One IPC client on the event loop, as one event source: its requests are read without
//! blocking and answered one per turn of the loop (a client that sends many at once cannot hold
//! the loop), and its replies wait in a bounded [`Outbox`] while the socket is full, with the
//! socket watched for writability only then. A client is dropped when a request line grows past
//! [`MAX_REQUEST`] or when it does not read its replies (see [`Outbox`]).

use std::os::unix::net::UnixStream;
use std::time::Instant;

use rustix::net::RecvFlags;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::ping::{make_ping, Ping, PingSource};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{
    EventSource, Interest, Mode, Poll, PostAction, Readiness, Token, TokenFactory,
};
use tracing::{debug, warn};

use super::outbox::{Outbox, OutboxError, STALL_TIMEOUT};

/// The longest request line accepted.
pub const MAX_REQUEST: usize = 1 << 20;
/// Bytes read from a client per turn.
const READ_CHUNK: usize = 4096;

/// Why a client's connection ends.
#[derive(Debug, thiserror::Error)]
enum End {
    #[error("reading failed: {0}")]
    Read(rustix::io::Errno),
    #[error("it sent more than {MAX_REQUEST} bytes without a newline")]
    RequestTooLong,
    #[error(transparent)]
    Replies(#[from] OutboxError),
    #[error("the event loop failed it: {0}")]
    Loop(String),
}

/// An IPC client. Its events are request lines (newline included); the callback returns the
/// reply line (without the newline).
#[derive(Debug)]
pub struct Connection {
    /// Which client, for the log.
    number: u64,
    socket: Generic<UnixStream>,
    /// Wakes the source in the next turn while complete requests wait.
    again: Ping,
    again_source: PingSource,
    /// Looks for a stall while replies wait.
    watchdog: Timer,
    received: Vec<u8>,
    /// The client shut its side: answer what it sent, then end.
    peer_done: bool,
    outbox: Outbox,
}

impl Connection {
    pub fn new(number: u64, stream: UnixStream) -> std::io::Result<Self> {
        let (again, again_source) = make_ping()?;
        let now = Instant::now();
        Ok(Connection {
            number,
            socket: Generic::new(stream, Interest::READ, Mode::Level),
            again,
            again_source,
            watchdog: Timer::from_deadline(now + STALL_TIMEOUT),
            received: Vec::new(),
            peer_done: false,
            outbox: Outbox::new(now),
        })
    }

    fn has_request(&self) -> bool {
        self.received.contains(&b'\n')
    }

    /// One turn: read (if no request waits), answer at most one request, write what the socket
    /// takes. `Ok(false)` when the client is done and has its replies.
    fn turn(
        &mut self,
        readable: bool,
        answer: &mut impl FnMut(Vec<u8>) -> String,
    ) -> Result<bool, End> {
        let now = Instant::now();
        if readable && !self.peer_done && !self.has_request() {
            self.read()?;
        }
        if let Some(end) = self.received.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.received.drain(..=end).collect();
            let mut reply = answer(line).into_bytes();
            reply.push(b'\n');
            self.outbox.push(reply, now)?;
            if self.has_request() {
                self.again.ping();
            }
        } else if self.received.len() > MAX_REQUEST {
            return Err(End::RequestTooLong);
        }
        if !self.outbox.is_empty() {
            self.outbox.flush(self.socket.get_ref(), now)?;
        }
        self.outbox.check_progress(now)?;
        let answered = self.outbox.is_empty() && !self.has_request();
        if self.peer_done && answered {
            return Ok(false);
        }
        Ok(true)
    }

    fn read(&mut self) -> Result<(), End> {
        let mut chunk = [0u8; READ_CHUNK];
        match rustix::net::recv(self.socket.get_ref(), &mut chunk, RecvFlags::DONTWAIT) {
            Ok((0, _)) => {
                self.peer_done = true;
                Ok(())
            }
            Ok((n, _)) => {
                self.received
                    .extend_from_slice(chunk.get(..n).unwrap_or_default());
                Ok(())
            }
            Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => Ok(()),
            Err(error) => Err(End::Read(error)),
        }
    }

    /// Reads while the client may send; writability only while replies wait (or, once the
    /// client is done sending, to come back for its remaining requests).
    fn wanted_interest(&self) -> Interest {
        Interest {
            readable: !self.peer_done,
            writable: !self.outbox.is_empty() || self.peer_done,
        }
    }
}

impl EventSource for Connection {
    type Event = Vec<u8>;
    type Metadata = ();
    type Ret = String;
    type Error = std::io::Error;

    fn process_events<F>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: F,
    ) -> Result<PostAction, Self::Error>
    where
        F: FnMut(Self::Event, &mut Self::Metadata) -> Self::Ret,
    {
        // Errors end this client only: an error returned here would end the event loop.
        let mut readable = false;
        let woken = self.socket.process_events(readiness, token, |ready, _| {
            readable = ready.readable;
            Ok(PostAction::Continue)
        });
        let pinged = self
            .again_source
            .process_events(readiness, token, |(), _| {})
            .map_err(|error| End::Loop(error.to_string()));
        let outbox = &self.outbox;
        let watched = self.watchdog.process_events(readiness, token, |_, _| {
            TimeoutAction::ToInstant(outbox.next_check(Instant::now()))
        });
        let result = woken
            .map_err(|error| End::Loop(error.to_string()))
            .and(pinged)
            .and(watched.map_err(|error| End::Loop(error.to_string())))
            .and_then(|_| self.turn(readable, &mut |line| callback(line, &mut ())));
        match result {
            Ok(true) => {}
            Ok(false) => return Ok(PostAction::Remove),
            Err(end @ (End::Read(_) | End::Replies(OutboxError::Write(_)))) => {
                debug!(client = self.number, "IPC client gone: {end}");
                return Ok(PostAction::Remove);
            }
            Err(end) => {
                warn!(client = self.number, "IPC client dropped: {end}");
                return Ok(PostAction::Remove);
            }
        }
        let (interest, now) = (self.wanted_interest(), self.socket.interest);
        if (interest.readable, interest.writable) != (now.readable, now.writable) {
            self.socket.interest = interest;
            return Ok(PostAction::Reregister);
        }
        Ok(PostAction::Continue)
    }

    fn register(
        &mut self,
        poll: &mut Poll,
        tokens: &mut TokenFactory,
    ) -> smithay::reexports::calloop::Result<()> {
        self.socket.register(poll, tokens)?;
        self.again_source.register(poll, tokens)?;
        self.watchdog.register(poll, tokens)
    }

    fn reregister(
        &mut self,
        poll: &mut Poll,
        tokens: &mut TokenFactory,
    ) -> smithay::reexports::calloop::Result<()> {
        self.socket.reregister(poll, tokens)?;
        self.again_source.reregister(poll, tokens)?;
        self.watchdog.reregister(poll, tokens)
    }

    fn unregister(&mut self, poll: &mut Poll) -> smithay::reexports::calloop::Result<()> {
        self.socket.unregister(poll)?;
        self.again_source.unregister(poll)?;
        self.watchdog.unregister(poll)
    }
}
