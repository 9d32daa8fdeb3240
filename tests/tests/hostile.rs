//! A hostile qube breaks each rule of spec §4 in turn. Every protocol error cuts off that qube
//! alone: its windows vanish and it shows as disconnected, while airgui stays up and a
//! well-behaved qube's animation goes on. Hostile titles are sanitized.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use airgui_e2e::*;
use guid_demo_agent::pattern::Pattern;
use guid_protocol::codec;
use guid_protocol::msg::*;
use guid_protocol::{PoolAllocator, Rect};

/// Where the hostile qube's window is, and its colour.
const EVIL_WINDOW: Rect = Rect {
    x: 340,
    y: 80,
    width: 160,
    height: 120,
};
const EVIL_RGB: u32 = 0x00ffff;

/// One way to break the protocol, committed after window 1 exists, is mapped and has pixels.
/// Errors from the socket are fine: the daemon may hang up in the middle.
type Violation = fn(&mut RawAgent) -> io::Result<()>;

fn create(x: i32, width: u32, height: u32) -> Message {
    Message::Create(Create {
        x,
        y: 10,
        width,
        height,
        parent: 0,
        override_redirect: 0,
    })
}

fn map() -> Message {
    Message::Map(Map {
        transient_for: 0,
        override_redirect: 0,
    })
}

fn dump(kind: u32, width: u32, height: u32, refs: Vec<u32>) -> Message {
    Message::WindowDump(WindowDump {
        kind,
        width,
        height,
        bpp: 24,
        refs,
    })
}

/// A setup with the qube under test and a well-behaved animating qube beside it.
fn with_good_qube(evil_keys: &str) -> (Airgui, Agent) {
    let airgui = Setup::new()
        .output(640, 480)
        .qube("good", "green")
        .qube_with("evil", "red", evil_keys)
        .start();
    let good = airgui
        .agent("good")
        .window("w=200,h=150,x=40,y=80,title=Good,pattern=gradient,animate=square,fps=30")
        .start();
    airgui.wait_window("good", 1);
    (airgui, good)
}

/// X keycode of Q, typed into good to show that the user's input still reaches it.
const KEY_Q: u64 = 24;

/// good is connected, its window listed and still animating (frames keep coming: nothing else
/// changes), and a key typed after a click on it reaches it; airgui is up.
fn assert_good_goes_on(airgui: &Airgui, good: &Agent, what: &str) {
    airgui.assert_alive();
    assert!(airgui.connected("good"), "{what}: good was cut off");
    let window = airgui.window("good", 1);
    assert!(
        window.as_ref().is_some_and(|w| w.mapped),
        "{what}: good's window went: {window:?}"
    );
    let count = airgui.frames().count;
    wait_for(&format!("{what}: good's animation to go on"), || {
        let now = airgui.frames().count;
        if now >= count + 3 {
            Ok(())
        } else {
            Err(now)
        }
    });
    let typed = |events: &[serde_json::Value]| {
        keypresses(events)
            .iter()
            .filter(|press| **press == (2, KEY_Q))
            .count()
    };
    let before = typed(&good.events());
    airgui.click(window.map_or((140.0, 155.0), |w| w.centre()));
    airgui.type_text("q");
    good.wait_events(&format!("{what}: q typed into good"), |events| {
        typed(events) > before
    });
}

