//! An IPC client's replies waiting for its socket: written without blocking, bounded in bytes,
//! and watched for progress, so that a client that stops reading costs a bounded amount of
//! memory and is noticed.

use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::net::SendFlags;

/// The most reply bytes one client may leave unread; past it the client is dropped. Replies are
/// small JSON (a screenshot's is its path), so only a client that does not read reaches this.
pub const MAX_QUEUED: usize = 4 << 20;
/// How long queued replies may sit without the client taking a byte of them.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a client's replies cannot wait any longer.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("it leaves more than {MAX_QUEUED} bytes of replies unread")]
    Overflow,
    #[error("it has not read its replies for {} s ({queued} bytes waiting)", STALL_TIMEOUT.as_secs())]
    Stalled { queued: usize },
    #[error("writing its reply failed: {0}")]
    Write(io::Error),
}

#[derive(Debug)]
pub struct Outbox {
    replies: VecDeque<Vec<u8>>,
    /// Bytes of the front reply already written.
    written: usize,
    /// Bytes not yet written, over all replies.
    queued: usize,
    /// When the client last took bytes, or when replies started waiting.
    progress_at: Instant,
}

impl Outbox {
    pub fn new(now: Instant) -> Self {
        Outbox {
            replies: VecDeque::new(),
            written: 0,
            queued: 0,
            progress_at: now,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Queues a reply behind the others.
    pub fn push(&mut self, reply: Vec<u8>, now: Instant) -> Result<(), OutboxError> {
        if reply.is_empty() {
            return Ok(());
        }
        if self.is_empty() {
            self.progress_at = now;
        }
        self.queued = self.queued.saturating_add(reply.len());
        self.replies.push_back(reply);
        if self.queued > MAX_QUEUED {
            return Err(OutboxError::Overflow);
        }
        Ok(())
    }

    /// Writes what the socket takes now, never waiting.
    pub fn flush(&mut self, socket: impl AsFd, now: Instant) -> Result<(), OutboxError> {
        while let Some(front) = self.replies.front() {
            let rest = front.get(self.written..).unwrap_or_default();
            let flags = SendFlags::DONTWAIT | SendFlags::NOSIGNAL;
            match rustix::net::send(&socket, rest, flags) {
                Ok(n) => {
                    self.written += n;
                    self.queued = self.queued.saturating_sub(n);
                    self.progress_at = now;
                    if self.written >= front.len() {
                        self.replies.pop_front();
                        self.written = 0;
                    }
                }
                Err(rustix::io::Errno::AGAIN) => break,
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(OutboxError::Write(error.into())),
            }
        }
        Ok(())
    }

    /// Fails once replies have waited [`STALL_TIMEOUT`] without the client taking any.
    pub fn check_progress(&self, now: Instant) -> Result<(), OutboxError> {
        if !self.is_empty() && now.duration_since(self.progress_at) >= STALL_TIMEOUT {
            return Err(OutboxError::Stalled {
                queued: self.queued,
            });
        }
        Ok(())
    }

    /// When [`Outbox::check_progress`] next needs to look (no sooner than `now`).
    pub fn next_check(&self, now: Instant) -> Instant {
        let from = if self.is_empty() {
            now
        } else {
            self.progress_at
        };
        (from + STALL_TIMEOUT).max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixStream;

    #[test]
    fn replies_go_out_in_order_as_the_client_reads() {
        let (server, mut client) = UnixStream::pair().unwrap();
        let now = Instant::now();
        let mut outbox = Outbox::new(now);
        outbox.push(b"one\n".to_vec(), now).unwrap();
        outbox.push(b"two\n".to_vec(), now).unwrap();
        outbox.flush(&server, now).unwrap();
        assert!(outbox.is_empty());
        let mut got = [0u8; 8];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"one\ntwo\n");
    }

    /// The client never reads: writes stop at the socket's capacity without blocking, the rest
    /// waits, and the client is given up once nothing moved for the timeout.
    #[test]
    fn a_client_that_does_not_read_stalls_and_is_given_up() {
        let (server, client) = UnixStream::pair().unwrap();
        let start = Instant::now();
        let mut outbox = Outbox::new(start);
        let reply = vec![b'x'; 64 << 10];
        for _ in 0..(MAX_QUEUED / reply.len()) {
            outbox.push(reply.clone(), start).unwrap();
            outbox.flush(&server, start).unwrap();
        }
        assert!(!outbox.is_empty(), "the socket took everything");
        outbox.check_progress(start).unwrap();
        let later = start + STALL_TIMEOUT - Duration::from_millis(1);
        outbox.check_progress(later).unwrap();
        assert_eq!(outbox.next_check(later), start + STALL_TIMEOUT);
        let stalled = outbox.check_progress(start + STALL_TIMEOUT);
        assert!(
            matches!(stalled, Err(OutboxError::Stalled { .. })),
            "{stalled:?}"
        );
        drop(client);
    }

    #[test]
    fn replies_past_the_bound_fail() {
        let now = Instant::now();
        let mut outbox = Outbox::new(now);
        outbox.push(vec![0; MAX_QUEUED], now).unwrap();
        let overflow = outbox.push(vec![0; 1], now);
        assert!(
            matches!(overflow, Err(OutboxError::Overflow)),
            "{overflow:?}"
        );
    }

    #[test]
    fn progress_restarts_the_clock() {
        let (server, mut client) = UnixStream::pair().unwrap();
        let start = Instant::now();
        let mut outbox = Outbox::new(start);
        let reply = vec![b'x'; 1 << 20];
        outbox.push(reply.clone(), start).unwrap();
        outbox.push(reply, start).unwrap();
        outbox.flush(&server, start).unwrap();
        assert!(!outbox.is_empty());
        let mut some = vec![0u8; 256 << 10];
        assert!(client.read(&mut some).unwrap() > 0);
        let later = start + STALL_TIMEOUT;
        outbox.flush(&server, later).unwrap();
        outbox.check_progress(later).unwrap();
        assert_eq!(outbox.next_check(later), later + STALL_TIMEOUT);
    }

    #[test]
    fn a_closed_client_fails_the_write() {
        let (server, client) = UnixStream::pair().unwrap();
        drop(client);
        let now = Instant::now();
        let mut outbox = Outbox::new(now);
        outbox.push(b"reply\n".to_vec(), now).unwrap();
        let written = outbox.flush(&server, now);
        assert!(matches!(written, Err(OutboxError::Write(_))), "{written:?}");
    }
}
