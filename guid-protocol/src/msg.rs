//! The messages of the GUI protocol 1.8 and their exact wire layouts (spec §3).
//!
//! Every body field is a 4-byte little-endian word, so each fixed-size body is declared once with
//! [`wire_body!`], which derives its length, encoder and decoder from the field list.

/// Length of the header that precedes every message after the handshake.
pub const HEADER_LEN: usize = 12;
/// Size of one grant-pool page.
pub const PAGE_SIZE: usize = 4096;
/// Largest window width the daemon accepts (spec §4).
pub const MAX_WINDOW_WIDTH: u32 = 16384;
/// Largest window height the daemon accepts (spec §4).
pub const MAX_WINDOW_HEIGHT: u32 = 6144;
/// Most page references in one WINDOW_DUMP.
pub const MAX_DUMP_REFS: usize = 98_304;
/// Fixed part of a WINDOW_DUMP body, before the refs.
pub const DUMP_HEADER_LEN: usize = 16;
/// Largest CLIPBOARD_DATA at protocol 1.8 and later.
pub const MAX_CLIPBOARD_V18: usize = 256_001;
/// Largest CLIPBOARD_DATA before 1.8.
pub const MAX_CLIPBOARD_OLD: usize = 65_000;
/// The keycodes an X server has, and so all a KEYPRESS may carry (xkb keycodes, evdev + 8).
pub const X_KEYCODES: std::ops::RangeInclusive<u32> = 8..=255;
/// Length of WMNAME's title field.
pub const TITLE_LEN: usize = 128;
/// Length of each of WMCLASS's two fields.
pub const WMCLASS_FIELD_LEN: usize = 64;
/// Length of KEYMAP_NOTIFY's key bitmap.
pub const KEYMAP_LEN: usize = 32;

/// The protocol version word: `(major << 16) | minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    /// The newest version this crate speaks.
    pub const CURRENT: Version = Version { major: 1, minor: 8 };

    pub fn from_word(word: u32) -> Self {
        Version {
            major: (word >> 16) as u16,
            minor: (word & 0xffff) as u16,
        }
    }

    pub fn to_word(self) -> u32 {
        (u32::from(self.major) << 16) | u32::from(self.minor)
    }

    /// The largest CLIPBOARD_DATA either side may send at this version (spec §2): an agent or a
    /// daemon older than 1.8 takes no more than 65,000 bytes.
    pub fn max_clipboard(self) -> usize {
        if self.minor >= 8 {
            MAX_CLIPBOARD_V18
        } else {
            MAX_CLIPBOARD_OLD
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The daemon's description of its output, sent once after the version (spec §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XConf {
    pub width: u32,
    pub height: u32,
    pub depth: u32,
    pub mem_kib: u32,
}

impl XConf {
    pub const LEN: usize = 16;

    /// The xconf for an output of this size: width rounded up to a multiple of 8, depth 24.
    pub fn for_output(width: u32, height: u32) -> Self {
        let width = width.min(MAX_WINDOW_WIDTH).div_ceil(8) * 8;
        let height = height.min(MAX_WINDOW_HEIGHT);
        XConf {
            width,
            height,
            depth: 24,
            mem_kib: width * height * 4 / 1024 + 1,
        }
    }

    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        for (chunk, word) in
            out.chunks_exact_mut(4)
                .zip([self.width, self.height, self.depth, self.mem_kib])
        {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8; Self::LEN]) -> Self {
        let mut reader = Reader::new(bytes);
        XConf {
            width: reader.word(),
            height: reader.word(),
            depth: reader.word(),
            mem_kib: reader.word(),
        }
    }
}

/// Message types of spec §3 (123 and 150 are sentinels and not types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum MsgType {
    Keypress = 124,
    Button = 125,
    Motion = 126,
    Crossing = 127,
    Focus = 128,
    Resize = 129,
    Create = 130,
    Destroy = 131,
    Map = 132,
    Unmap = 133,
    Configure = 134,
    MfnDump = 135,
    ShmImage = 136,
    Close = 137,
    Execute = 138,
    ClipboardReq = 139,
    ClipboardData = 140,
    WmName = 141,
    KeymapNotify = 142,
    Dock = 143,
    WindowHints = 144,
    WindowFlags = 145,
    WmClass = 146,
    WindowDump = 147,
    Cursor = 148,
    WindowDumpAck = 149,
}

/// Who may send a message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ToAgent,
    ToDaemon,
    Both,
    /// Obsolete or deprecated: nobody may send it.
    Nobody,
}

