//! Bytes waiting to be written to the peer, with a cap.

/// The cap on bytes queued for an agent that does not read (spec §1).
pub const MAX_QUEUED_BYTES: usize = 10 * 1024 * 1024;

/// A FIFO of bytes for the transport to write: `pending()` to write from, `consume(n)` after a
/// write of `n` bytes.
#[derive(Debug, Default)]
pub struct Outgoing {
    buf: Vec<u8>,
    start: usize,
}

impl Outgoing {
    /// The bytes not yet written.
    pub fn pending(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks `n` bytes as written.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// The buffer to append a message to.
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}
