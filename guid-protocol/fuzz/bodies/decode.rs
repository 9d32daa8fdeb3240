//! The decoder: arbitrary bytes as a header and a body, and as a stream for the framer.

use guid_protocol::codec::{self, DecodeLimits, Framer, Header};
use guid_protocol::msg::{HEADER_LEN, MAX_CLIPBOARD_V18};

/// One input, as the fuzzer and the seed replay give it.
pub fn run(data: &[u8]) {
    let limits = DecodeLimits {
        clipboard_max: MAX_CLIPBOARD_V18,
    };
    if let Some((header, body)) = data.split_first_chunk::<HEADER_LEN>() {
        let header = Header::decode(header);
        if let Ok(message) = codec::decode(&header, body, &limits) {
            // What decodes must encode to the same bytes.
            let mut again = Vec::new();
            codec::encode(header.window, &message, &mut again);
            assert_eq!(again.get(HEADER_LEN..), Some(body));
        }
    }
    let mut framer = Framer::new();
    let mut input = data;
    while let Ok(Some(_)) = framer.next_message(&mut input, &limits) {}
}
