//! Qubes come and go: a killed agent's windows vanish and come back with a new agent, and the
//! close button asks the agent to close its window.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;

const SPEC: &str = "w=200,h=120,x=60,y=80,title=Notes,pattern=solid:#ffa500";
const ORANGE: [u8; 3] = [0xff, 0xa5, 0];

/// Waits until the pixel at `at` has `colour`.
fn wait_pixel(airgui: &Airgui, what: &str, at: (f64, f64), colour: [u8; 3]) {
    wait_for(what, || {
        match airgui.screenshot().pixel(at.0 as i32, at.1 as i32) {
            pixel if pixel == colour => Ok(()),
            other => Err(other),
        }
    });
}

#[test]
fn a_killed_agent_loses_its_windows_and_a_new_one_gets_them_back() {
    let airgui = Setup::new()
        .qube("notes", "yellow")
        .qube("other", "blue")
        .start();
    let _other = airgui
        .agent("other")
        .window("w=100,h=100,x=400,y=80,title=Other,pattern=gradient")
        .start();
    let mut agent = airgui.agent("notes").window(SPEC).start();
    let window = airgui.wait_window("notes", 1);
    assert_eq!(window.title, "Notes");
    assert!(airgui.connected("notes"));
    wait_pixel(&airgui, "the window drawn", window.centre(), ORANGE);

    agent.kill();
    airgui.wait_gone("notes");
    assert_eq!(airgui.qube("notes")["windows"], 0);
    wait_pixel(
        &airgui,
        "the window gone from the screen",
        window.centre(),
        BACKGROUND,
    );
    assert!(
        airgui.window("other", 1).is_some(),
        "the other qube keeps its window"
    );

    let _again = airgui.agent("notes").window(SPEC).start();
    let back = airgui.wait_window("notes", 1);
    assert_eq!(back.title, "Notes");
    assert_eq!(back.content, window.content);
    assert!(airgui.connected("notes"));
    wait_pixel(&airgui, "the window drawn again", back.centre(), ORANGE);
    let shot = airgui.screenshot();
    let [left, ..] = back.borders();
    shot.assert_region("the border of the window back", left, |_, _| {
        label_colour("yellow")
    });
}

#[test]
fn after_airgui_restarts_the_agents_windows_keep_their_stacking_order() {
    let airgui = Setup::new().qube("notes", "yellow").start();
    // Three overlapping windows, created in order: the last on top.
    let _agent = airgui
        .agent("notes")
        .window("w=200,h=150,x=60,y=80,title=Old,pattern=solid:#ff0000")
        .window("w=200,h=150,x=100,y=120,title=Middle,pattern=solid:#00ff00")
        .window("w=200,h=150,x=140,y=160,title=New,pattern=solid:#0000ff")
        .reconnect()
        .start();
    let order = || {
        let mut windows = airgui.windows_of("notes");
        windows.sort_by_key(|w| w.stacking);
        windows.iter().map(|w| w.id).collect::<Vec<_>>()
    };
    let wait_order = |what: &str| {
        wait_for(what, || {
            let windows = airgui.windows_of("notes");
            match order() {
                ids if ids == [1, 2, 3] && windows.iter().all(|w| w.mapped) => Ok(()),
                ids => Err(ids),
            }
        })
    };
    wait_order("the windows stacked as created");
    // Where all three overlap, the newest shows.
    wait_pixel(
        &airgui,
        "the newest window on top",
        (150.0, 170.0),
        [0, 0, 0xff],
    );

    airgui.kill();
    airgui.restart("127.0.0.1:0");
    // The agent lists its windows newest first, as the Qubes agent does; they keep their order.
    wait_order("the windows stacked as before the restart");
    wait_pixel(
        &airgui,
        "the newest window on top again",
        (150.0, 170.0),
        [0, 0, 0xff],
    );
}

