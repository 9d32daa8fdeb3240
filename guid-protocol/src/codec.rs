//! Encoding and decoding of headered messages, and the framer that cuts a byte stream into them.

use crate::msg::*;

/// The 12-byte header of every message. `untrusted_len` is the body length as the peer claims it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub msg_type: u32,
    pub window: u32,
    pub untrusted_len: u32,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        for (chunk, word) in
            out.chunks_exact_mut(4)
                .zip([self.msg_type, self.window, self.untrusted_len])
        {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Self {
        let mut reader = Reader::new(bytes);
        Header {
            msg_type: reader.word(),
            window: reader.word(),
            untrusted_len: reader.word(),
        }
    }

    /// Checks the claimed body length against the type's layout before any of the body is read,
    /// so that no peer can make us buffer more than the largest legal message.
    pub fn check(&self, limits: &DecodeLimits) -> Result<MsgType, DecodeError> {
        let msg_type =
            MsgType::from_u32(self.msg_type).ok_or(DecodeError::UnknownType(self.msg_type))?;
        let actual = self.untrusted_len as usize;
        match msg_type.body_len() {
            BodyLen::Exact(expected) if actual != expected => Err(DecodeError::WrongLength {
                msg_type,
                expected,
                actual,
            }),
            BodyLen::Exact(_) => Ok(msg_type),
            BodyLen::Clipboard if actual > limits.clipboard_max => {
                Err(DecodeError::ClipboardTooLong {
                    max: limits.clipboard_max,
                    actual,
                })
            }
            BodyLen::Clipboard => Ok(msg_type),
            BodyLen::Dump => {
                let refs_bytes = actual
                    .checked_sub(DUMP_HEADER_LEN)
                    .filter(|n| n % 4 == 0)
                    .ok_or(DecodeError::WrongDumpLength(actual))?;
                if refs_bytes / 4 > MAX_DUMP_REFS {
                    return Err(DecodeError::TooManyRefs(refs_bytes / 4));
                }
                Ok(msg_type)
            }
            BodyLen::Refused => Err(DecodeError::Refused(msg_type)),
        }
    }
}

/// Limits that depend on the negotiated version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    pub clipboard_max: usize,
}

impl DecodeLimits {
    /// The limits for clipboard data sent by a peer speaking `version` (spec §2).
    pub fn for_version(version: Version) -> Self {
        DecodeLimits {
            clipboard_max: version.max_clipboard(),
        }
    }
}

/// Why a message could not be decoded. Each one names the rule of spec §3/§4 it breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown message type {0}")]
    UnknownType(u32),
    #[error("message type {0} is deprecated or obsolete and refused")]
    Refused(MsgType),
    #[error("{msg_type} body must be {expected} bytes, not {actual}")]
    WrongLength {
        msg_type: MsgType,
        expected: usize,
        actual: usize,
    },
    #[error("WINDOW_DUMP body of {0} bytes is not 16 plus 4 per ref")]
    WrongDumpLength(usize),
    #[error("WINDOW_DUMP with {0} refs, more than 98304")]
    TooManyRefs(usize),
    #[error("clipboard data of {actual} bytes, more than the negotiated {max}")]
    ClipboardTooLong { max: usize, actual: usize },
}

/// Appends `message` for `window` (0 for none) to `out`, header first.
pub fn encode(window: u32, message: &Message, out: &mut Vec<u8>) {
    let header_at = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    match message {
        Message::Keypress(body) => body.encode_body(out),
        Message::Button(body) => body.encode_body(out),
        Message::Motion(body) => body.encode_body(out),
        Message::Crossing(body) => body.encode_body(out),
        Message::Focus(body) => body.encode_body(out),
        Message::Resize(body) => body.encode_body(out),
        Message::Create(body) => body.encode_body(out),
        Message::Map(body) => body.encode_body(out),
        Message::Configure(body) => body.encode_body(out),
        Message::ShmImage(body) => body.encode_body(out),
        Message::WindowHints(body) => body.encode_body(out),
        Message::WindowFlags(body) => body.encode_body(out),
        Message::Cursor(body) => body.encode_body(out),
        Message::ClipboardData(data) => out.extend_from_slice(data),
        Message::WmName(name) => out.extend_from_slice(&name.title),
        Message::KeymapNotify(keys) => out.extend_from_slice(keys),
        Message::WmClass(class) => {
            out.extend_from_slice(&class.res_class);
            out.extend_from_slice(&class.res_name);
        }
        Message::WindowDump(dump) => {
            for word in [dump.kind, dump.width, dump.height, dump.bpp] {
                out.extend_from_slice(&word.to_le_bytes());
            }
            for page in &dump.refs {
                out.extend_from_slice(&page.to_le_bytes());
            }
        }
        Message::Destroy
        | Message::Unmap
        | Message::Close
        | Message::ClipboardReq
        | Message::Dock
        | Message::WindowDumpAck => {}
    }
    let body_len = (out.len() - header_at - HEADER_LEN) as u32;
    let header = Header {
        msg_type: message.msg_type() as u32,
        window,
        untrusted_len: body_len,
    };
    if let Some(slot) = out.get_mut(header_at..header_at + HEADER_LEN) {
        slot.copy_from_slice(&header.encode());
    }
}