/// What the spec says about a type's body length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLen {
    Exact(usize),
    /// CLIPBOARD_DATA: any length up to the negotiated maximum.
    Clipboard,
    /// WINDOW_DUMP: 16 bytes and then 4 per ref.
    Dump,
    /// MFNDUMP and EXECUTE have no layout we accept.
    Refused,
}

impl MsgType {
    pub const ALL: [MsgType; 26] = [
        MsgType::Keypress,
        MsgType::Button,
        MsgType::Motion,
        MsgType::Crossing,
        MsgType::Focus,
        MsgType::Resize,
        MsgType::Create,
        MsgType::Destroy,
        MsgType::Map,
        MsgType::Unmap,
        MsgType::Configure,
        MsgType::MfnDump,
        MsgType::ShmImage,
        MsgType::Close,
        MsgType::Execute,
        MsgType::ClipboardReq,
        MsgType::ClipboardData,
        MsgType::WmName,
        MsgType::KeymapNotify,
        MsgType::Dock,
        MsgType::WindowHints,
        MsgType::WindowFlags,
        MsgType::WmClass,
        MsgType::WindowDump,
        MsgType::Cursor,
        MsgType::WindowDumpAck,
    ];

    pub fn from_u32(value: u32) -> Option<Self> {
        MsgType::ALL.into_iter().find(|t| *t as u32 == value)
    }

    pub fn direction(self) -> Direction {
        use MsgType::*;
        match self {
            Keypress | Button | Motion | Crossing | Focus | Close | ClipboardReq | KeymapNotify
            | WindowDumpAck => Direction::ToAgent,
            Create | Unmap | ShmImage | WmName | Dock | WindowHints | WmClass | WindowDump
            | Cursor => Direction::ToDaemon,
            Destroy | Map | Configure | ClipboardData | WindowFlags => Direction::Both,
            Resize | MfnDump | Execute => Direction::Nobody,
        }
    }

    pub fn body_len(self) -> BodyLen {
        match self {
            MsgType::Keypress | MsgType::Button => BodyLen::Exact(Keypress::LEN),
            MsgType::Motion => BodyLen::Exact(Motion::LEN),
            MsgType::Crossing => BodyLen::Exact(Crossing::LEN),
            MsgType::Focus => BodyLen::Exact(Focus::LEN),
            MsgType::Resize => BodyLen::Exact(Resize::LEN),
            MsgType::Create => BodyLen::Exact(Create::LEN),
            MsgType::Map => BodyLen::Exact(Map::LEN),
            MsgType::Configure => BodyLen::Exact(Configure::LEN),
            MsgType::ShmImage => BodyLen::Exact(ShmImage::LEN),
            MsgType::WmName => BodyLen::Exact(TITLE_LEN),
            MsgType::KeymapNotify => BodyLen::Exact(KEYMAP_LEN),
            MsgType::WindowHints => BodyLen::Exact(WindowHints::LEN),
            MsgType::WindowFlags => BodyLen::Exact(WindowFlags::LEN),
            MsgType::WmClass => BodyLen::Exact(2 * WMCLASS_FIELD_LEN),
            MsgType::Cursor => BodyLen::Exact(Cursor::LEN),
            MsgType::Destroy
            | MsgType::Unmap
            | MsgType::Close
            | MsgType::ClipboardReq
            | MsgType::Dock
            | MsgType::WindowDumpAck => BodyLen::Exact(0),
            MsgType::ClipboardData => BodyLen::Clipboard,
            MsgType::WindowDump => BodyLen::Dump,
            MsgType::MfnDump | MsgType::Execute => BodyLen::Refused,
        }
    }
}

impl std::fmt::Display for MsgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}({})", self, *self as u32)
    }
}

/// A 4-byte field of a message body.
pub(crate) trait Word: Sized {
    fn from_le(bytes: [u8; 4]) -> Self;
    fn to_le(&self) -> [u8; 4];
}

impl Word for u32 {
    fn from_le(bytes: [u8; 4]) -> Self {
        u32::from_le_bytes(bytes)
    }
    fn to_le(&self) -> [u8; 4] {
        self.to_le_bytes()
    }
}

impl Word for i32 {
    fn from_le(bytes: [u8; 4]) -> Self {
        i32::from_le_bytes(bytes)
    }
    fn to_le(&self) -> [u8; 4] {
        self.to_le_bytes()
    }
}

