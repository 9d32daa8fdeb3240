//! One test per rule of spec §4, each checking both sides of the rule.

use std::collections::HashMap;

use super::*;

#[derive(Default)]
struct Table(HashMap<WindowId, WindowFacts>);

impl KnownWindows for Table {
    fn facts(&self, window: WindowId) -> Option<WindowFacts> {
        self.0.get(&window).copied()
    }
    fn count(&self) -> usize {
        self.0.len()
    }
}

fn id(raw: u32) -> WindowId {
    WindowId::new(raw).unwrap()
}

fn facts(geometry: Rect) -> WindowFacts {
    WindowFacts {
        geometry,
        mapped: false,
        override_redirect: false,
        image: Some((geometry.width, geometry.height)),
    }
}

/// A table holding windows 1 (400x300 at 10,20) and 2 (100x50).
fn table() -> Table {
    let mut table = Table::default();
    table.0.insert(id(1), facts(Rect::new(10, 20, 400, 300)));
    table.0.insert(id(2), facts(Rect::new(0, 0, 100, 50)));
    table
}

fn check(window: u32, message: Message) -> Result<Sanitized, ProtocolError> {
    super::message(
        UntrustedMessage::new(window, message),
        &table(),
        &Limits::default(),
    )
}

fn event(window: u32, message: Message) -> QubeEvent {
    match check(window, message) {
        Ok(Sanitized::Event(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

fn create(x: i32, y: i32, width: u32, height: u32) -> Message {
    Message::Create(Create {
        x,
        y,
        width,
        height,
        parent: 0,
        override_redirect: 0,
    })
}

fn configure(x: i32, y: i32, width: u32, height: u32, override_redirect: u32) -> Message {
    Message::Configure(Configure {
        x,
        y,
        width,
        height,
        override_redirect,
    })
}

#[test]
fn version_major_1_minor_4_or_newer() {
    let negotiated = |word| version(UntrustedVersion::new(word)).ok();
    assert_eq!(
        negotiated(0x0001_0008),
        Some(Version { major: 1, minor: 8 })
    );
    assert_eq!(
        negotiated(0x0001_0004),
        Some(Version { major: 1, minor: 4 })
    );
    assert_eq!(
        negotiated(0x0001_0009),
        Some(Version { major: 1, minor: 8 })
    );
    assert_eq!(negotiated(0x0001_0003), None);
    assert_eq!(negotiated(0x0002_0008), None);
    assert_eq!(negotiated(0), None);
}

#[test]
fn daemon_to_agent_and_obsolete_types_are_errors() {
    let keypress = Message::Keypress(Keypress::default());
    assert!(matches!(
        check(1, keypress),
        Err(ProtocolError::NotFromAgent(MsgType::Keypress))
    ));
    let resize = Message::Resize(Resize {
        width: 1,
        height: 1,
    });
    assert!(matches!(
        check(1, resize),
        Err(ProtocolError::NotFromAgent(MsgType::Resize))
    ));
    assert!(matches!(
        check(1, Message::WindowDumpAck),
        Err(ProtocolError::NotFromAgent(_))
    ));
    assert!(matches!(check(1, Message::Unmap), Ok(Sanitized::Event(_))));
}

#[test]
fn a_message_must_name_a_window_the_qube_created() {
    assert!(matches!(
        check(3, Message::Unmap),
        Err(ProtocolError::UnknownWindow { window: 3, .. })
    ));
    assert!(matches!(
        check(0, Message::Destroy),
        Err(ProtocolError::UnknownWindow { window: 0, .. })
    ));
    assert!(matches!(
        event(1, Message::Destroy),
        QubeEvent::WindowDestroyed { window } if window == id(1)
    ));
}

#[test]
fn create_and_clipboard_data_need_no_existing_window() {
    assert!(matches!(
        event(7, create(0, 0, 10, 10)),
        QubeEvent::WindowCreated { .. }
    ));
    assert!(matches!(
        event(0, Message::ClipboardData(b"x".to_vec())),
        QubeEvent::ClipboardData { .. }
    ));
}

#[test]
fn create_of_an_existing_id_or_of_id_0_is_an_error() {
    assert!(matches!(
        check(1, create(0, 0, 10, 10)),
        Err(ProtocolError::DuplicateWindow(1))
    ));
    assert!(matches!(
        check(0, create(0, 0, 10, 10)),
        Err(ProtocolError::CreateOfWindowZero)
    ));
    assert!(matches!(
        check(3, create(0, 0, 10, 10)),
        Ok(Sanitized::Event(_))
    ));
}

#[test]
fn create_or_configure_with_zero_size_is_an_error() {
    assert!(matches!(
        check(3, create(0, 0, 0, 10)),
        Err(ProtocolError::ZeroSize(MsgType::Create))
    ));
    assert!(matches!(
        check(3, create(0, 0, 10, 0)),
        Err(ProtocolError::ZeroSize(MsgType::Create))
    ));
    assert!(matches!(
        check(1, configure(0, 0, 0, 5, 0)),
        Err(ProtocolError::ZeroSize(MsgType::Configure))
    ));
    assert!(matches!(
        check(1, configure(0, 0, 1, 1, 0)),
        Ok(Sanitized::Event(_))
    ));
}

#[test]
fn more_windows_than_the_limit_is_an_error() {
    let limits = Limits {
        max_windows: 3,
        ..Limits::default()
    };
    let mut table = table();
    let new = || UntrustedMessage::new(9, create(0, 0, 5, 5));
    assert!(matches!(
        super::message(new(), &table, &limits),
        Ok(Sanitized::Event(_))
    ));
    table.0.insert(id(3), facts(Rect::new(0, 0, 5, 5)));
    assert!(matches!(
        super::message(new(), &table, &limits),
        Err(ProtocolError::TooManyWindows(3))
    ));
}

#[test]
fn window_flags_may_not_set_and_clear_the_same_flag() {
    let raw = |set, unset| Message::WindowFlags(WindowFlags { set, unset });
    assert!(matches!(
        check(1, raw(5, 1)),
        Err(ProtocolError::FlagsConflict(1))
    ));
    match event(1, raw(flags::FULLSCREEN | 0x80, flags::MINIMIZE)) {
        QubeEvent::Flags { change, .. } => assert_eq!(
            change,
            FlagsChange {
                set: flags::FULLSCREEN,
                unset: flags::MINIMIZE
            }
        ),
        other => panic!("{other:?}"),
    }
}

fn dump(kind: u32, width: u32, height: u32, pages: u32) -> Message {
    Message::WindowDump(WindowDump {
        kind,
        width,
        height,
        bpp: 24,
        refs: (0..pages).collect(),
    })
}

#[test]
fn dump_type_must_be_0() {
    assert!(matches!(
        check(1, dump(1, 32, 32, 1)),
        Err(ProtocolError::DumpType(1))
    ));
    assert!(matches!(
        check(1, dump(0, 32, 32, 1)),
        Ok(Sanitized::Dump { .. })
    ));
}

#[test]
fn dump_larger_than_16384_by_6144_is_an_error() {
    let pages = |w: u32, h: u32| (w * h * 4).div_ceil(4096);
    assert!(matches!(
        check(1, dump(0, 16385, 1, pages(16385, 1))),
        Err(ProtocolError::DumpTooLarge { .. })
    ));
    assert!(matches!(
        check(1, dump(0, 1, 6145, pages(1, 6145))),
        Err(ProtocolError::DumpTooLarge { .. })
    ));
    assert!(matches!(
        check(1, dump(0, 16384, 1, 16)),
        Ok(Sanitized::Dump { .. })
    ));
    assert!(matches!(
        check(1, dump(0, 1, 6144, 6)),
        Ok(Sanitized::Dump { .. })
    ));
    assert!(matches!(
        check(1, dump(0, 0, 10, 1)),
        Err(ProtocolError::ZeroSize(_))
    ));
}

#[test]
fn dump_with_too_few_pages_is_an_error_and_extra_pages_are_dropped() {
    // 33x32 pixels are 4224 bytes: two pages.
    assert!(matches!(
        check(1, dump(0, 33, 32, 1)),
        Err(ProtocolError::TooFewPages {
            needed: 2,
            given: 1,
            ..
        })
    ));
    match check(1, dump(0, 33, 32, 5)) {
        Ok(Sanitized::Dump { layout, .. }) => assert_eq!(layout.refs, vec![0, 1]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cursor_is_0_or_an_even_x_font_glyph_below_154() {
    assert_eq!(cursor(0).ok(), Some(CursorShape::Default));
    assert_eq!(cursor(0x100).ok(), Some(CursorShape::XFont(0)));
    assert_eq!(cursor(0x100 | 152).ok(), Some(CursorShape::XFont(152)));
    for bad in [
        1,
        0x100 | 1,
        0x100 | 153,
        0x100 | 154,
        0x200,
        0x300,
        u32::MAX,
    ] {
        assert!(
            matches!(cursor(bad), Err(ProtocolError::CursorOutOfRange(_))),
            "{bad:#x}"
        );
    }
    assert!(check(1, Message::Cursor(Cursor { cursor: 0x103 })).is_err());
}

#[test]
fn sizes_and_positions_are_clamped() {
    match event(5, create(-100_000, 100_000, 20_000, 7_000)) {
        QubeEvent::WindowCreated { geometry, .. } => {
            assert_eq!(geometry, Rect::new(-16384, 6144, 16384, 6144))
        }
        other => panic!("{other:?}"),
    }
    match event(1, configure(16384, -6144, 16384, 6144, 0)) {
        QubeEvent::WindowConfigured { geometry, .. } => {
            assert_eq!(geometry, Rect::new(16384, -6144, 16384, 6144))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn damage_is_clamped_to_the_image_and_negative_damage_ignored() {
    let shm = |x, y, width, height| ShmImage {
        x,
        y,
        width,
        height,
    };
    let image = Some((100, 50));
    assert_eq!(
        damage_rect(&shm(90, 40, 50, 50), image),
        Some(Rect::new(90, 40, 10, 10))
    );
    assert_eq!(
        damage_rect(&shm(0, 0, 100, 50), image),
        Some(Rect::new(0, 0, 100, 50))
    );
    assert_eq!(damage_rect(&shm(-1, 0, 10, 10), image), None);
    assert_eq!(damage_rect(&shm(0, -5, 10, 10), image), None);
    assert_eq!(damage_rect(&shm(100, 0, 10, 10), image), None);
    assert_eq!(damage_rect(&shm(0, 0, 0, 10), image), None);
    assert_eq!(
        damage_rect(&shm(0, 0, u32::MAX, u32::MAX), image),
        Some(Rect::new(0, 0, 100, 50))
    );
    assert_eq!(damage_rect(&shm(0, 0, 10, 10), None), None);
    assert!(matches!(
        check(2, Message::ShmImage(shm(-1, 0, 1, 1))),
        Ok(Sanitized::Ignored)
    ));
}

#[test]
fn hint_groups_out_of_range_are_dropped() {
    let raw = WindowHints {
        flags: hints::P_MIN_SIZE
            | hints::P_MAX_SIZE
            | hints::P_RESIZE_INC
            | hints::P_BASE_SIZE
            | 0x8,
        min_width: 100,
        min_height: 50,
        max_width: 16385,
        max_height: 100,
        width_inc: 0,
        height_inc: 8,
        base_width: 10,
        base_height: 6144,
    };
    let sane = size_hints(&raw);
    assert_eq!(sane.min, Some((100, 50)));
    assert_eq!(sane.max, None, "max width out of range");
    assert_eq!(sane.increment, None, "zero increment");
    assert_eq!(sane.base, Some((10, 6144)));
    assert!(!sane.position);

    let in_range = size_hints(&WindowHints {
        flags: hints::P_MAX_SIZE | hints::P_RESIZE_INC | hints::US_POSITION,
        max_width: 16384,
        max_height: 6144,
        width_inc: 7,
        height_inc: 9,
        ..raw
    });
    assert_eq!(in_range.max, Some((16384, 6144)));
    assert_eq!(in_range.increment, Some((7, 9)));
    assert_eq!(in_range.min, None, "flag not set");
    assert!(in_range.position);

    let max_below_min = size_hints(&WindowHints {
        flags: hints::P_MIN_SIZE | hints::P_MAX_SIZE,
        max_width: 50,
        max_height: 50,
        ..raw
    });
    assert_eq!(
        (max_below_min.min, max_below_min.max),
        (Some((100, 50)), None)
    );
}

#[test]
fn parent_is_ignored() {
    let with_parent = Message::Create(Create {
        x: 1,
        y: 2,
        width: 3,
        height: 4,
        parent: 1,
        override_redirect: 0,
    });
    match (event(5, with_parent), event(5, create(1, 2, 3, 4))) {
        (
            QubeEvent::WindowCreated { geometry: a, .. },
            QubeEvent::WindowCreated { geometry: b, .. },
        ) => assert_eq!(a, b),
        other => panic!("{other:?}"),
    }
}

#[test]
fn configure_override_redirect_is_ignored() {
    match event(1, configure(0, 0, 10, 10, 1)) {
        QubeEvent::WindowConfigured {
            override_redirect, ..
        } => assert!(!override_redirect),
        other => panic!("{other:?}"),
    }
}

#[test]
fn map_transient_for_an_unknown_window_is_treated_as_0() {
    let map = |transient_for| {
        Message::Map(Map {
            transient_for,
            override_redirect: 0,
        })
    };
    let transient = |message| match event(1, message) {
        QubeEvent::WindowMapped { transient_for, .. } => transient_for,
        other => panic!("{other:?}"),
    };
    assert_eq!(transient(map(2)), Some(id(2)));
    assert_eq!(transient(map(99)), None);
    assert_eq!(
        transient(map(1)),
        None,
        "a window is not transient for itself"
    );
    assert_eq!(transient(map(0)), None);
}

fn title_bytes(text: &[u8]) -> [u8; TITLE_LEN] {
    WmName::new(text).title
}

#[test]
fn titles_are_cut_at_nul_and_at_127_bytes() {
    assert_eq!(title(&title_bytes(b"abc\0def"), false).as_str(), "abc");
    let mut full = [b'x'; TITLE_LEN];
    assert_eq!(title(&full, false).as_str().len(), 127);
    full[5] = 0;
    assert_eq!(title(&full, true).as_str(), "xxxxx");
}

#[test]
fn titles_without_utf8_are_printable_ascii() {
    let raw = title_bytes("a\tb\u{7f}c é ~".as_bytes());
    assert_eq!(title(&raw, false).as_str(), "a_b_c __ ~");
    assert_eq!(
        title(&title_bytes(b"Hello, World!"), false).as_str(),
        "Hello, World!"
    );
}

#[test]
fn titles_with_utf8_keep_text_and_replace_controls_and_formatting() {
    let raw = title_bytes("café \u{202e}evil\u{202c} a\u{200b}b\u{85}c\u{1}d ☃".as_bytes());
    assert_eq!(title(&raw, true).as_str(), "café _evil_ a_b_c_d ☃");
    let mut malformed = title_bytes(b"ok ");
    malformed[3] = 0xff;
    malformed[4] = 0xc3;
    assert_eq!(title(&malformed, true).as_str(), "ok __");
    // A character cut by the 127-byte limit is malformed, not kept.
    let mut cut = [b'a'; TITLE_LEN];
    cut[126] = 0xc3;
    cut[127] = 0xa9;
    assert!(title(&cut, true).as_str().ends_with("a_"));
}

#[test]
fn wmclass_is_printable_ascii() {
    let class = window_class(&WmClass::new(b"Fire\x01fox", "navigatør".as_bytes()));
    assert_eq!(class.class, "Fire_fox");
    assert_eq!(class.name, "navigat__r");
    let plain = window_class(&WmClass::new(b"Navigator", b"firefox"));
    assert_eq!(
        (plain.class.as_str(), plain.name.as_str()),
        ("Navigator", "firefox")
    );
}

#[test]
fn override_redirect_covering_over_90_percent_becomes_normal() {
    let limits = Limits::default();
    let or = |w, h| override_redirect(true, &Rect::new(0, 0, w, h), &limits);
    assert!(or(1920, 972), "exactly 90%");
    assert!(!or(1920, 973));
    assert!(!or(10_000, 10_000), "larger than the output");
    assert!(!override_redirect(false, &Rect::new(0, 0, 10, 10), &limits));
    let popup = Message::Create(Create {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
        parent: 0,
        override_redirect: 1,
    });
    assert!(matches!(
        event(5, popup),
        QubeEvent::WindowCreated {
            override_redirect: false,
            ..
        }
    ));
}

#[test]
fn override_redirect_cannot_be_toggled_on_a_mapped_window() {
    let map_or = || {
        UntrustedMessage::new(
            1,
            Message::Map(Map {
                transient_for: 0,
                override_redirect: 1,
            }),
        )
    };
    let mapped_or = |table: &Table| match super::message(map_or(), table, &Limits::default()) {
        Ok(Sanitized::Event(QubeEvent::WindowMapped {
            override_redirect, ..
        })) => override_redirect,
        other => panic!("{other:?}"),
    };
    let mut table = table();
    assert!(
        mapped_or(&table),
        "an unmapped window may become override-redirect"
    );
    if let Some(facts) = table.0.get_mut(&id(1)) {
        facts.mapped = true;
    }
    assert!(!mapped_or(&table), "a mapped one keeps what it had");
}

#[test]
fn dock_requests_are_ignored() {
    assert!(matches!(check(1, Message::Dock), Ok(Sanitized::Ignored)));
}
