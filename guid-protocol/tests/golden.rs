//! Golden byte vectors for the wire format, written by hand from `docs/guid-protocol.md`.
//!
//! Every expected vector below comes from the spec (§2 and §3's table: all integers
//! little-endian, no padding, header `u32 type; u32 window; u32 untrusted_len`), never from the
//! encoder. Negative `i32` fields are written as their two's-complement `u32` words by hand.

use guid_protocol::codec::{decode, encode, DecodeError, DecodeLimits, Header};
use guid_protocol::msg::{
    Button, Configure, Create, Crossing, Cursor, Focus, Keypress, Map, Message, Motion, MsgType,
    Resize, ShmImage, Version, WindowDump, WindowFlags, WindowHints, WmClass, WmName, XConf,
};

const LIMITS: DecodeLimits = DecodeLimits {
    clipboard_max: 256_001,
};

/// Little-endian encoding of a list of 32-bit words (the only thing the helper does).
fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// `words` followed by raw bytes (for the char / u8 fields).
fn words_then(ws: &[u32], tail: &[&[u8]]) -> Vec<u8> {
    let mut out = words(ws);
    for part in tail {
        out.extend_from_slice(part);
    }
    out
}

/// A NUL-padded fixed-size char field, built by hand.
fn padded<const N: usize>(text: &[u8]) -> [u8; N] {
    assert!(text.len() < N, "field text too long");
    let mut field = [0u8; N];
    for (dst, byte) in field.iter_mut().zip(text) {
        *dst = *byte;
    }
    field
}

/// Splits a wire vector into its decoded 12-byte header and its body.
fn split(bytes: &[u8]) -> (Header, &[u8]) {
    let Some((header, body)) = bytes.split_first_chunk::<12>() else {
        panic!("vector of {} bytes is shorter than a header", bytes.len());
    };
    (Header::decode(header), body)
}

/// Decodes a hand-written vector: Header::decode on the first 12 bytes, decode on the rest.
fn decode_bytes(bytes: &[u8]) -> Result<Message, DecodeError> {
    let (header, body) = split(bytes);
    decode(&header, body, &LIMITS)
}

/// Asserts (a) encode gives exactly `expected` and (b) decoding `expected` gives `message`.
fn check_golden(name: &str, window: u32, message: &Message, expected: &[u8]) {
    let mut out = Vec::new();
    encode(window, message, &mut out);
    assert_eq!(out, expected, "{name}: encoded bytes differ from the spec");

    let (header, body) = split(expected);
    assert_eq!(header.window, window, "{name}: header window");
    assert_eq!(
        header.untrusted_len as usize,
        body.len(),
        "{name}: header length"
    );
    let decoded = decode(&header, body, &LIMITS);
    assert_eq!(
        decoded.as_ref(),
        Ok(message),
        "{name}: decoding the golden bytes"
    );
}

/// KEYMAP_NOTIFY's bitmap: 32 distinct bytes.
const KEYS: [u8; 32] = [
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, //
    0x03, 0x05, 0x09, 0x11, 0x21, 0x41, 0x81, 0xff, //
    0x00, 0x7e, 0x55, 0xaa, 0x0f, 0xf0, 0x33, 0xcc, //
    0xde, 0xad, 0xbe, 0xef, 0x12, 0x34, 0x56, 0x78,
];