/// Reads words from a body whose length was checked beforehand; a short body reads as zeros
/// rather than panicking, but the codec never hands it one.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(crate) fn word<T: Word>(&mut self) -> T {
        T::from_le(self.array())
    }

    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                *head
            }
            None => {
                self.rest = &[];
                [0; N]
            }
        }
    }

    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// Declares a fixed-size message body whose fields are all 4-byte words, in wire order.
macro_rules! wire_body {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// Body length in bytes.
            pub const LEN: usize = 4 * [$(stringify!($field)),*].len();

            pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
                $(out.extend_from_slice(&Word::to_le(&self.$field));)*
            }

            pub(crate) fn decode_body(reader: &mut Reader<'_>) -> Self {
                $name { $($field: reader.word(),)* }
            }
        }
    };
}

wire_body!(
    /// KEYPRESS: a key went down (type 2) or up (type 3).
    Keypress { kind: u32, x: i32, y: i32, state: u32, keycode: u32 }
);
wire_body!(
    /// BUTTON: a pointer button went down (type 4) or up (type 5).
    Button { kind: u32, x: i32, y: i32, state: u32, button: u32 }
);
wire_body!(
    /// MOTION: the pointer moved inside the window.
    Motion { x: i32, y: i32, state: u32, is_hint: u32 }
);
wire_body!(
    /// CROSSING: the pointer entered (type 7) or left (type 8) the window.
    Crossing { kind: u32, x: i32, y: i32, state: u32, mode: u32, detail: u32, focus: u32 }
);
wire_body!(
    /// FOCUS: keyboard focus came in (type 9) or went out (type 10).
    Focus { kind: u32, mode: u32, detail: u32 }
);
wire_body!(
    /// RESIZE: obsolete; decoded only so that it can be refused by name.
    Resize { width: u32, height: u32 }
);
wire_body!(
    /// CREATE: the agent creates a window.
    Create { x: i32, y: i32, width: u32, height: u32, parent: u32, override_redirect: u32 }
);
wire_body!(
    /// MAP: the window is shown.
    Map { transient_for: u32, override_redirect: u32 }
);
wire_body!(
    /// CONFIGURE: the window's position and size.
    Configure { x: i32, y: i32, width: u32, height: u32, override_redirect: u32 }
);
wire_body!(
    /// SHMIMAGE: a rectangle of the window's current image changed.
    ShmImage { x: i32, y: i32, width: u32, height: u32 }
);
wire_body!(
    /// WINDOW_HINTS: size hints, each group valid only when its flag is set.
    WindowHints {
        flags: u32,
        min_width: u32,
        min_height: u32,
        max_width: u32,
        max_height: u32,
        width_inc: u32,
        height_inc: u32,
        base_width: u32,
        base_height: u32,
    }
);
wire_body!(
    /// WINDOW_FLAGS: flags to set and to clear.
    WindowFlags { set: u32, unset: u32 }
);
wire_body!(
    /// CURSOR: the pointer shape over the window.
    Cursor { cursor: u32 }
);

/// WMNAME: the title, NUL-padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WmName {
    pub title: [u8; TITLE_LEN],
}

impl WmName {
    /// A WMNAME carrying `title`, cut to 127 bytes so that a NUL always ends it.
    pub fn new(title: &[u8]) -> Self {
        let mut field = [0u8; TITLE_LEN];
        copy_truncated(&mut field, title);
        WmName { title: field }
    }
}

/// WMCLASS: the X resource class and name, each NUL-padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WmClass {
    pub res_class: [u8; WMCLASS_FIELD_LEN],
    pub res_name: [u8; WMCLASS_FIELD_LEN],
}

impl WmClass {
    pub fn new(res_class: &[u8], res_name: &[u8]) -> Self {
        let mut class = WmClass {
            res_class: [0; WMCLASS_FIELD_LEN],
            res_name: [0; WMCLASS_FIELD_LEN],
        };
        copy_truncated(&mut class.res_class, res_class);
        copy_truncated(&mut class.res_name, res_name);
        class
    }
}

/// Copies `src` into `field`, keeping the last byte of `field` a NUL.
fn copy_truncated(field: &mut [u8], src: &[u8]) {
    let room = field.len().saturating_sub(1);
    for (dst, byte) in field.iter_mut().take(room).zip(src) {
        *dst = *byte;
    }
}

