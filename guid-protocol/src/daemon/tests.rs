//! The daemon connection driven byte by byte, as quinn-proto tests its state machine.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use super::*;
use crate::agent::{AgentConnection, AgentError, AgentEvent};
use crate::codec::Header;
use crate::pool::{PageRun, PoolAllocator, PoolError};

/// An agent's bytes, recorded: the handshake and a window's life as the Qubes agent sends it.
struct Recording {
    bytes: Vec<u8>,
    pool: PoolAllocator,
}

fn agent_bytes(
    version: Version,
    script: impl FnOnce(&mut AgentConnection, &mut PoolAllocator),
) -> Recording {
    let mut pool = PoolAllocator::new(16, 1024).unwrap();
    let mut agent = AgentConnection::new(version);
    script(&mut agent, &mut pool);
    let bytes = agent.outgoing().pending().to_vec();
    Recording { bytes, pool }
}

fn send(agent: &mut AgentConnection, window: u32, message: Message) {
    agent.send(window, &message).unwrap();
}

fn dump_of(run: &PageRun, width: u32, height: u32) -> Message {
    Message::WindowDump(run.dump(width, height))
}

/// A window's whole life, in the order the Linux agent sends it.
fn window_life(agent: &mut AgentConnection, pool: &mut PoolAllocator) {
    let run = pool.alloc(64 * 32 * 4).unwrap();
    for (i, byte) in pool.bytes_mut(&run).iter_mut().enumerate() {
        *byte = (i * 7 % 256) as u8;
    }
    send(
        agent,
        5,
        Message::Create(Create {
            x: 10,
            y: 20,
            width: 64,
            height: 32,
            parent: 0,
            override_redirect: 0,
        }),
    );
    send(
        agent,
        5,
        Message::WindowHints(WindowHints {
            flags: hints::P_MIN_SIZE,
            min_width: 10,
            min_height: 10,
            ..WindowHints::default()
        }),
    );
    send(agent, 5, Message::WmName(WmName::new(b"xterm")));
    send(agent, 5, Message::WmClass(WmClass::new(b"XTerm", b"xterm")));
    send(
        agent,
        5,
        Message::Configure(Configure {
            x: 10,
            y: 20,
            width: 64,
            height: 32,
            override_redirect: 0,
        }),
    );
    send(
        agent,
        5,
        Message::WindowFlags(WindowFlags { set: 0, unset: 0 }),
    );
    send(
        agent,
        5,
        Message::Map(Map {
            transient_for: 0,
            override_redirect: 0,
        }),
    );
    send(agent, 5, Message::Cursor(Cursor { cursor: 0x100 | 68 }));
    send(agent, 5, dump_of(&run, 64, 32));
    send(
        agent,
        5,
        Message::ShmImage(ShmImage {
            x: 1,
            y: 2,
            width: 30,
            height: 40,
        }),
    );
    send(agent, 5, Message::Dock);
    send(agent, 5, Message::Unmap);
    send(agent, 5, Message::Destroy);
}

fn daemon_for(recording: &Recording) -> DaemonConnection {
    let mut daemon = DaemonConnection::new(DaemonConfig::default());
    daemon.receive_descriptor(pool_fd(&recording.pool)).unwrap();
    daemon
}

fn pool_fd(pool: &PoolAllocator) -> OwnedFd {
    pool.fd().try_clone_to_owned().unwrap()
}

/// Feeds `bytes` in the given chunk sizes; returns a readable summary of every event.
fn feed(
    daemon: &mut DaemonConnection,
    bytes: &[u8],
    chunks: impl IntoIterator<Item = usize>,
) -> Vec<String> {
    let mut events = Vec::new();
    let mut rest = bytes;
    let mut chunks = chunks.into_iter();
    while !rest.is_empty() {
        let n = chunks.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (mut chunk, tail) = rest.split_at(n);
        rest = tail;
        while let Some(event) = daemon.receive(&mut chunk).unwrap() {
            events.push(summary(&event));
        }
        assert!(chunk.is_empty());
    }
    events
}