/// Every golden case: (name, window, message, hand-written bytes).
fn cases() -> Vec<(&'static str, u32, Message, Vec<u8>)> {
    vec![
        (
            "KEYPRESS",
            7,
            Message::Keypress(Keypress {
                kind: 2,
                x: -5,
                y: 300,
                state: 5,
                keycode: 38,
            }),
            // type 124, window 7, len 20; kind 2, x -5, y 300, state 5, keycode 38
            words(&[124, 7, 20, 2, 0xFFFF_FFFB, 300, 5, 38]),
        ),
        (
            "BUTTON",
            8,
            Message::Button(Button {
                kind: 5,
                x: 640,
                y: -12,
                state: 260,
                button: 3,
            }),
            words(&[125, 8, 20, 5, 640, 0xFFFF_FFF4, 260, 3]),
        ),
        (
            "MOTION",
            9,
            Message::Motion(Motion {
                x: -1,
                y: 2000,
                state: 16,
                is_hint: 1,
            }),
            words(&[126, 9, 16, 0xFFFF_FFFF, 2000, 16, 1]),
        ),
        (
            "CROSSING",
            10,
            Message::Crossing(Crossing {
                kind: 7,
                x: -32768,
                y: 15,
                state: 2,
                mode: 1,
                detail: 3,
                focus: 1,
            }),
            words(&[127, 10, 28, 7, 0xFFFF_8000, 15, 2, 1, 3, 1]),
        ),
        (
            "FOCUS",
            11,
            Message::Focus(Focus {
                kind: 10,
                mode: 2,
                detail: 5,
            }),
            words(&[128, 11, 12, 10, 2, 5]),
        ),
        (
            "RESIZE",
            12,
            Message::Resize(Resize {
                width: 800,
                height: 600,
            }),
            words(&[129, 12, 8, 800, 600]),
        ),
        (
            "CREATE",
            0x0040_0001,
            Message::Create(Create {
                x: -100,
                y: -200,
                width: 1024,
                height: 768,
                parent: 0x0040_0000,
                override_redirect: 1,
            }),
            words(&[
                130,
                0x0040_0001,
                24,
                0xFFFF_FF9C,
                0xFFFF_FF38,
                1024,
                768,
                0x0040_0000,
                1,
            ]),
        ),
        ("DESTROY", 13, Message::Destroy, words(&[131, 13, 0])),
        (
            "MAP",
            14,
            Message::Map(Map {
                transient_for: 0x0040_0001,
                override_redirect: 1,
            }),
            words(&[132, 14, 8, 0x0040_0001, 1]),
        ),
        ("UNMAP", 15, Message::Unmap, words(&[133, 15, 0])),
        (
            "CONFIGURE",
            16,
            Message::Configure(Configure {
                x: -7,
                y: 42,
                width: 1920,
                height: 1080,
                override_redirect: 1,
            }),
            words(&[134, 16, 20, 0xFFFF_FFF9, 42, 1920, 1080, 1]),
        ),
        (
            "SHMIMAGE",
            17,
            Message::ShmImage(ShmImage {
                x: 10,
                y: -3,
                width: 64,
                height: 32,
            }),
            words(&[136, 17, 16, 10, 0xFFFF_FFFD, 64, 32]),
        ),
        ("CLOSE", 18, Message::Close, words(&[137, 18, 0])),
        (
            "CLIPBOARD_REQ",
            19,
            Message::ClipboardReq,
            words(&[139, 19, 0]),
        ),
        (
            "CLIPBOARD_DATA (5 bytes)",
            20,
            Message::ClipboardData(vec![0x68, 0x69, 0x00, 0xff, 0x21]),
            words_then(&[140, 20, 5], &[&[0x68, 0x69, 0x00, 0xff, 0x21]]),
        ),
        (
            "CLIPBOARD_DATA (empty)",
            0,
            Message::ClipboardData(Vec::new()),
            words(&[140, 0, 0]),
        ),
        (
            "WMNAME",
            21,
            Message::WmName(WmName {
                title: padded::<128>(b"xterm"),
            }),
            // "xterm" then 123 NULs
            words_then(
                &[141, 21, 128],
                &[&[0x78, 0x74, 0x65, 0x72, 0x6d], &[0; 123]],
            ),
        ),
        (
            "KEYMAP_NOTIFY",
            0,
            Message::KeymapNotify(KEYS),
            words_then(&[142, 0, 32], &[&KEYS]),
        ),
        ("DOCK", 22, Message::Dock, words(&[143, 22, 0])),
        (
            "WINDOW_HINTS",
            23,
            Message::WindowHints(WindowHints {
                flags: 16 | 32 | 64 | 256,
                min_width: 100,
                min_height: 50,
                max_width: 3000,
                max_height: 2000,
                width_inc: 8,
                height_inc: 16,
                base_width: 4,
                base_height: 2,
            }),
            words(&[144, 23, 36, 368, 100, 50, 3000, 2000, 8, 16, 4, 2]),
        ),
        (
            "WINDOW_FLAGS",
            24,
            Message::WindowFlags(WindowFlags { set: 3, unset: 4 }),
            words(&[145, 24, 8, 3, 4]),
        ),
        (
            "WMCLASS",
            25,
            Message::WmClass(WmClass {
                res_class: padded::<64>(b"XTerm"),
                res_name: padded::<64>(b"xterm"),
            }),
            // "XTerm" + 59 NULs, then "xterm" + 59 NULs
            words_then(
                &[146, 25, 128],
                &[
                    &[0x58, 0x54, 0x65, 0x72, 0x6d],
                    &[0; 59],
                    &[0x78, 0x74, 0x65, 0x72, 0x6d],
                    &[0; 59],
                ],
            ),
        ),
        (
            "WINDOW_DUMP (0 refs)",
            26,
            Message::WindowDump(WindowDump {
                kind: 0,
                width: 640,
                height: 480,
                bpp: 32,
                refs: Vec::new(),
            }),
            words(&[147, 26, 16, 0, 640, 480, 32]),
        ),
        (
            "WINDOW_DUMP (3 refs)",
            26,
            Message::WindowDump(WindowDump {
                kind: 0,
                width: 33,
                height: 2,
                bpp: 24,
                refs: vec![7, 8, 0x0012_3456],
            }),
            words(&[147, 26, 28, 0, 33, 2, 24, 7, 8, 0x0012_3456]),
        ),
        (
            "CURSOR",
            27,
            Message::Cursor(Cursor { cursor: 0x144 }),
            words(&[148, 27, 4, 0x144]),
        ),
        (
            "WINDOW_DUMP_ACK",
            28,
            Message::WindowDumpAck,
            words(&[149, 28, 0]),
        ),
    ]
}