/// Runs each violation with a fresh connection of the qube "evil" (max_windows = 3) next to the
/// animating qube "good".
fn each_violation_cuts_off_only_the_hostile_qube(cases: &[(&str, Violation)]) {
    let (airgui, good) = with_good_qube("max_windows = 3");
    let evil_pixel = (EVIL_WINDOW.x + 10, EVIL_WINDOW.y + 10);

    for (case, violate) in cases {
        let mut evil = airgui.raw_agent("evil");
        evil.create_window(1, EVIL_WINDOW, b"innocent", Pattern::Solid(EVIL_RGB));
        let window = airgui.wait_window("evil", 1);
        assert_eq!(window.content, EVIL_WINDOW, "{case}");
        wait_for(&format!("{case}: evil's window drawn"), || {
            match airgui.screenshot().pixel(evil_pixel.0, evil_pixel.1) {
                pixel if pixel == rgb(EVIL_RGB) => Ok(()),
                other => Err(other),
            }
        });

        let _ = violate(&mut evil);

        wait_for(&format!("{case}: evil cut off, its windows gone"), || {
            let (state, windows) = (airgui.qube("evil"), airgui.windows_of("evil"));
            if state["connected"] == false && state["windows"] == 0 && windows.is_empty() {
                Ok(())
            } else {
                Err((state, windows))
            }
        });
        assert_good_goes_on(&airgui, &good, case);
        let shot = airgui.screenshot();
        assert_eq!(
            shot.pixel(evil_pixel.0, evil_pixel.1),
            BACKGROUND,
            "{case}: evil's window is still drawn"
        );
    }
    assert!(
        airgui.log().contains("protocol error"),
        "the errors are logged"
    );
}

#[test]
fn framing_errors() {
    each_violation_cuts_off_only_the_hostile_qube(&[
        ("an unknown message type", |evil| {
            evil.send_header(0xdead, 1, 0, &[])
        }),
        ("the sentinel type 123", |evil| {
            evil.send_header(123, 1, 0, &[])
        }),
        ("the sentinel type 150", |evil| {
            evil.send_header(150, 1, 0, &[])
        }),
        ("KEYPRESS, which only the daemon sends", |evil| {
            evil.send(1, &Message::Keypress(Keypress::default()))
        }),
        ("WINDOW_DUMP_ACK, which only the daemon sends", |evil| {
            evil.send(1, &Message::WindowDumpAck)
        }),
        ("MAP with a 4-byte body", |evil| {
            evil.send_header(MsgType::Map as u32, 1, 4, &[0; 4])
        }),
        ("CONFIGURE with a 24-byte body", |evil| {
            evil.send_header(MsgType::Configure as u32, 1, 24, &[1; 24])
        }),
        ("DESTROY with a body", |evil| {
            evil.send_header(MsgType::Destroy as u32, 1, 4, &[0; 4])
        }),
        ("MFNDUMP", |evil| {
            evil.send_header(MsgType::MfnDump as u32, 1, 0, &[])
        }),
        ("clipboard data over the protocol's 256,001 bytes", |evil| {
            evil.send_header(
                MsgType::ClipboardData as u32,
                0,
                MAX_CLIPBOARD_V18 as u32 + 1,
                &[b'x'; 1024],
            )
        }),
    ]);
}

#[test]
fn window_rule_errors() {
    each_violation_cuts_off_only_the_hostile_qube(&[
        ("MAP of a window never created", |evil| {
            evil.send(99, &map())
        }),
        ("MAP of window 0", |evil| evil.send(0, &map())),
        ("SHMIMAGE of a window never created", |evil| {
            evil.send(7, &Message::ShmImage(ShmImage::default()))
        }),
        ("CREATE of an existing window", |evil| {
            evil.send(1, &create(10, 50, 50))
        }),
        ("CREATE of window 0", |evil| {
            evil.send(0, &create(10, 50, 50))
        }),
        ("CREATE with zero width", |evil| {
            evil.send(2, &create(10, 0, 50))
        }),
        ("CREATE with zero height", |evil| {
            evil.send(2, &create(10, 50, 0))
        }),
        ("CONFIGURE to zero size", |evil| {
            evil.send(
                1,
                &Message::Configure(Configure {
                    x: 340,
                    y: 80,
                    width: 0,
                    height: 0,
                    override_redirect: 0,
                }),
            )
        }),
        ("WINDOW_FLAGS setting and clearing FULLSCREEN", |evil| {
            evil.send(
                1,
                &Message::WindowFlags(WindowFlags {
                    set: flags::FULLSCREEN,
                    unset: flags::FULLSCREEN,
                }),
            )
        }),
        ("CURSOR with an odd X font glyph", |evil| {
            evil.send(1, &Message::Cursor(Cursor { cursor: 0x101 }))
        }),
        ("CURSOR past the X font's glyphs", |evil| {
            evil.send(
                1,
                &Message::Cursor(Cursor {
                    cursor: 0x100 | 154,
                }),
            )
        }),
        ("CURSOR that is not an X font cursor", |evil| {
            evil.send(1, &Message::Cursor(Cursor { cursor: 2 }))
        }),
        ("a fourth window with max_windows = 3", |evil| {
            evil.send(2, &create(10, 16, 16))?;
            evil.send(3, &create(40, 16, 16))?;
            evil.send(4, &create(70, 16, 16))
        }),
    ]);
}

