//! A byte budget on what a zone may send before it has logged in. IronRDP's framed reader
//! buffers a PDU until the length its header announces has arrived; during CredSSP that length
//! is a DER length a hostile slave chooses freely, so without a budget a slave could make the
//! master buffer gigabytes. The whole connection sequence of a real zone is a few tens of
//! kilobytes; once the session runs, every PDU length is bounded by the protocol (TPKT and
//! fast-path lengths are 16-bit), and the budget is lifted.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What a zone may send until [`ReadBudget::lift`]: far more than any real login needs.
pub(crate) const LOGIN_READ_BUDGET: u64 = 4 << 20;

#[derive(Debug)]
pub(crate) struct ReadBudget<S> {
    inner: S,
    /// Bytes still allowed; `None` once lifted.
    left: Option<u64>,
}

impl<S> ReadBudget<S> {
    pub(crate) fn new(inner: S, budget: u64) -> Self {
        ReadBudget {
            inner,
            left: Some(budget),
        }
    }

    /// No more limit (the zone has logged in).
    pub(crate) fn lift(&mut self) {
        self.left = None;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadBudget<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.left == Some(0) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("it sent more than {LOGIN_READ_BUDGET} bytes while logging in"),
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        if let Some(left) = &mut self.left {
            *left = left.saturating_sub(read);
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
        limited.lift();
        assert_eq!(limited.read(&mut buf).await.unwrap(), 20);
    }
}