#[test]
fn words_helper_is_little_endian() {
    // KEYPRESS case spelled out byte by byte, to pin down the helper itself.
    let literal: [u8; 32] = [
        0x7c, 0x00, 0x00, 0x00, // type 124
        0x07, 0x00, 0x00, 0x00, // window 7
        0x14, 0x00, 0x00, 0x00, // untrusted_len 20
        0x02, 0x00, 0x00, 0x00, // kind 2 (press)
        0xfb, 0xff, 0xff, 0xff, // x -5
        0x2c, 0x01, 0x00, 0x00, // y 300
        0x05, 0x00, 0x00, 0x00, // state Shift|Control
        0x26, 0x00, 0x00, 0x00, // keycode 38
    ];
    assert_eq!(
        words(&[124, 7, 20, 2, 0xFFFF_FFFB, 300, 5, 38]),
        literal.to_vec()
    );
}

#[test]
fn golden_keypress() {
    let (name, window, message, bytes) = cases().into_iter().next().unwrap();
    assert_eq!(name, "KEYPRESS");
    check_golden(name, window, &message, &bytes);
    let (header, _) = split(&bytes);
    assert_eq!(header.msg_type, 124);
    assert_eq!(header.window, 7);
    assert_eq!(header.untrusted_len, 20);
}

#[test]
fn golden_every_message_type() {
    let cases = cases();
    for (name, window, message, bytes) in &cases {
        check_golden(name, *window, message, bytes);
    }
    // Every type of the table with a layout is covered: 124..=149 except 135 and 138.
    let mut types: Vec<u32> = cases
        .iter()
        .map(|(_, _, _, bytes)| u32::from_le_bytes(bytes[..4].try_into().unwrap()))
        .collect();
    types.sort_unstable();
    types.dedup();
    let expected: Vec<u32> = (124..=149).filter(|t| *t != 135 && *t != 138).collect();
    assert_eq!(types, expected);
}

#[test]
fn golden_body_lengths_match_table() {
    // The "bytes" column of §3, for the fixed-size types.
    let table: [(u32, usize); 22] = [
        (124, 20),
        (125, 20),
        (126, 16),
        (127, 28),
        (128, 12),
        (129, 8),
        (130, 24),
        (131, 0),
        (132, 8),
        (133, 0),
        (134, 20),
        (136, 16),
        (137, 0),
        (139, 0),
        (141, 128),
        (142, 32),
        (143, 0),
        (144, 36),
        (145, 8),
        (146, 128),
        (148, 4),
        (149, 0),
    ];
    for (name, _, _, bytes) in cases() {
        let msg_type = u32::from_le_bytes(bytes[..4].try_into().unwrap());
        if let Some((_, len)) = table.iter().find(|(t, _)| *t == msg_type) {
            assert_eq!(bytes.len() - 12, *len, "{name}: body length");
        }
    }
}