#[test]
fn the_close_button_asks_the_agent_to_close_the_window() {
    let airgui = Setup::new().qube("notes", "yellow").start();
    let agent = airgui
        .agent("notes")
        .window(SPEC)
        .window("w=100,h=60,x=400,y=80,title=Keep,pattern=gradient")
        .start();
    let window = airgui.wait_window("notes", 1);
    airgui.wait_window("notes", 2);

    // The close button is the square at the right end of the title bar.
    let bar = window.title_bar();
    let close = (
        f64::from(bar.x + bar.width as i32 - BAR / 2),
        f64::from(bar.y + BAR / 2),
    );
    airgui.click(close);
    let events = agent.wait_events("the window closed and destroyed", |events| {
        events.iter().any(|e| e["event"] == "destroy_ack")
    });
    let closes = named(&events, "close");
    assert_eq!(closes.len(), 1, "{events:#?}");
    assert_eq!(closes[0]["window"], 1);
    wait_for("window 1 to be gone", || {
        let windows = airgui.windows_of("notes");
        if windows.iter().map(|w| w.id).collect::<Vec<_>>() == [2] {
            Ok(())
        } else {
            Err(windows)
        }
    });
    assert!(airgui.connected("notes"));
    wait_pixel(
        &airgui,
        "the closed window gone from the screen",
        window.centre(),
        BACKGROUND,
    );
}

#[test]
fn a_second_connection_to_a_live_qube_is_refused() {
    let airgui = Setup::new().qube("notes", "yellow").start();
    let agent = airgui.agent("notes").window(SPEC).start();
    let window = airgui.wait_window("notes", 1);

    // Whoever connects to the qube's socket is that qube: while one lives, another is closed.
    let mut intruder = std::os::unix::net::UnixStream::connect(airgui.qube_socket("notes"))
        .expect("connect to the qube's socket");
    intruder.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut byte = [0u8; 1];
    assert_eq!(
        std::io::Read::read(&mut intruder, &mut byte).expect("closed, not timed out"),
        0,
        "the second connection is closed at once"
    );

    // The first goes on: its window stays and it still gets input.
    assert!(airgui.connected("notes"));
    assert_eq!(airgui.windows_of("notes").len(), 1);
    airgui.click(window.centre());
    airgui.type_text("a");
    agent.wait_events("the a key", |events| keypresses(events).contains(&(2, 38)));
}

#[test]
fn in_connect_mode_airgui_connects_to_the_agent_and_again_after_a_restart() {
    let airgui = Setup::new().vchan_qube("cloud", "blue").start();
    assert!(!airgui.connected("cloud"), "nobody listens yet");
    let mut agent = airgui.agent("cloud").window(SPEC).start();
    let window = airgui.wait_window("cloud", 1);
    wait_pixel(&airgui, "the window drawn", window.centre(), ORANGE);

    agent.kill();
    airgui.wait_gone("cloud");
    let _again = airgui.agent("cloud").window(SPEC).start();
    let back = airgui.wait_window("cloud", 1);
    wait_pixel(&airgui, "the window drawn again", back.centre(), ORANGE);
}

#[test]
fn the_handshake_tells_the_agent_the_output_size() {
    // xconf's width is rounded up to a multiple of 8.
    let airgui = Setup::new()
        .output(1001, 500)
        .qube("notes", "yellow")
        .start();
    let agent = airgui.agent("notes").window(SPEC).start();
    let events = agent.wait_events("connected", |events| !named(events, "connected").is_empty());
    let connected = named(&events, "connected")[0];
    assert_eq!(connected["version"], "1.8");
    assert_eq!(
        (connected["width"].as_u64(), connected["height"].as_u64()),
        (Some(1008), Some(500))
    );
}