#[test]
fn window_dump_errors() {
    each_violation_cuts_off_only_the_hostile_qube(&[
        ("WINDOW_DUMP of type 1", |evil| {
            evil.send(1, &dump(1, 16, 16, vec![0]))
        }),
        ("WINDOW_DUMP wider than 16384", |evil| {
            evil.send(1, &dump(0, 16385, 1, (0..17).collect()))
        }),
        ("WINDOW_DUMP higher than 6144", |evil| {
            evil.send(1, &dump(0, 1, 6145, (0..7).collect()))
        }),
        ("WINDOW_DUMP with more than 98,304 refs", |evil| {
            let refs = MAX_DUMP_REFS as u32 + 1;
            evil.send_header(
                MsgType::WindowDump as u32,
                1,
                DUMP_HEADER_LEN as u32 + 4 * refs,
                &[0; 16],
            )
        }),
        ("WINDOW_DUMP with too few pages", |evil| {
            // 100x100 pixels of 4 bytes need 10 pages.
            evil.send(1, &dump(0, 100, 100, (0..9).collect()))
        }),
        ("WINDOW_DUMP naming a page outside the pool", |evil| {
            let outside = evil.pool.pages() as u32 + 1000;
            evil.send(1, &dump(0, 16, 16, vec![outside]))
        }),
    ]);
}

/// Title bytes with control, bidi, zero-width and non-ASCII characters.
const HOSTILE_TITLE: &[u8] = b"Hi\x07\x1bx\xe2\x80\xaeevil\xe2\x80\x8b\xc3\xa9\x7f\xc2\x85\xff!";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn hostile_titles_are_sanitized() {
    let airgui = Setup::new()
        .qube("plain", "red")
        .qube_with("utf", "blue", "allow_utf8_titles = true")
        .qube("raw", "black")
        .start();
    let spec = format!("w=100,h=80,x=20,y=40,title_hex={}", hex(HOSTILE_TITLE));
    let _plain = airgui.agent("plain").window(&spec).start();
    let _utf = airgui.agent("utf").window(&spec).start();
    let title = |qube: &str| {
        wait_for(&format!("{qube}'s title"), || {
            match airgui.window(qube, 1) {
                Some(w) if !w.title.is_empty() => Ok(w.title),
                other => Err(other),
            }
        })
    };
    // Without allow_utf8_titles, every byte outside printable ASCII is '_'.
    assert_eq!(title("plain"), "Hi__x___evil_________!");
    // With it, control (C0, C1, DEL), bidi and zero-width characters and invalid bytes are '_';
    // letters such as é stay.
    assert_eq!(title("utf"), "Hi__x_evil_é___!");

    // A title of 128 bytes with no NUL is cut at 127; a NUL ends it earlier.
    let mut raw = airgui.raw_agent("raw");
    raw.create_window(1, Rect::new(300, 40, 100, 80), b"x", Pattern::Gradient);
    raw.send(1, &Message::WmName(WmName { title: [b'A'; 128] }))
        .unwrap();
    let long = wait_for("the long title", || match airgui.window("raw", 1) {
        Some(w) if w.title.starts_with('A') => Ok(w.title),
        other => Err(other),
    });
    assert_eq!(long, "A".repeat(127));
    raw.send(1, &Message::WmName(WmName::new(b"ab\0cd")))
        .unwrap();
    wait_for("the title cut at NUL", || match airgui.window("raw", 1) {
        Some(w) if w.title == "ab" => Ok(()),
        other => Err(other),
    });
    // Another qube's name in the title is only text: the window is still raw's.
    raw.send(1, &Message::WmName(WmName::new(b"[plain] Bank")))
        .unwrap();
    let impersonating = wait_for("the impersonating title", || {
        let windows = airgui.windows();
        match windows.iter().find(|w| w.title == "[plain] Bank") {
            Some(w) => Ok(w.clone()),
            None => Err(windows),
        }
    });
    assert_eq!((impersonating.qube.as_str(), impersonating.id), ("raw", 1));
    assert!(airgui.connected("raw"));
}