#[test]
fn msg_type_numbers_match_table() {
    let table = [
        (MsgType::Keypress, 124),
        (MsgType::Button, 125),
        (MsgType::Motion, 126),
        (MsgType::Crossing, 127),
        (MsgType::Focus, 128),
        (MsgType::Resize, 129),
        (MsgType::Create, 130),
        (MsgType::Destroy, 131),
        (MsgType::Map, 132),
        (MsgType::Unmap, 133),
        (MsgType::Configure, 134),
        (MsgType::MfnDump, 135),
        (MsgType::ShmImage, 136),
        (MsgType::Close, 137),
        (MsgType::Execute, 138),
        (MsgType::ClipboardReq, 139),
        (MsgType::ClipboardData, 140),
        (MsgType::WmName, 141),
        (MsgType::KeymapNotify, 142),
        (MsgType::Dock, 143),
        (MsgType::WindowHints, 144),
        (MsgType::WindowFlags, 145),
        (MsgType::WmClass, 146),
        (MsgType::WindowDump, 147),
        (MsgType::Cursor, 148),
        (MsgType::WindowDumpAck, 149),
    ];
    for (msg_type, number) in table {
        assert_eq!(msg_type as u32, number, "{msg_type:?}");
    }
}

#[test]
fn mfndump_is_refused() {
    let bytes = words(&[135, 1, 0]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::Refused(MsgType::MfnDump))
    );
    // Whatever length it claims.
    let bytes = words(&[135, 1, 8, 0x1234, 0x5678]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::Refused(MsgType::MfnDump))
    );
}

#[test]
fn execute_is_refused() {
    let bytes = words(&[138, 1, 0]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::Refused(MsgType::Execute))
    );
    let bytes = words(&[138, 0, 4, 0x6c73]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::Refused(MsgType::Execute))
    );
}

#[test]
fn unknown_types_are_rejected() {
    for msg_type in [0, 1, 123, 150, 151, 0xFFFF_FFFF] {
        let bytes = words(&[msg_type, 1, 0]);
        assert_eq!(
            decode_bytes(&bytes),
            Err(DecodeError::UnknownType(msg_type)),
            "type {msg_type}"
        );
    }
}

#[test]
fn wrong_body_length_is_rejected() {
    // KEYPRESS with 16 bytes instead of 20.
    let bytes = words(&[124, 1, 16, 2, 0, 0, 0]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::WrongLength {
            msg_type: MsgType::Keypress,
            expected: 20,
            actual: 16,
        })
    );
    // KEYPRESS with 24 bytes instead of 20.
    let bytes = words(&[124, 1, 24, 2, 0, 0, 0, 0, 0]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::WrongLength {
            msg_type: MsgType::Keypress,
            expected: 20,
            actual: 24,
        })
    );
    // DESTROY carries no body.
    let bytes = words(&[131, 1, 4, 0]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::WrongLength {
            msg_type: MsgType::Destroy,
            expected: 0,
            actual: 4,
        })
    );
    // WMNAME one byte short.
    let mut bytes = words(&[141, 1, 127]);
    bytes.extend_from_slice(&[0x41; 127]);
    assert_eq!(
        decode_bytes(&bytes),
        Err(DecodeError::WrongLength {
            msg_type: MsgType::WmName,
            expected: 128,
            actual: 127,
        })
    );
    // CREATE's table length is 24, not the 20 of CONFIGURE.
    let bytes = words(&[130, 1, 20, 0, 0, 10, 10, 0]);
    assert!(matches!(
        decode_bytes(&bytes),
        Err(DecodeError::WrongLength {
            msg_type: MsgType::Create,
            expected: 24,
            actual: 20,
        })
    ));
}

#[test]
fn window_dump_length_must_be_16_plus_4n() {
    let bytes = words_then(&[147, 1, 18, 0, 8, 8, 32], &[&[1, 2]]);
    assert_eq!(decode_bytes(&bytes), Err(DecodeError::WrongDumpLength(18)));
    let bytes = words(&[147, 1, 12, 0, 8, 8]);
    assert_eq!(decode_bytes(&bytes), Err(DecodeError::WrongDumpLength(12)));
}