fn summary(event: &QubeEvent) -> String {
    match event {
        QubeEvent::Image { window, image } => {
            let pixels = image.to_vec();
            let sum: u64 = pixels.iter().map(|b| u64::from(*b)).sum();
            format!("Image {window} {}x{} sum {sum}", image.width, image.height)
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn a_recorded_session_yields_the_same_events_however_it_is_split() {
    let recording = agent_bytes(Version::CURRENT, window_life);
    let whole = feed(&mut daemon_for(&recording), &recording.bytes, []);
    assert_eq!(whole.len(), 13, "{whole:#?}");
    assert!(whole[0].starts_with("Connected"));
    assert!(whole.iter().any(|e| e.starts_with("Image 0x5 64x32")));
    assert!(whole
        .iter()
        .any(|e| e.contains("Damage") && e.contains("width: 30, height: 30")));

    let bytewise = feed(
        &mut daemon_for(&recording),
        &recording.bytes,
        std::iter::repeat(1),
    );
    assert_eq!(bytewise, whole);

    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..50 {
        let splits = std::iter::from_fn(|| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            Some((seed % 300) as usize + 1)
        });
        assert_eq!(
            feed(&mut daemon_for(&recording), &recording.bytes, splits),
            whole
        );
    }
}

#[test]
fn handshake_sends_version_and_xconf() {
    let mut daemon = DaemonConnection::new(DaemonConfig::default());
    daemon.set_output_size(1366, 768);
    let events = feed(&mut daemon, &0x0001_0009u32.to_le_bytes(), []);
    assert_eq!(
        events,
        vec!["Connected { version: Version { major: 1, minor: 8 } }"]
    );
    let mut agent = AgentConnection::new(Version { major: 1, minor: 9 });
    let mut greeting = daemon.outgoing().pending();
    assert_eq!(greeting.len(), 20);
    assert_eq!(
        agent.receive(&mut greeting).unwrap(),
        Some(AgentEvent::Connected {
            version: Version::CURRENT,
            xconf: XConf {
                width: 1368,
                height: 768,
                depth: 24,
                mem_kib: 1368 * 768 * 4 / 1024 + 1
            }
        })
    );
}

#[test]
fn an_old_or_foreign_version_is_refused() {
    for word in [0x0001_0003u32, 0x0002_0000] {
        let mut daemon = DaemonConnection::new(DaemonConfig::default());
        let mut input = &word.to_le_bytes()[..];
        assert!(matches!(
            daemon.receive(&mut input),
            Err(ProtocolError::UnsupportedVersion(_))
        ));
        assert!(matches!(
            daemon.receive(&mut &[0u8][..]),
            Err(ProtocolError::AlreadyFailed)
        ));
    }
}

/// Messages the daemon sent, decoded by an agent, after the greeting.
fn sent_to_agent(daemon: &mut DaemonConnection, offered: Version) -> Vec<(u32, Message)> {
    let mut agent = AgentConnection::new(offered);
    let mut bytes = daemon.outgoing().pending();
    let mut out = Vec::new();
    while let Some(event) = agent.receive(&mut bytes).unwrap() {
        if let AgentEvent::Message { window, message } = event {
            out.push((window, message));
        }
    }
    out
}

#[test]
fn acknowledgements_follow_the_negotiated_version() {
    for (minor, destroy_ack, dump_ack) in [
        (4, false, false),
        (5, true, false),
        (7, true, true),
        (8, true, true),
    ] {
        let version = Version { major: 1, minor };
        let recording = agent_bytes(version, window_life);
        let mut daemon = daemon_for(&recording);
        feed(&mut daemon, &recording.bytes, []);
        let sent = sent_to_agent(&mut daemon, version);
        assert_eq!(
            sent.contains(&(5, Message::Destroy)),
            destroy_ack,
            "1.{minor}"
        );
        assert_eq!(
            sent.contains(&(5, Message::WindowDumpAck)),
            dump_ack,
            "1.{minor}"
        );
    }
}

fn connected_with_window() -> DaemonConnection {
    let mut daemon = connected_at(Version::CURRENT);
    daemon.outgoing().consume(usize::MAX);
    daemon
}

fn message_bytes(window: u32, message: Message) -> Vec<u8> {
    let mut bytes = Vec::new();
    codec::encode(window, &message, &mut bytes);
    bytes
}

#[test]
fn the_daemon_owns_geometry_until_the_agent_confirms_it() {
    let mut daemon = connected_with_window();
    let window = WindowId::new(5).unwrap();
    let ours = Configure {
        x: 100,
        y: 100,
        width: 80,
        height: 60,
        override_redirect: 0,
    };
    daemon
        .send(Some(window), &Message::Configure(ours))
        .unwrap();
    daemon.outgoing().consume(usize::MAX);

    let theirs = Configure { x: 1, ..ours };
    let events = feed(
        &mut daemon,
        &message_bytes(5, Message::Configure(theirs)),
        [],
    );
    assert!(
        events.is_empty(),
        "a conflicting CONFIGURE is answered, not obeyed"
    );
    let mut agent = AgentConnection::new(Version::CURRENT);
    let mut greeting = &[8u8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..];
    agent.receive(&mut greeting).unwrap();
    let mut resent = daemon.outgoing().pending();
    assert_eq!(
        agent.receive(&mut resent).unwrap(),
        Some(AgentEvent::Message {
            window: 5,
            message: Message::Configure(ours)
        })
    );
    daemon.outgoing().consume(usize::MAX);

    let events = feed(&mut daemon, &message_bytes(5, Message::Configure(ours)), []);
    assert_eq!(events.len(), 1);
    assert!(events[0].contains("x: 100, y: 100, width: 80, height: 60"));
    // Confirmed: the agent may move the window again.
    let events = feed(
        &mut daemon,
        &message_bytes(5, Message::Configure(theirs)),
        [],
    );
    assert_eq!(events.len(), 1);
}

#[test]
fn a_configure_beyond_the_limits_is_sent_clamped_so_its_echo_confirms_it() {
    let mut daemon = connected_with_window();
    let window = WindowId::new(5).unwrap();
    let beyond = Configure {
        x: 17_000,
        y: -7_000,
        width: 20_000,
        height: 7_000,
        override_redirect: 0,
    };
    daemon
        .send(Some(window), &Message::Configure(beyond))
        .unwrap();
    let mut agent = AgentConnection::new(Version::CURRENT);
    let mut greeting = &[8u8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..];
    agent.receive(&mut greeting).unwrap();
    let mut sent = daemon.outgoing().pending();
    let clamped = Configure {
        x: 16384,
        y: -6144,
        width: 16384,
        height: 6144,
        override_redirect: 0,
    };
    assert_eq!(
        agent.receive(&mut sent).unwrap(),
        Some(AgentEvent::Message {
            window: 5,
            message: Message::Configure(clamped)
        })
    );
    daemon.outgoing().consume(usize::MAX);
    // The agent follows what it got: confirmed, and nothing is sent again.
    let events = feed(
        &mut daemon,
        &message_bytes(5, Message::Configure(clamped)),
        [],
    );
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(daemon.outgoing().is_empty(), "no CONFIGURE again");
}

#[test]
fn clipboard_data_is_taken_only_when_asked_for() {
    let mut daemon = connected_with_window();
    let data = message_bytes(5, Message::ClipboardData(b"secret".to_vec()));
    assert!(
        feed(&mut daemon, &data, []).is_empty(),
        "unsolicited data is dropped"
    );
    daemon
        .send(WindowId::new(5), &Message::ClipboardReq)
        .unwrap();
    let events = feed(&mut daemon, &data, []);
    assert_eq!(events.len(), 1);
    assert!(events[0].starts_with("ClipboardData"));
    assert!(
        feed(&mut daemon, &data, []).is_empty(),
        "one request, one answer"
    );
}

#[test]
fn clipboard_data_longer_than_the_negotiated_maximum_is_an_error() {
    for (minor, max) in [(7u16, MAX_CLIPBOARD_OLD), (8, MAX_CLIPBOARD_V18)] {
        let version = Version { major: 1, minor };
        let at_max = agent_bytes(version, |agent, _| {
            send(agent, 0, Message::ClipboardData(vec![b'a'; max]))
        });
        let mut daemon = daemon_for(&at_max);
        feed(&mut daemon, &at_max.bytes, []);

        // Our agent refuses to send it, so the bytes are made by hand.
        let mut over = agent_bytes(version, |_, _| {});
        codec::encode(
            0,
            &Message::ClipboardData(vec![b'a'; max + 1]),
            &mut over.bytes,
        );
        let mut daemon = daemon_for(&over);
        let mut input = &over.bytes[..];
        assert!(daemon.receive(&mut input).unwrap().is_some());
        assert!(matches!(
            daemon.receive(&mut input),
            Err(ProtocolError::Decode(
                codec::DecodeError::ClipboardTooLong { .. }
            ))
        ));
    }
}

/// A daemon connected to an agent that offered `version`, with window 5 created.
fn connected_at(version: Version) -> DaemonConnection {
    let recording = agent_bytes(version, |agent, _| {
        send(
            agent,
            5,
            Message::Create(Create {
                x: 0,
                y: 0,
                width: 50,
                height: 50,
                parent: 0,
                override_redirect: 0,
            }),
        );
    });
    let mut daemon = daemon_for(&recording);
    feed(&mut daemon, &recording.bytes, []);
    daemon
}

#[test]
fn the_daemon_sends_no_more_clipboard_data_than_the_negotiated_version_takes() {
    for (minor, max) in [(7u16, MAX_CLIPBOARD_OLD), (8, MAX_CLIPBOARD_V18)] {
        let version = Version { major: 1, minor };
        let mut daemon = connected_at(version);
        let window = WindowId::new(5);
        assert!(matches!(
            daemon.send(window, &Message::ClipboardData(vec![b'a'; max + 1])),
            Err(SendError::ClipboardTooLong { bytes, max: limit, .. }) if bytes == max + 1 && limit == max
        ));
        daemon
            .send(window, &Message::ClipboardData(vec![b'a'; max]))
            .unwrap();
        // The agent of that version takes what was sent, and only that.
        let sent = sent_to_agent(&mut daemon, version);
        let clipboards: Vec<usize> = sent
            .iter()
            .filter_map(|(_, m)| match m {
                Message::ClipboardData(data) => Some(data.len()),
                _ => None,
            })
            .collect();
        assert_eq!(clipboards, [max], "1.{minor}");
    }
}

#[test]
fn an_agent_sends_and_takes_no_more_clipboard_data_than_the_negotiated_version() {
    // A 1.8 agent served by a 1.7 daemon: 65,000 bytes at most, both ways.
    let mut agent = AgentConnection::new(Version::CURRENT);
    let old = Version { major: 1, minor: 7 };
    let mut greeting = old.to_word().to_le_bytes().to_vec();
    greeting.extend_from_slice(&XConf::for_output(800, 600).encode());
    let mut input = &greeting[..];
    assert!(matches!(
        agent.receive(&mut input),
        Ok(Some(AgentEvent::Connected { version, .. })) if version == old
    ));
    assert_eq!(agent.max_clipboard(), MAX_CLIPBOARD_OLD);
    assert!(matches!(
        agent.send(
            5,
            &Message::ClipboardData(vec![b'a'; MAX_CLIPBOARD_OLD + 1])
        ),
        Err(AgentError::ClipboardTooLong {
            max: MAX_CLIPBOARD_OLD,
            ..
        })
    ));
    agent
        .send(5, &Message::ClipboardData(vec![b'a'; MAX_CLIPBOARD_OLD]))
        .unwrap();

    let at_max = message_bytes(5, Message::ClipboardData(vec![b'a'; MAX_CLIPBOARD_OLD]));
    let mut input = &at_max[..];
    assert!(matches!(
        agent.receive(&mut input),
        Ok(Some(AgentEvent::Message { message: Message::ClipboardData(data), .. }))
            if data.len() == MAX_CLIPBOARD_OLD
    ));
    let over = message_bytes(5, Message::ClipboardData(vec![b'a'; MAX_CLIPBOARD_OLD + 1]));
    let mut input = &over[..];
    assert!(matches!(
        agent.receive(&mut input),
        Err(AgentError::Decode(
            codec::DecodeError::ClipboardTooLong { .. }
        ))
    ));
}

#[test]
fn keypresses_carry_only_x_keycodes() {
    let mut daemon = connected_at(Version::CURRENT);
    let key = |keycode| {
        Message::Keypress(Keypress {
            kind: kind::KEY_PRESS,
            x: 0,
            y: 0,
            state: 0,
            keycode,
        })
    };
    let window = WindowId::new(5);
    // KEY_DOLLAR (evdev 434) is X keycode 442, which no X server has.
    for keycode in [0, 7, 256, 442] {
        assert!(
            matches!(daemon.send(window, &key(keycode)), Err(SendError::NotAnXKeycode(k)) if k == keycode),
            "{keycode}"
        );
    }
    for keycode in [8, 13, 255] {
        daemon.send(window, &key(keycode)).unwrap();
    }
    let sent = sent_to_agent(&mut daemon, Version::CURRENT);
    assert_eq!(sent.len(), 3, "{sent:?}");
}

#[test]
fn a_wrong_body_length_is_an_error() {
    let mut daemon = connected_with_window();
    let mut bytes = Header {
        msg_type: MsgType::Map as u32,
        window: 5,
        untrusted_len: 4,
    }
    .encode()
    .to_vec();
    bytes.extend_from_slice(&[0; 4]);
    let mut input = &bytes[..];
    assert!(matches!(
        daemon.receive(&mut input),
        Err(ProtocolError::Decode(
            codec::DecodeError::WrongLength { .. }
        ))
    ));
}

#[test]
fn unknown_types_and_mfndump_are_errors() {
    for msg_type in [
        0u32,
        123,
        150,
        MsgType::MfnDump as u32,
        MsgType::Execute as u32,
    ] {
        let mut daemon = connected_with_window();
        let header = Header {
            msg_type,
            window: 5,
            untrusted_len: 0,
        }
        .encode();
        let mut input = &header[..];
        assert!(
            matches!(daemon.receive(&mut input), Err(ProtocolError::Decode(_))),
            "{msg_type}"
        );
    }
}

#[test]
fn a_dump_with_more_than_98304_refs_is_refused_before_its_body_arrives() {
    let mut daemon = connected_with_window();
    let header = Header {
        msg_type: MsgType::WindowDump as u32,
        window: 5,
        untrusted_len: (DUMP_HEADER_LEN + 4 * (MAX_DUMP_REFS + 1)) as u32,
    };
    let mut input = &header.encode()[..];
    assert!(matches!(
        daemon.receive(&mut input),
        Err(ProtocolError::Decode(codec::DecodeError::TooManyRefs(
            98_305
        )))
    ));
}

#[test]
fn the_largest_dump_is_held_as_one_partial_message() {
    let mut daemon = connected_with_window();
    let dump = message_bytes(
        5,
        Message::WindowDump(WindowDump {
            kind: 0,
            width: 16384,
            height: 6144,
            bpp: 24,
            refs: vec![0; MAX_DUMP_REFS],
        }),
    );
    assert_eq!(dump.len(), 393_244);
    let mut input = &dump[..dump.len() - 1];
    assert!(daemon.receive(&mut input).unwrap().is_none());
    assert_eq!(daemon.framer.buffered(), 393_244 - HEADER_LEN - 1);
    // The last byte completes it: page 0 repeated, 98,304 refs of which no two are adjacent,
    // costs no mapping of its own and is accepted (a real agent's grants are as scattered).
    let mut last = &dump[dump.len() - 1..];
    match daemon.receive(&mut last) {
        Ok(Some(QubeEvent::Image { image, .. })) => {
            assert_eq!((image.width, image.height), (16384, 6144));
            assert_eq!(image.view.len(), MAX_DUMP_REFS * PAGE_SIZE);
        }
        other => panic!("the dump must be mapped: {other:?}"),
    }
}

#[test]
fn a_ref_outside_the_pool_is_a_protocol_error() {
    let recording = agent_bytes(Version::CURRENT, |agent, pool| {
        send(
            agent,
            5,
            Message::Create(Create {
                x: 0,
                y: 0,
                width: 32,
                height: 32,
                parent: 0,
                override_redirect: 0,
            }),
        );
        let beyond = PageRun {
            first: pool.pages() as u32,
            count: 1,
        };
        send(agent, 5, dump_of(&beyond, 32, 32));
    });
    let mut daemon = daemon_for(&recording);
    let mut input = &recording.bytes[..];
    while let Ok(Some(_)) = daemon.receive(&mut input) {}
    assert!(matches!(
        daemon.receive(&mut input),
        Err(ProtocolError::AlreadyFailed)
    ));
    let mut daemon = daemon_for(&recording);
    let mut input = &recording.bytes[..];
    let result = std::iter::from_fn(|| Some(daemon.receive(&mut input)))
        .find(|r| !matches!(r, Ok(Some(_))))
        .unwrap();
    assert!(matches!(
        result,
        Err(ProtocolError::Pool(PoolError::RefOutsidePool { .. }))
    ));
}

#[test]
fn a_dump_without_a_pool_is_a_protocol_error() {
    let recording = agent_bytes(Version::CURRENT, |agent, pool| {
        send(
            agent,
            5,
            Message::Create(Create {
                x: 0,
                y: 0,
                width: 32,
                height: 32,
                parent: 0,
                override_redirect: 0,
            }),
        );
        let run = pool.alloc(4096).unwrap();
        send(agent, 5, dump_of(&run, 32, 32));
    });
    let mut daemon = DaemonConnection::new(DaemonConfig::default());
    let mut input = &recording.bytes[..];
    let result = std::iter::from_fn(|| Some(daemon.receive(&mut input)))
        .find(|r| !matches!(r, Ok(Some(_))))
        .unwrap();
    assert!(matches!(result, Err(ProtocolError::NoPool)));
}

#[test]
fn a_descriptor_is_taken_only_with_the_version_word() {
    let pool = PoolAllocator::new(1, 1).unwrap();
    let mut daemon = connected_with_window();
    assert!(matches!(
        daemon.receive_descriptor(pool_fd(&pool)),
        Err(ProtocolError::UnexpectedDescriptor)
    ));
    let mut daemon = DaemonConnection::new(DaemonConfig::default());
    daemon.receive_descriptor(pool_fd(&pool)).unwrap();
    assert!(matches!(
        daemon.receive_descriptor(pool_fd(&pool)),
        Err(ProtocolError::UnexpectedDescriptor)
    ));
}

#[test]
fn an_agent_that_does_not_read_is_cut_off_at_10_mb() {
    let mut daemon = connected_with_window();
    let window = WindowId::new(5);
    let motion = Message::Motion(Motion {
        x: 1,
        y: 1,
        state: 0,
        is_hint: 0,
    });
    let per_message = HEADER_LEN + Motion::LEN;
    for _ in 0..MAX_QUEUED_BYTES / per_message {
        daemon.send(window, &motion).unwrap();
    }
    assert!(matches!(
        daemon.send(window, &motion),
        Err(SendError::Fatal(ProtocolError::WriteQueueFull(_)))
    ));
    assert!(matches!(
        daemon.receive(&mut &[0u8][..]),
        Err(ProtocolError::AlreadyFailed)
    ));
}

#[test]
fn focus_in_and_enter_are_preceded_by_keymap_notify() {
    let mut daemon = connected_with_window();
    let window = WindowId::new(5).unwrap();
    let focus_in = Message::Focus(Focus {
        kind: kind::FOCUS_IN,
        mode: 0,
        detail: 0,
    });
    assert!(matches!(
        daemon.send(Some(window), &focus_in),
        Err(SendError::NeedsKeymap(_))
    ));
    let mut keys = [0u8; KEYMAP_LEN];
    keys[4] = 0x10;
    daemon.enter(window, &focus_in, keys).unwrap();
    let focus_out = Message::Focus(Focus {
        kind: kind::FOCUS_OUT,
        mode: 0,
        detail: 0,
    });
    daemon.send(Some(window), &focus_out).unwrap();
    let mut agent = AgentConnection::new(Version::CURRENT);
    agent
        .receive(&mut &[8u8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..])
        .unwrap();
    let mut bytes = daemon.outgoing().pending();
    let mut got = Vec::new();
    while let Some(event) = agent.receive(&mut bytes).unwrap() {
        got.push(event);
    }
    assert_eq!(
        got,
        vec![
            AgentEvent::Message {
                window: 0,
                message: Message::KeymapNotify(keys)
            },
            AgentEvent::Message {
                window: 5,
                message: focus_in
            },
            AgentEvent::Message {
                window: 5,
                message: focus_out
            },
        ]
    );
}

#[test]
fn the_daemon_sends_only_daemon_messages_to_existing_windows() {
    let mut daemon = connected_with_window();
    assert!(matches!(
        daemon.send(WindowId::new(5), &Message::Unmap),
        Err(SendError::NotFromDaemon(MsgType::Unmap))
    ));
    assert!(matches!(
        daemon.send(WindowId::new(5), &Message::WindowDumpAck),
        Err(SendError::NotFromDaemon(_))
    ));
    assert!(matches!(
        daemon.send(WindowId::new(6), &Message::Close),
        Err(SendError::UnknownWindow(_))
    ));
    assert!(daemon.send(WindowId::new(5), &Message::Close).is_ok());
}

#[test]
fn window_images_may_not_add_up_to_more_than_the_pool() {
    // Three 128x64 windows (32 KiB each) on the same pages of a 64 KiB pool: however the pages
    // are shared, 96 KiB of images pass a 64 KiB cap.
    let recording = agent_bytes(Version::CURRENT, |agent, pool| {
        let run = pool.alloc(128 * 64 * 4).unwrap();
        for id in 1..=3 {
            send(
                agent,
                id,
                Message::Create(Create {
                    x: 0,
                    y: 0,
                    width: 128,
                    height: 64,
                    parent: 0,
                    override_redirect: 0,
                }),
            );
            send(agent, id, dump_of(&run, 128, 64));
        }
    });
    let images_with_cap = |max_pool_bytes: u64| {
        let config = DaemonConfig {
            max_pool_bytes,
            ..DaemonConfig::default()
        };
        let mut daemon = DaemonConnection::new(config);
        daemon.receive_descriptor(pool_fd(&recording.pool)).unwrap();
        let mut input = &recording.bytes[..];
        let mut images = 0;
        loop {
            match daemon.receive(&mut input) {
                Ok(Some(QubeEvent::Image { .. })) => images += 1,
                Ok(Some(_)) => {}
                Ok(None) => return Ok(images),
                Err(error) => return Err((images, error)),
            }
        }
    };
    assert!(matches!(images_with_cap(128 * 1024), Ok(3)));
    assert!(matches!(
        images_with_cap(64 * 1024),
        Err((
            2,
            ProtocolError::ImagesTooLarge {
                bytes: 98304,
                max: 65536
            }
        ))
    ));
}

/// Item 20: the reference daemon releases a window's old image before it acks the dump that
/// replaced it, so that the agent never reuses pages still mapped. Here the ack of the second
/// dump waits until whoever holds the first image (the compositor, a texture) drops it.
#[test]
fn a_dump_is_acknowledged_only_after_the_image_it_replaces_is_dropped() {
    let recording = agent_bytes(Version::CURRENT, |agent, pool| {
        let first = pool.alloc(64 * 32 * 4).unwrap();
        let second = pool.alloc(64 * 32 * 4).unwrap();
        let create = Create {
            x: 0,
            y: 0,
            width: 64,
            height: 32,
            parent: 0,
            override_redirect: 0,
        };
        send(agent, 5, Message::Create(create));
        send(agent, 5, dump_of(&first, 64, 32));
        send(agent, 5, dump_of(&second, 64, 32));
    });
    let mut daemon = daemon_for(&recording);
    let mut input = &recording.bytes[..];
    let mut images = Vec::new();
    while let Some(event) = daemon.receive(&mut input).unwrap() {
        if let QubeEvent::Image { image, .. } = event {
            images.push(image);
        }
    }
    let acks = |daemon: &mut DaemonConnection| {
        sent_to_agent(daemon, Version::CURRENT)
            .iter()
            .filter(|(_, message)| *message == Message::WindowDumpAck)
            .count()
    };
    assert_eq!(images.len(), 2);
    assert_eq!(acks(&mut daemon), 1, "the first dump replaced nothing");
    assert!(!daemon.queue_released_acks().unwrap());
    assert_eq!(acks(&mut daemon), 1, "the first image is still held");
    let first = images.remove(0);
    let texture_reading_in_place = Arc::clone(&first.view);
    drop(first);
    assert!(!daemon.queue_released_acks().unwrap());
    assert_eq!(
        acks(&mut daemon),
        1,
        "a texture still reads the first image"
    );
    drop(texture_reading_in_place);
    assert!(daemon.queue_released_acks().unwrap());
    assert_eq!(
        acks(&mut daemon),
        2,
        "released: the second dump is acknowledged"
    );
}