#[test]
fn each_qube_accounts_for_the_memory_its_windows_hold_until_they_go() {
    let airgui = Setup::new()
        .qube_with("notes", "yellow", "max_pool_bytes = 4194304")
        .start();
    let mut notes = airgui
        .agent("notes")
        .window("w=200,h=120,x=60,y=80,title=Big,pattern=gradient")
        .window("w=100,h=50,x=300,y=80,title=Small,pattern=gradient")
        .start();
    airgui.wait_window("notes", 1);
    airgui.wait_window("notes", 2);
    let held = wait_for("both windows' images", || {
        let qube = airgui.qube("notes");
        if qube["image_bytes"] == (200 * 120 + 100 * 50) * 4 {
            Ok(qube)
        } else {
            Err(qube)
        }
    });
    let (mapped, images) = (
        held["mapped_bytes"].as_u64().unwrap(),
        held["image_bytes"].as_u64().unwrap(),
    );
    // Each image is mapped whole, in pages: at most a page more per window.
    assert!(
        mapped >= images && mapped < images + 2 * 4096,
        "{mapped} bytes mapped for {images} bytes of images"
    );
    assert_eq!(held["max_pool_bytes"], 4194304);

    notes.kill();
    airgui.wait_gone("notes");
    let gone = airgui.qube("notes");
    assert_eq!(
        (gone["mapped_bytes"].as_u64(), gone["image_bytes"].as_u64()),
        (Some(0), Some(0)),
        "{gone}"
    );
}

/// Item 2: a configured pool that is missing or not a sealed memfd is checked before airgui
/// connects, so the agent is not connected to and dropped (the Qubes agent then exits); airgui
/// keeps retrying, says why in its log and in `msg qubes`, and connects once the pool is usable.
#[test]
fn in_connect_mode_a_refused_pool_is_retried_until_usable_and_the_reason_shown() {
    use std::os::unix::net::UnixListener;

    use guid_protocol::transport::QubeStream;
    use guid_protocol::{AgentConnection, PoolAllocator, Version};

    // The pool is named as a descriptor of this test process, which does not exist yet.
    let slot = (600..1000)
        .find(|n| !std::path::Path::new(&format!("/proc/self/fd/{n}")).exists())
        .unwrap();
    let pool_path = format!("/proc/{}/fd/{slot}", std::process::id());
    let airgui = Setup::new()
        .vchan_qube_with("cloud", "blue", &format!("pool = \"{pool_path}\""))
        .start();
    let agent = UnixListener::bind(airgui.qube_socket("cloud")).unwrap();
    agent.set_nonblocking(true).unwrap();
    let wait_reason = |what: &str, part: &str| {
        wait_for(what, || {
            let qube = airgui.qube("cloud");
            match qube["not_connected_because"].as_str() {
                Some(why) if why.contains(part) => Ok(why.to_owned()),
                _ => Err(qube),
            }
        })
    };
    let not_connected_to = |why: &str| {
        assert!(
            matches!(agent.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "airgui connected to the agent although {why}"
        );
    };

    let missing = wait_reason("the missing pool reported", "No such file");
    assert!(missing.contains(&pool_path), "{missing}");
    not_connected_to("the pool is missing");

    // An unsealed memfd at that descriptor: refused for the seal it lacks.
    let unsealed = rustix::fs::memfd_create("unsealed", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
    rustix::fs::ftruncate(&unsealed, 4096).unwrap();
    let mut at_slot = rustix::io::fcntl_dupfd_cloexec(&unsealed, slot).unwrap();
    assert_eq!(std::os::fd::AsRawFd::as_raw_fd(&at_slot), slot);
    let unsealed_why = wait_reason("the unsealed pool reported", "F_SEAL_SHRINK");
    not_connected_to("the pool is not sealed");
    assert!(airgui.log().contains(&unsealed_why), "the log says why");

    // A sealed pool there: airgui connects, and the agent (which sends no descriptor, its pool
    // being configured) is served.
    let pool = PoolAllocator::new(4, 4).unwrap();
    rustix::io::dup2(pool.fd(), &mut at_slot).unwrap();
    let (stream, _) = wait_for("airgui to connect", || agent.accept());
    let stream = QubeStream::from_stream(stream).unwrap();
    let mut connection = AgentConnection::new(Version::CURRENT);
    stream.flush(connection.outgoing()).unwrap();
    wait_for("the handshake", || match airgui.qube("cloud") {
        qube if qube["connected"] == true && qube["not_connected_because"].is_null() => Ok(()),
        qube => Err(qube),
    });
}