#[test]
fn handshake_version_word() {
    // §2: the current agent sends 0x00010008.
    let bytes: [u8; 4] = [0x08, 0x00, 0x01, 0x00];
    let word = u32::from_le_bytes(bytes);
    assert_eq!(word, 0x0001_0008);
    let version = Version::from_word(word);
    assert_eq!(version, Version { major: 1, minor: 8 });
    assert_eq!(version.to_word().to_le_bytes(), bytes);
    assert_eq!(Version::CURRENT.to_word().to_le_bytes(), bytes);
    // 1.4, the oldest accepted.
    assert_eq!(
        Version::from_word(u32::from_le_bytes([0x04, 0x00, 0x01, 0x00])),
        Version { major: 1, minor: 4 }
    );
}

#[test]
fn handshake_xconf_1366x768() {
    // w 1366 rounded up to 1368, h 768, depth 24, mem = 1368*768*4/1024 + 1 = 4105.
    let expected: [u8; 16] = [
        0x58, 0x05, 0x00, 0x00, // 1368
        0x00, 0x03, 0x00, 0x00, // 768
        0x18, 0x00, 0x00, 0x00, // 24
        0x09, 0x10, 0x00, 0x00, // 4105
    ];
    let xconf = XConf::for_output(1366, 768);
    assert_eq!(xconf.width, 1368);
    assert_eq!(xconf.height, 768);
    assert_eq!(xconf.depth, 24);
    assert_eq!(xconf.mem_kib, 4105);
    assert_eq!(xconf.encode(), expected);
    assert_eq!(XConf::decode(&expected), xconf);
}

#[test]
fn handshake_xconf_1920x1080() {
    // Already a multiple of 8: 1920, 1080, 24, 1920*1080*4/1024 + 1 = 8101.
    let expected: [u8; 16] = [
        0x80, 0x07, 0x00, 0x00, // 1920
        0x38, 0x04, 0x00, 0x00, // 1080
        0x18, 0x00, 0x00, 0x00, // 24
        0xa5, 0x1f, 0x00, 0x00, // 8101
    ];
    assert_eq!(XConf::for_output(1920, 1080).encode(), expected);
}

/// Index of each `Message` variant; the match is exhaustive, so a new variant breaks the build
/// here until the round trip covers it.
fn variant_index(message: &Message) -> usize {
    match message {
        Message::Keypress(_) => 0,
        Message::Button(_) => 1,
        Message::Motion(_) => 2,
        Message::Crossing(_) => 3,
        Message::Focus(_) => 4,
        Message::Resize(_) => 5,
        Message::Create(_) => 6,
        Message::Destroy => 7,
        Message::Map(_) => 8,
        Message::Unmap => 9,
        Message::Configure(_) => 10,
        Message::ShmImage(_) => 11,
        Message::Close => 12,
        Message::ClipboardReq => 13,
        Message::ClipboardData(_) => 14,
        Message::WmName(_) => 15,
        Message::KeymapNotify(_) => 16,
        Message::Dock => 17,
        Message::WindowHints(_) => 18,
        Message::WindowFlags(_) => 19,
        Message::WmClass(_) => 20,
        Message::WindowDump(_) => 21,
        Message::Cursor(_) => 22,
        Message::WindowDumpAck => 23,
    }
}

#[test]
fn round_trip_every_variant() {
    let mut seen = [false; 24];
    for (name, window, message, _) in cases() {
        seen[variant_index(&message)] = true;
        let mut bytes = Vec::new();
        encode(window, &message, &mut bytes);
        let (header, body) = split(&bytes);
        assert_eq!(header.window, window, "{name}");
        assert_eq!(
            decode(&header, body, &LIMITS),
            Ok(message),
            "{name}: round trip"
        );
    }
    assert!(seen.iter().all(|s| *s), "variants not covered: {seen:?}");
}

#[test]
fn encode_appends_after_existing_bytes() {
    // Two messages in one buffer: each is laid out exactly as on its own.
    let mut out = vec![0xee];
    encode(3, &Message::Unmap, &mut out);
    encode(3, &Message::Cursor(Cursor { cursor: 0 }), &mut out);
    let mut expected = vec![0xee];
    expected.extend_from_slice(&words(&[133, 3, 0]));
    expected.extend_from_slice(&words(&[148, 3, 4, 0]));
    assert_eq!(out, expected);
}