/// Decodes a body whose header passed [`Header::check`]; `body` must be the whole body.
pub fn decode(header: &Header, body: &[u8], limits: &DecodeLimits) -> Result<Message, DecodeError> {
    let msg_type = header.check(limits)?;
    if body.len() != header.untrusted_len as usize {
        return Err(DecodeError::WrongLength {
            msg_type,
            expected: header.untrusted_len as usize,
            actual: body.len(),
        });
    }
    let mut reader = Reader::new(body);
    Ok(match msg_type {
        MsgType::Keypress => Message::Keypress(Keypress::decode_body(&mut reader)),
        MsgType::Button => Message::Button(Button::decode_body(&mut reader)),
        MsgType::Motion => Message::Motion(Motion::decode_body(&mut reader)),
        MsgType::Crossing => Message::Crossing(Crossing::decode_body(&mut reader)),
        MsgType::Focus => Message::Focus(Focus::decode_body(&mut reader)),
        MsgType::Resize => Message::Resize(Resize::decode_body(&mut reader)),
        MsgType::Create => Message::Create(Create::decode_body(&mut reader)),
        MsgType::Map => Message::Map(Map::decode_body(&mut reader)),
        MsgType::Configure => Message::Configure(Configure::decode_body(&mut reader)),
        MsgType::ShmImage => Message::ShmImage(ShmImage::decode_body(&mut reader)),
        MsgType::WindowHints => Message::WindowHints(WindowHints::decode_body(&mut reader)),
        MsgType::WindowFlags => Message::WindowFlags(WindowFlags::decode_body(&mut reader)),
        MsgType::Cursor => Message::Cursor(Cursor::decode_body(&mut reader)),
        MsgType::ClipboardData => Message::ClipboardData(body.to_vec()),
        MsgType::WmName => Message::WmName(WmName {
            title: reader.array(),
        }),
        MsgType::KeymapNotify => Message::KeymapNotify(reader.array()),
        MsgType::WmClass => Message::WmClass(WmClass {
            res_class: reader.array(),
            res_name: reader.array(),
        }),
        MsgType::WindowDump => {
            let kind = reader.word();
            let width = reader.word();
            let height = reader.word();
            let bpp = reader.word();
            let refs = reader
                .rest()
                .chunks_exact(4)
                .filter_map(|chunk| chunk.try_into().ok().map(u32::from_le_bytes))
                .collect();
            Message::WindowDump(WindowDump {
                kind,
                width,
                height,
                bpp,
                refs,
            })
        }
        MsgType::Destroy => Message::Destroy,
        MsgType::Unmap => Message::Unmap,
        MsgType::Close => Message::Close,
        MsgType::ClipboardReq => Message::ClipboardReq,
        MsgType::Dock => Message::Dock,
        MsgType::WindowDumpAck => Message::WindowDumpAck,
        MsgType::MfnDump | MsgType::Execute => return Err(DecodeError::Refused(msg_type)),
    })
}

/// Cuts a byte stream into messages. It holds at most one partial message: a header, or the
/// body of one message whose length [`Header::check`] accepted.
#[derive(Debug, Default)]
pub struct Framer {
    header: Option<Header>,
    partial: Vec<u8>,
}

/// Partial buffers above this are released once their message is complete, so that one large
/// dump does not pin its buffer for the life of the connection.
const KEEP_CAPACITY: usize = 64 * 1024;

impl Framer {
    pub fn new() -> Self {
        Framer::default()
    }

    /// Consumes bytes from the front of `input` until one whole message is decoded (returned with
    /// its header) or `input` is used up (`Ok(None)`, the remainder kept as the partial message).
    pub fn next_message(
        &mut self,
        input: &mut &[u8],
        limits: &DecodeLimits,
    ) -> Result<Option<(Header, Message)>, DecodeError> {
        let header = match self.header {
            Some(header) => header,
            None => {
                let Some(bytes) = self.take::<HEADER_LEN>(input) else {
                    return Ok(None);
                };
                let header = Header::decode(&bytes);
                header.check(limits)?;
                self.header = Some(header);
                header
            }
        };
        let len = header.untrusted_len as usize;
        let message = if self.partial.is_empty() && input.len() >= len {
            let (body, rest) = input.split_at(len);
            *input = rest;
            decode(&header, body, limits)?
        } else {
            if !self.fill(input, len) {
                return Ok(None);
            }
            let message = decode(&header, &self.partial, limits)?;
            self.partial.clear();
            if self.partial.capacity() > KEEP_CAPACITY {
                self.partial = Vec::new();
            }
            message
        };
        self.header = None;
        Ok(Some((header, message)))
    }

