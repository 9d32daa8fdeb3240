//! A look at the client's first PDU (X.224 Connection Request) before ironrdp-server sees it, to
//! answer a client that offers no acceptable security with a proper RDP_NEG_FAILURE.
//!
//! ironrdp-acceptor 0.10 encodes that failure but returns its error before writing it
//! (connection.rs, `ConnectionInitiationWaitRequest`), so the client only sees the connection
//! drop. Answering here tells FreeRDP or mstsc "TLS/NLA required" in words. The request bytes are
//! then replayed to ironrdp-server unchanged through [`Prefixed`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

use super::Security;

/// PROTOCOL_SSL, PROTOCOL_HYBRID, PROTOCOL_HYBRID_EX (MS-RDPBCGR 2.2.1.1.1).
const PROTOCOL_SSL: u32 = 0x1;
const PROTOCOL_HYBRID: u32 = 0x2;
const PROTOCOL_HYBRID_EX: u32 = 0x8;
/// RDP_NEG_FAILURE codes (MS-RDPBCGR 2.2.1.2.2).
const SSL_REQUIRED_BY_SERVER: u8 = 0x01;
const HYBRID_REQUIRED_BY_SERVER: u8 = 0x05;
/// A Connection Request is small (a cookie and a negotiation request); more is not RDP.
const MAX_REQUEST: usize = 4096;

/// Reads one TPKT packet: the client's X.224 Connection Request.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).await?;
    let [version, _, high, low] = header;
    let length = usize::from(u16::from_be_bytes([high, low]));
    if version != 3 || !(header.len()..=MAX_REQUEST).contains(&length) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an RDP connection request (bad TPKT header)",
        ));
    }
    let mut request = vec![0u8; length];
    let (head, body) = request.split_at_mut(header.len());
    head.copy_from_slice(&header);
    stream.read_exact(body).await?;
    Ok(request)
}

/// The security protocols the request offers: the RDP_NEG_REQ at its end, or none (0, standard
/// RDP security) without one. `None` when the packet is not a Connection Request; ironrdp then
/// gets it and reports the problem itself.
pub(crate) fn offered_protocols(request: &[u8]) -> Option<u32> {
    // TPKT (4) + length indicator + CR code 0xE0.
    let code = *request.get(5)?;
    if code & 0xF0 != 0xE0 {
        return None;
    }
    let tail = request
        .len()
        .checked_sub(8)
        .and_then(|i| request.get(i..))?;
    match tail {
        [0x01, _, 0x08, 0x00, a, b, c, d] if request.len() >= 4 + 7 + 8 => {
            Some(u32::from_le_bytes([*a, *b, *c, *d]))
        }
        _ => Some(0),
    }
}

/// The failure code to answer with, if `offered` has nothing `security` accepts.
pub(crate) fn refusal(security: Security, offered: u32) -> Option<u8> {
    match security {
        Security::Nla if offered & (PROTOCOL_HYBRID | PROTOCOL_HYBRID_EX) == 0 => {
            Some(HYBRID_REQUIRED_BY_SERVER)
        }
        Security::TlsPassword if offered & PROTOCOL_SSL == 0 => Some(SSL_REQUIRED_BY_SERVER),
        _ => None,
    }
}

/// An X.224 Connection Confirm carrying RDP_NEG_FAILURE with `code`.
pub(crate) fn failure_pdu(code: u8) -> [u8; 19] {
    [
        0x03, 0x00, 0x00, 0x13, // TPKT, 19 bytes
        0x0E, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, // X.224 Connection Confirm
        0x03, 0x00, 0x08, 0x00, code, 0x00, 0x00, 0x00, // RDP_NEG_FAILURE
    ]
}

/// A stream that first yields bytes already read from it.
pub(crate) struct Prefixed<S> {
    prefix: Vec<u8>,
    position: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    pub(crate) fn new(prefix: Vec<u8>, inner: S) -> Self {
        Self {
            prefix,
            position: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(rest) = this.prefix.get(this.position..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            if let Some(chunk) = rest.get(..n) {
                buf.put_slice(chunk);
            }
            this.position += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(protocols: Option<u32>) -> Vec<u8> {
        let mut body = vec![0x00, 0xE0, 0, 0, 0, 0, 0];
        body.extend_from_slice(b"Cookie: mstshash=alice\r\n");
        if let Some(p) = protocols {
            body.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]);
            body.extend_from_slice(&p.to_le_bytes());
        }
        body[0] = u8::try_from(body.len() - 1).unwrap();
        let mut packet = vec![0x03, 0x00];
        packet.extend_from_slice(&u16::try_from(body.len() + 4).unwrap().to_be_bytes());
        packet.extend_from_slice(&body);
        packet
    }

    #[test]
    fn protocols_and_refusals() {
        assert_eq!(offered_protocols(&request(Some(0xB))), Some(0xB));
        assert_eq!(offered_protocols(&request(None)), Some(0));
        assert_eq!(offered_protocols(&[3, 0, 0, 4]), None);
        assert_eq!(refusal(Security::Nla, 0xB), None);
        assert_eq!(refusal(Security::Nla, PROTOCOL_HYBRID), None);
        assert_eq!(refusal(Security::Nla, PROTOCOL_SSL), Some(5));
        assert_eq!(refusal(Security::Nla, 0), Some(5));
        assert_eq!(refusal(Security::TlsPassword, 0xB), None);
        assert_eq!(refusal(Security::TlsPassword, PROTOCOL_HYBRID), Some(1));
    }

    #[tokio::test]
    async fn request_is_read_and_replayed() {
        let packet = request(Some(0x3));
        let mut input = packet.clone();
        input.extend_from_slice(b"next");
        let mut reader = &input[..];
        let read = read_request(&mut reader).await.unwrap();
        assert_eq!(read, packet);
        let mut replay = Prefixed::new(read, tokio::io::join(reader, tokio::io::sink()));
        let mut all = Vec::new();
        replay.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, input);
    }

    #[tokio::test]
    async fn garbage_is_rejected() {
        let mut reader = &b"GET / HTTP/1.1\r\n\r\n"[..];
        assert!(read_request(&mut reader).await.is_err());
    }
}
