//! A byte budget on what a peer may send before it has logged in. IronRDP's framed reader
//! buffers a PDU until the length its header announces has arrived; during CredSSP that length
//! is a DER length the peer chooses freely (and sspi answers an impossible one with "need more
//! bytes"), so without a budget a hostile zone or RDP client could make us buffer gigabytes. A
//! whole real connection sequence is a few tens of kilobytes; once the session runs, every PDU
//! length is bounded by the protocol (TPKT and fast-path lengths are 16-bit), and the budget is
//! lifted.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What a zone (the master's peer) may send until the budget is lifted: far more than any real
/// login needs.
pub(crate) const LOGIN_READ_BUDGET: u64 = 4 << 20;

#[derive(Debug)]
pub(crate) struct ReadBudget<S> {
    inner: S,
    budget: u64,
    /// Bytes still allowed while not lifted.
    left: u64,
    lifted: BudgetLift,
}

/// Lifts a [`ReadBudget`] from wherever the login is seen to succeed (the stream itself may be
/// owned by IronRDP by then).
#[derive(Clone, Debug, Default)]
pub(crate) struct BudgetLift(Arc<AtomicBool>);

impl BudgetLift {
    /// No more limit (the peer has logged in).
    pub(crate) fn lift(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_lifted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl<S> ReadBudget<S> {
    pub(crate) fn new(inner: S, budget: u64) -> Self {
        ReadBudget {
            inner,
            budget,
            left: budget,
            lifted: BudgetLift::default(),
        }
    }

    /// A handle that lifts this budget.
    pub(crate) fn lift_handle(&self) -> BudgetLift {
        self.lifted.clone()
    }

    /// No more limit (the peer has logged in).
    pub(crate) fn lift(&self) {
        self.lifted.lift();
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadBudget<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let lifted = self.lifted.is_lifted();
        if !lifted && self.left == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the peer sent more than {} bytes while logging in",
                    self.budget
                ),
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        if !lifted {
            self.left = self.left.saturating_sub(read);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReadBudget<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn reads_fail_past_the_budget_until_lifted() {
        let data = [7u8; 100];
        let mut limited = ReadBudget::new(&data[..], 64);
        let mut buf = [0u8; 40];
        assert_eq!(limited.read(&mut buf).await.unwrap(), 40);
        assert_eq!(limited.read(&mut buf).await.unwrap(), 40);
        let error = limited.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        limited.lift_handle().lift();
        assert_eq!(limited.read(&mut buf).await.unwrap(), 20);
    }
}