#[test]
fn unsupported_versions_are_refused_and_newer_minors_served_at_1_8() {
    let (airgui, good) = with_good_qube("");
    let socket = airgui.qube_socket("evil");
    for (major, minor) in [(1, 3), (2, 8), (0, 8)] {
        let pool = PoolAllocator::new(4, 4).unwrap();
        let offered = Version { major, minor };
        assert!(
            RawAgent::handshake(&socket, offered, pool, None).is_none(),
            "version {offered} must be refused"
        );
        airgui.wait_gone("evil");
    }
    let pool = PoolAllocator::new(4, 4).unwrap();
    let newer = Version { major: 1, minor: 9 };
    let agent = RawAgent::handshake(&socket, newer, pool, None).expect("1.9 is served");
    assert_eq!(agent.version(), Some(Version::CURRENT), "at 1.8");
    assert_good_goes_on(&airgui, &good, "versions");
}

#[test]
fn pools_that_can_shrink_or_are_too_large_are_refused() {
    let (airgui, good) = with_good_qube("max_pool_bytes = 131072");
    let socket = airgui.qube_socket("evil");

    // A memfd without F_SEAL_SHRINK could be truncated under the daemon's mappings.
    let unsealed = rustix::fs::memfd_create("unsealed", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
    rustix::fs::ftruncate(&unsealed, 4 * PAGE_SIZE as u64).unwrap();
    let pool = PoolAllocator::new(4, 4).unwrap();
    assert!(
        RawAgent::handshake(&socket, Version::CURRENT, pool, Some(unsealed.as_fd())).is_none(),
        "an unsealed pool must be refused"
    );
    airgui.wait_gone("evil");

    // 64 pages are 256 KiB, more than max_pool_bytes.
    let pool = PoolAllocator::new(64, 64).unwrap();
    assert!(
        RawAgent::handshake(&socket, Version::CURRENT, pool, None).is_none(),
        "a pool over max_pool_bytes must be refused"
    );
    airgui.wait_gone("evil");

    // 16 pages (64 KiB) are fine, until the pool grows past the cap.
    let pool = PoolAllocator::new(16, 1024).unwrap();
    let mut evil = RawAgent::handshake(&socket, Version::CURRENT, pool, None)
        .expect("a 64 KiB pool is within max_pool_bytes");
    evil.create_window(1, Rect::new(300, 60, 64, 64), b"small", Pattern::Gradient);
    airgui.wait_window("evil", 1);
    assert!(airgui.connected("evil"));
    // 200x150 pixels need 30 pages, 12 are free: the pool grows to 34 pages, 136 KiB.
    // The daemon may hang up before the last message: that is what is tested.
    let _ = evil.try_create_window(2, Rect::new(300, 200, 200, 150), b"big", Pattern::Gradient);
    assert!(evil.pool.pages() * PAGE_SIZE > 131072);
    airgui.wait_gone("evil");
    assert_good_goes_on(&airgui, &good, "pools");
}

/// Item 16: airgui opens a configured pool path when the qube's agent connects. A FIFO there
/// would block that open, and with it the whole compositor, until some writer came; a symbolic
/// link could lead anywhere. Both are refused at once, with the reason in `msg qubes`, and the
/// other qube goes on.
#[test]
fn a_fifo_or_a_symlink_at_a_configured_pool_path_is_refused_without_blocking() {
    let dir = std::env::temp_dir().join(format!("airgui-pool-paths-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        0,
    )
    .unwrap();
    // The link leads to a good sealed pool: the link itself is what is refused.
    let pool = PoolAllocator::new(4, 4).unwrap();
    let link = dir.join("link");
    let target = format!(
        "/proc/{}/fd/{}",
        std::process::id(),
        std::os::fd::AsRawFd::as_raw_fd(&pool.fd())
    );
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let airgui = Setup::new()
        .output(640, 480)
        .qube("good", "green")
        .qube_with("fifo", "red", &format!("pool = \"{}\"", fifo.display()))
        .qube_with("link", "red", &format!("pool = \"{}\"", link.display()))
        .start();
    let good = airgui
        .agent("good")
        .window("w=200,h=150,x=40,y=80,title=Good,pattern=gradient,animate=square,fps=30")
        .start();
    airgui.wait_window("good", 1);

    for (qube, why) in [("fifo", "a FIFO"), ("link", "symbolic link")] {
        let _agent = std::os::unix::net::UnixStream::connect(airgui.qube_socket(qube)).unwrap();
        let reason = wait_for(&format!("{qube}'s pool refused"), || {
            let state = airgui.qube(qube);
            match state["not_connected_because"].as_str() {
                Some(reason) if reason.contains(why) => Ok(reason.to_owned()),
                _ => Err(state),
            }
        });
        assert!(reason.contains("configured pool"), "{reason}");
        assert!(!airgui.connected(qube));
        assert_good_goes_on(&airgui, &good, qube);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_qube_that_stops_reading_is_cut_off() {
    let (airgui, good) = with_good_qube("");
    let mut evil = airgui.raw_agent("evil");
    // Placed elsewhere than asked: the daemon's CONFIGURE is pending and the agent never
    // follows; each other CONFIGURE it sends makes the daemon repeat its own. It reads nothing.
    evil.create_window(1, Rect::new(600, 400, 100, 100), b"deaf", Pattern::Gradient);
    let placed = airgui.wait_window("evil", 1).content;
    assert_ne!((placed.x, placed.y), (600, 400));
    let mut burst = Vec::new();
    for _ in 0..4096 {
        codec::encode(
            1,
            &Message::Configure(Configure {
                x: 600,
                y: 400,
                width: 100,
                height: 100,
                override_redirect: 0,
            }),
            &mut burst,
        );
    }
    // 12 MiB of CONFIGURE asks for more than 10 MB of answers.
    let mut sent = 0;
    while sent < 12 << 20 && evil.send_raw(&burst).is_ok() {
        sent += burst.len();
    }
    airgui.wait_gone("evil");
    assert!(
        airgui.log().contains("does not read"),
        "the reason is logged"
    );
    assert_good_goes_on(&airgui, &good, "a deaf qube");
}

/// evil floods valid copies of `message` for window 1 as fast as its socket takes them, from
/// another thread, while good must go on and the user's keys reach it.
fn flood_does_not_starve_the_others_or_the_user(message: Message) {
    let (airgui, good) = with_good_qube("");
    let mut evil = airgui.raw_agent("evil");
    evil.create_window(1, Rect::new(300, 60, 100, 100), b"flood", Pattern::Gradient);
    airgui.wait_window("evil", 1);

    let mut burst = Vec::new();
    for _ in 0..512 {
        codec::encode(1, &message, &mut burst);
    }
    let message_len = burst.len() / 512;
    let socket = evil.socket_clone();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let flooding = {
        let (stop, sent) = (Arc::clone(&stop), Arc::clone(&sent));
        std::thread::spawn(move || {
            let flags = rustix::net::SendFlags::NOSIGNAL | rustix::net::SendFlags::DONTWAIT;
            while !stop.load(Ordering::Relaxed) {
                // Whole messages only: a partial write is completed before the next burst.
                let at = sent.load(Ordering::Relaxed) % burst.len();
                match rustix::net::send(&socket, &burst[at..], flags) {
                    Ok(n) => {
                        sent.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(rustix::io::Errno::AGAIN) => poll(&socket, rustix::event::PollFlags::OUT),
                    Err(_) => break,
                }
            }
        })
    };

    // Once the flood is well under way (however busy the machine), good animates, the IPC
    // answers and typed keys reach good while it goes on.
    wait_for("10,000 messages of flood", || {
        match sent.load(Ordering::Relaxed) / message_len {
            n if n >= 10_000 => Ok(()),
            n => Err(n),
        }
    });
    assert_good_goes_on(&airgui, &good, "during the flood");
    stop.store(true, Ordering::Relaxed);
    flooding.join().unwrap();
    assert!(airgui.connected("evil"), "valid messages are no error");
}

#[test]
fn a_title_flood_does_not_starve_the_others_or_the_user() {
    flood_does_not_starve_the_others_or_the_user(Message::WmName(WmName::new(b"flood")));
}

#[test]
fn a_damage_flood_does_not_starve_the_others_or_the_user() {
    flood_does_not_starve_the_others_or_the_user(Message::ShmImage(ShmImage {
        x: 0,
        y: 0,
        width: 100,
        height: 100,
    }));
}

#[test]
fn half_a_message_and_then_silence_blocks_nothing() {
    let (airgui, good) = with_good_qube("");
    let mut evil = airgui.raw_agent("evil");
    evil.create_window(1, Rect::new(300, 60, 100, 100), b"mute", Pattern::Gradient);
    airgui.wait_window("evil", 1);
    // A WMNAME header and 10 of its 128 bytes; the rest never comes.
    evil.send_header(MsgType::WmName as u32, 1, TITLE_LEN as u32, &[b'x'; 10])
        .unwrap();
    // The daemon keeps the part and waits for the rest without blocking anything else.
    assert_good_goes_on(&airgui, &good, "half a message");
    assert!(
        airgui.connected("evil"),
        "an unfinished message is no error yet"
    );
    drop(evil);
    airgui.wait_gone("evil");
    assert_good_goes_on(&airgui, &good, "after the silent qube left");
}

/// Descriptors airgui has open.
fn open_descriptors(airgui: &Airgui) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", airgui.pid()))
        .unwrap()
        .count()
}

#[test]
fn connect_disconnect_storms_leak_nothing() {
    let (airgui, good) = with_good_qube("");
    let storm = |rounds: u32| {
        for round in 0..rounds {
            let mut evil = airgui.raw_agent("evil");
            evil.create_window(1, Rect::new(300, 60, 64, 64), b"storm", Pattern::Gradient);
            if round % 2 == 0 {
                // Half of them leave before airgui has even seen the window.
                airgui.wait_window("evil", 1);
            }
            drop(evil);
            airgui.wait_gone("evil");
        }
    };
    storm(5);
    let before = open_descriptors(&airgui);
    storm(200);
    assert_good_goes_on(&airgui, &good, "after the storm");
    // The IPC requests of the test itself come and go: wait until airgui has closed them.
    wait_for(
        &format!("airgui's descriptors back to {before} after 200 connections"),
        || match open_descriptors(&airgui) {
            now if now <= before => Ok(()),
            now => Err(now),
        },
    );
}

#[test]
fn windows_sharing_pages_cannot_multiply_the_images_past_the_pool_cap() {
    // A 1 MiB cap: the agent's 256 KiB pool fits, and 16 windows of 64 KiB images fill it.
    let (airgui, good) = with_good_qube("max_pool_bytes = 1048576");
    let evil = airgui.raw_agent("evil");
    // Every window shows the same 16 pages; window 17 would bring the images past 1 MiB.
    for id in 1..=17 {
        let _ = evil.send(id, &create(10, 128, 128));
        let _ = evil.send(id, &dump(0, 128, 128, (0..16).collect()));
    }
    wait_for("evil cut off, its windows gone", || {
        let (state, windows) = (airgui.qube("evil"), airgui.windows_of("evil"));
        if state["connected"] == false && windows.is_empty() {
            Ok(())
        } else {
            Err((state, windows))
        }
    });
    assert_good_goes_on(&airgui, &good, "images past the pool cap");
    assert!(
        airgui.log().contains("window images would hold"),
        "the reason is logged"
    );
}