    /// Whether a message has been started but not finished.
    pub fn has_partial(&self) -> bool {
        self.header.is_some() || !self.partial.is_empty()
    }

    /// Bytes currently held for the partial message.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Takes a fixed-size prefix (the header), from `input` directly when nothing is buffered.
    fn take<const N: usize>(&mut self, input: &mut &[u8]) -> Option<[u8; N]> {
        if self.partial.is_empty() {
            if let Some((head, rest)) = input.split_first_chunk::<N>() {
                *input = rest;
                return Some(*head);
            }
        }
        if !self.fill(input, N) {
            return None;
        }
        let bytes = self.partial.first_chunk::<N>().copied();
        self.partial.clear();
        bytes
    }

    /// Moves bytes from `input` into the partial buffer until it holds `len`; true when it does.
    fn fill(&mut self, input: &mut &[u8], len: usize) -> bool {
        let need = len.saturating_sub(self.partial.len());
        let (now, rest) = input.split_at(need.min(input.len()));
        if self.partial.is_empty() {
            self.partial.reserve_exact(len);
        }
        self.partial.extend_from_slice(now);
        *input = rest;
        self.partial.len() >= len
    }
}

/// Moves bytes from `input` into the fixed-size `buf`, of which `have` bytes are filled; true
/// once it is full. Used for the handshake's fixed-size words.
pub(crate) fn fill_fixed(buf: &mut [u8], have: &mut usize, input: &mut &[u8]) -> bool {
    let slot = buf.get_mut(*have..).unwrap_or_default();
    let n = slot.len().min(input.len());
    let (now, rest) = input.split_at(n);
    if let Some(dst) = slot.get_mut(..n) {
        dst.copy_from_slice(now);
    }
    *input = rest;
    *have += n;
    *have >= buf.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DecodeLimits = DecodeLimits {
        clipboard_max: MAX_CLIPBOARD_V18,
    };

    fn frame(bytes: &[u8]) -> Vec<Result<(Header, Message), DecodeError>> {
        let mut framer = Framer::new();
        let mut input = bytes;
        let mut out = Vec::new();
        loop {
            match framer.next_message(&mut input, &LIMITS) {
                Ok(Some(m)) => out.push(Ok(m)),
                Ok(None) => return out,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }

    #[test]
    fn framer_rejects_an_oversized_length_before_buffering_it() {
        let header = Header {
            msg_type: MsgType::ClipboardData as u32,
            window: 0,
            untrusted_len: u32::MAX,
        };
        let result = frame(&header.encode());
        assert!(matches!(
            result.as_slice(),
            [Err(DecodeError::ClipboardTooLong { .. })]
        ));
    }

    #[test]
    fn framer_keeps_only_the_partial_message() {
        let mut bytes = Vec::new();
        encode(3, &Message::Unmap, &mut bytes);
        encode(3, &Message::WmName(WmName::new(b"hello")), &mut bytes);
        let mut framer = Framer::new();
        let mut input = &bytes[..HEADER_LEN + HEADER_LEN + 5];
        assert!(matches!(
            framer.next_message(&mut input, &LIMITS),
            Ok(Some((_, Message::Unmap)))
        ));
        assert!(matches!(framer.next_message(&mut input, &LIMITS), Ok(None)));
        assert!(input.is_empty());
        assert_eq!(framer.buffered(), 5);
        let mut rest = &bytes[HEADER_LEN + HEADER_LEN + 5..];
        assert!(matches!(
            framer.next_message(&mut rest, &LIMITS),
            Ok(Some((_, Message::WmName(_))))
        ));
        assert!(!framer.has_partial());
    }

    #[test]
    fn dump_length_must_be_16_plus_refs() {
        let header = Header {
            msg_type: MsgType::WindowDump as u32,
            window: 1,
            untrusted_len: 18,
        };
        assert_eq!(header.check(&LIMITS), Err(DecodeError::WrongDumpLength(18)));
        let header = Header {
            untrusted_len: 12,
            ..header
        };
        assert_eq!(header.check(&LIMITS), Err(DecodeError::WrongDumpLength(12)));
    }
}