/// WINDOW_DUMP: the window's new image, as the pool pages that hold it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowDump {
    pub kind: u32,
    pub width: u32,
    pub height: u32,
    pub bpp: u32,
    pub refs: Vec<u32>,
}

/// One message of spec §3's table, with its body. MFNDUMP and EXECUTE have no variant: they are
/// refused when decoded and never sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Keypress(Keypress),
    Button(Button),
    Motion(Motion),
    Crossing(Crossing),
    Focus(Focus),
    Resize(Resize),
    Create(Create),
    Destroy,
    Map(Map),
    Unmap,
    Configure(Configure),
    ShmImage(ShmImage),
    Close,
    ClipboardReq,
    ClipboardData(Vec<u8>),
    WmName(WmName),
    KeymapNotify([u8; KEYMAP_LEN]),
    Dock,
    WindowHints(WindowHints),
    WindowFlags(WindowFlags),
    WmClass(WmClass),
    WindowDump(WindowDump),
    Cursor(Cursor),
    WindowDumpAck,
}

impl Message {
    pub fn msg_type(&self) -> MsgType {
        match self {
            Message::Keypress(_) => MsgType::Keypress,
            Message::Button(_) => MsgType::Button,
            Message::Motion(_) => MsgType::Motion,
            Message::Crossing(_) => MsgType::Crossing,
            Message::Focus(_) => MsgType::Focus,
            Message::Resize(_) => MsgType::Resize,
            Message::Create(_) => MsgType::Create,
            Message::Destroy => MsgType::Destroy,
            Message::Map(_) => MsgType::Map,
            Message::Unmap => MsgType::Unmap,
            Message::Configure(_) => MsgType::Configure,
            Message::ShmImage(_) => MsgType::ShmImage,
            Message::Close => MsgType::Close,
            Message::ClipboardReq => MsgType::ClipboardReq,
            Message::ClipboardData(_) => MsgType::ClipboardData,
            Message::WmName(_) => MsgType::WmName,
            Message::KeymapNotify(_) => MsgType::KeymapNotify,
            Message::Dock => MsgType::Dock,
            Message::WindowHints(_) => MsgType::WindowHints,
            Message::WindowFlags(_) => MsgType::WindowFlags,
            Message::WmClass(_) => MsgType::WmClass,
            Message::WindowDump(_) => MsgType::WindowDump,
            Message::Cursor(_) => MsgType::Cursor,
            Message::WindowDumpAck => MsgType::WindowDumpAck,
        }
    }
}

/// Event kinds carried in the `kind` word of input messages (X event numbers).
pub mod kind {
    pub const KEY_PRESS: u32 = 2;
    pub const KEY_RELEASE: u32 = 3;
    pub const BUTTON_PRESS: u32 = 4;
    pub const BUTTON_RELEASE: u32 = 5;
    pub const ENTER: u32 = 7;
    pub const LEAVE: u32 = 8;
    pub const FOCUS_IN: u32 = 9;
    pub const FOCUS_OUT: u32 = 10;
}

/// WINDOW_FLAGS bits.
pub mod flags {
    pub const FULLSCREEN: u32 = 1;
    pub const DEMANDS_ATTENTION: u32 = 2;
    pub const MINIMIZE: u32 = 4;
    pub const KNOWN: u32 = FULLSCREEN | DEMANDS_ATTENTION | MINIMIZE;
}

/// WINDOW_HINTS flag bits the daemon honours.
pub mod hints {
    pub const US_POSITION: u32 = 1;
    pub const P_POSITION: u32 = 4;
    pub const P_MIN_SIZE: u32 = 16;
    pub const P_MAX_SIZE: u32 = 32;
    pub const P_RESIZE_INC: u32 = 64;
    pub const P_BASE_SIZE: u32 = 256;
    pub const HONOURED: u32 =
        US_POSITION | P_POSITION | P_MIN_SIZE | P_MAX_SIZE | P_RESIZE_INC | P_BASE_SIZE;
}

/// The X modifier and button mask of input messages.
pub mod state {
    pub const SHIFT: u32 = 1;
    pub const LOCK: u32 = 2;
    pub const CONTROL: u32 = 4;
    pub const MOD1: u32 = 8;
    pub const MOD2: u32 = 16;
    pub const MOD4: u32 = 64;
    pub const BUTTON1: u32 = 256;
    pub const BUTTON2: u32 = 512;
    pub const BUTTON3: u32 = 1024;
    pub const BUTTON4: u32 = 2048;
    pub const BUTTON5: u32 = 4096;
}
