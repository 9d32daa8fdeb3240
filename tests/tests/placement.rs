//! Where windows go and who decides: placement on map, the daemon's geometry that the agent must
//! follow (spec §4, geometry ownership), window flags, and values that are clamped rather than
//! fatal.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_demo_agent::pattern::Pattern;
use guid_protocol::msg::*;
use guid_protocol::Rect;

const OUTPUT: Rect = Rect {
    x: 0,
    y: 0,
    width: 800,
    height: 600,
};

fn frame_of(content: Rect) -> Rect {
    Rect::new(
        content.x - BORDER,
        content.y - BAR,
        content.width + 2 * BORDER as u32,
        content.height + (BAR + BORDER) as u32,
    )
}

fn configure(x: i32, y: i32, width: u32, height: u32) -> Message {
    Message::Configure(Configure {
        x,
        y,
        width,
        height,
        override_redirect: 0,
    })
}

fn is_configure(message: &Message, geometry: Rect) -> bool {
    matches!(message, Message::Configure(c)
        if Rect::new(c.x, c.y, c.width, c.height) == geometry)
}

/// Waits until `qube`'s window 1 satisfies `done`.
fn wait_window_state(
    airgui: &Airgui,
    qube: &str,
    what: &str,
    done: impl Fn(&Window) -> bool,
) -> Window {
    wait_for(what, || match airgui.window(qube, 1) {
        Some(window) if done(&window) => Ok(window),
        other => Err(other),
    })
}

#[test]
fn a_window_that_does_not_fit_is_cascaded_and_its_agent_told() {
    let airgui = Setup::new().output(800, 600).qube("work", "red").start();
    let agent = airgui
        .agent("work")
        .window("w=200,h=150,x=700,y=500,title=Off,pattern=solid:#123456")
        .start();
    let window = airgui.wait_window("work", 1);
    assert_eq!((window.content.width, window.content.height), (200, 150));
    assert!(
        rect_within(&frame_of(window.content), &OUTPUT),
        "the decorated frame is on the output: {window:?}"
    );
    let c = window.content;
    agent.wait_events("CONFIGURE with the new place", |events| {
        named(events, "configure")
            .iter()
            .any(|e| (e["x"].as_i64(), e["y"].as_i64()) == (Some(c.x.into()), Some(c.y.into())))
    });
}

#[test]
fn the_daemon_keeps_its_geometry_until_the_agent_follows() {
    let airgui = Setup::new().output(800, 600).qube("evil", "red").start();
    let mut evil = airgui.raw_agent("evil");
    // Asked for where it does not fit: the daemon places it and says so.
    evil.create_window(
        1,
        Rect::new(700, 500, 200, 150),
        b"pushy",
        Pattern::Gradient,
    );
    let placed = airgui.wait_window("evil", 1).content;
    assert_ne!((placed.x, placed.y), (700, 500));
    evil.wait_message("CONFIGURE to the placed geometry", |window, m| {
        window == 1 && is_configure(m, placed)
    });
    evil.inbox.clear();

    // The agent insists on its own place: the daemon repeats its geometry and keeps it.
    evil.send(1, &configure(600, 450, 200, 150)).unwrap();
    evil.wait_message("CONFIGURE repeated", |window, m| {
        window == 1 && is_configure(m, placed)
    });
    assert_eq!(airgui.window("evil", 1).unwrap().content, placed);

    // Once it confirms, it may move the window itself.
    evil.send(1, &configure(placed.x, placed.y, 200, 150))
        .unwrap();
    evil.send(1, &configure(100, 120, 200, 150)).unwrap();
    wait_window_state(&airgui, "evil", "the agent's own move", |w| {
        w.content == Rect::new(100, 120, 200, 150)
    });
    assert!(airgui.connected("evil"));
}

/// Columns of the title bar on the output.
fn visible_bar_width(window: &Window) -> i64 {
    let bar = window.title_bar();
    let left = i64::from(bar.x).max(0);
    let right = (i64::from(bar.x) + i64::from(bar.width)).min(i64::from(OUTPUT.width));
    right - left
}

/// The agent moves its window, then renames it so that we know the move was handled.
fn agent_moves(airgui: &Airgui, evil: &RawAgent, to: Rect, n: u32) -> Window {
    evil.send(1, &configure(to.x, to.y, to.width, to.height))
        .unwrap();
    let title = format!("moved {n}");
    evil.send(1, &Message::WmName(WmName::new(title.as_bytes())))
        .unwrap();
    wait_window_state(airgui, "evil", &format!("move {n} handled"), |w| {
        w.title == title
    })
}

#[test]
fn an_agent_cannot_move_its_title_bar_off_the_output() {
    let airgui = Setup::new().output(800, 600).qube("evil", "red").start();
    let mut evil = airgui.raw_agent("evil");
    evil.create_window(
        1,
        Rect::new(100, 100, 300, 200),
        b"title",
        Pattern::Solid(0x0000ff),
    );
    airgui.wait_window("evil", 1);
    // Content at the top of the output, where it could paint a fake title bar; or far to a side.
    let attempts = [
        Rect::new(100, 0, 300, 200),
        Rect::new(100, -500, 300, 200),
        Rect::new(-1000, 100, 300, 200),
        Rect::new(5000, 100, 300, 200),
        Rect::new(100, 5000, 300, 200),
    ];
    for (n, to) in (1..).zip(attempts) {
        let window = agent_moves(&airgui, &evil, to, n);
        assert!(
            window.title_bar().y >= 0 && window.title_bar().y + BAR <= OUTPUT.height as i32,
            "asked for {to:?}: the title bar's top left the output: {window:?}"
        );
        assert!(
            visible_bar_width(&window) >= 64,
            "asked for {to:?}: too little of the title bar is left: {window:?}"
        );
    }
    assert!(airgui.connected("evil"));
}

#[test]
fn a_maximized_window_keeps_its_title_bar_on_the_output() {
    let airgui = Setup::new().output(800, 600).qube("evil", "red").start();
    let mut evil = airgui.raw_agent("evil");
    evil.create_window(
        1,
        Rect::new(100, 100, 300, 200),
        b"title",
        Pattern::Solid(0x0000ff),
    );
    airgui.wait_window("evil", 1);
    evil.send(
        1,
        &Message::WindowFlags(WindowFlags {
            set: flags::FULLSCREEN,
            unset: 0,
        }),
    )
    .unwrap();
    let maximized = Rect::new(
        BORDER,
        BAR,
        800 - 2 * BORDER as u32,
        (600 - BAR - BORDER) as u32,
    );
    evil.wait_message("CONFIGURE to the maximized size", |window, m| {
        window == 1 && is_configure(m, maximized)
    });
    // The agent follows, as it must, then moves its content over where the title bar was.
    evil.send(
        1,
        &configure(maximized.x, maximized.y, maximized.width, maximized.height),
    )
    .unwrap();
    let window = agent_moves(&airgui, &evil, Rect::new(0, 0, 800, 600), 1);
    assert!(
        window.title_bar().y >= 0,
        "the maximized window's title bar left the output: {window:?}"
    );
}

#[test]
fn fullscreen_is_maximize_unless_allowed_and_then_keeps_a_marker() {
    let airgui = Setup::new()
        .output(800, 600)
        .qube("plain", "red")
        .qube_with("video", "blue", "allow_fullscreen = true")
        .start();
    let mut plain = airgui.raw_agent("plain");
    let mut video = airgui.raw_agent("video");
    plain.create_window(
        1,
        Rect::new(40, 60, 200, 100),
        b"plain",
        Pattern::Solid(0x00ff00),
    );
    video.create_window(
        1,
        Rect::new(400, 60, 200, 100),
        b"video",
        Pattern::Solid(0xffff00),
    );
    airgui.wait_window("plain", 1);
    airgui.wait_window("video", 1);
    let fullscreen = Message::WindowFlags(WindowFlags {
        set: flags::FULLSCREEN,
        unset: 0,
    });

    // Not allowed: maximized, decorations on the output.
    plain.send(1, &fullscreen).unwrap();
    let maximized = Rect::new(
        BORDER,
        BAR,
        800 - 2 * BORDER as u32,
        (600 - BAR - BORDER) as u32,
    );
    wait_window_state(&airgui, "plain", "plain maximized", |w| {
        w.content == maximized
    });
    plain.wait_message("CONFIGURE to the maximized size", |window, m| {
        window == 1 && is_configure(m, maximized)
    });

    // Allowed: the content fills the output, framed by the label colour.
    video.send(1, &fullscreen).unwrap();
    wait_window_state(&airgui, "video", "video fullscreen", |w| {
        w.content == OUTPUT
    });
    let shot = wait_for("the fullscreen marker", || {
        let shot = airgui.screenshot();
        match shot.pixel(0, 0) {
            pixel if pixel == label_colour("blue") => Ok(shot),
            other => Err(other),
        }
    });
    for (x, y) in [
        (0, 0),
        (1, 1),
        (799, 0),
        (798, 300),
        (0, 599),
        (400, 598),
        (400, 1),
    ] {
        assert_eq!(
            shot.pixel(x, y),
            label_colour("blue"),
            "marker at ({x}, {y})"
        );
    }
    // Inside the marker, the agent's image (still 200x100 until it sends a new one).
    assert_eq!(shot.pixel(100, 50), rgb(0xffff00));
}

#[test]
fn a_minimized_window_is_hidden_and_loses_focus() {
    let airgui = Setup::new().output(800, 600).qube("work", "red").start();
    let mut work = airgui.raw_agent("work");
    work.create_window(
        1,
        Rect::new(40, 60, 200, 100),
        b"w",
        Pattern::Solid(0x00ff00),
    );
    let window = airgui.wait_window("work", 1);
    wait_for("the window drawn", || {
        match airgui.screenshot().pixel(100, 100) {
            [0, 0xff, 0] => Ok(()),
            other => Err(other),
        }
    });
    airgui.click(window.centre());
    wait_window_state(&airgui, "work", "focus", |w| w.focused);
    work.send(
        1,
        &Message::WindowFlags(WindowFlags {
            set: flags::MINIMIZE,
            unset: 0,
        }),
    )
    .unwrap();
    wait_window_state(&airgui, "work", "minimized", |w| w.minimized && !w.focused);
    wait_for("the window hidden", || {
        match airgui.screenshot().pixel(100, 100) {
            BACKGROUND => Ok(()),
            other => Err(other),
        }
    });
    work.wait_message(
        "FOCUS out",
        |_, m| matches!(m, Message::Focus(f) if f.kind == kind::FOCUS_OUT),
    );
}

#[test]
fn out_of_range_values_are_clamped_not_fatal() {
    let airgui = Setup::new().output(800, 600).qube("odd", "red").start();
    let mut odd = airgui.raw_agent("odd");
    odd.create_window(
        1,
        Rect::new(40, 60, 200, 100),
        b"normal",
        Pattern::Solid(0x00ff00),
    );
    airgui.wait_window("odd", 1);

    // Too large and too far: clamped to 16384x6144 at ±16384, ±6144.
    odd.send(
        2,
        &Message::Create(Create {
            x: -100_000,
            y: 100_000,
            width: 100_000,
            height: 100_000,
            parent: 77,
            override_redirect: 0,
        }),
    )
    .unwrap();
    // Damage with negative values, hints out of range, MAP naming an unknown parent.
    odd.send(
        1,
        &Message::ShmImage(ShmImage {
            x: -5,
            y: -5,
            width: 10,
            height: 10,
        }),
    )
    .unwrap();
    odd.send(
        1,
        &Message::WindowHints(WindowHints {
            flags: hints::P_MIN_SIZE | hints::P_MAX_SIZE,
            min_width: 100_000,
            min_height: 1,
            max_width: 0,
            max_height: 0,
            ..WindowHints::default()
        }),
    )
    .unwrap();
    // Override-redirect cannot be switched on for a mapped window, by MAP or CONFIGURE.
    odd.send(
        1,
        &Message::Map(Map {
            transient_for: 999,
            override_redirect: 1,
        }),
    )
    .unwrap();
    odd.send(
        1,
        &Message::Configure(Configure {
            x: 40,
            y: 60,
            width: 200,
            height: 100,
            override_redirect: 1,
        }),
    )
    .unwrap();
    odd.send(1, &Message::WmName(WmName::new(b"still here")))
        .unwrap();
    wait_window_state(&airgui, "odd", "the last message handled", |w| {
        w.title == "still here"
    });
    let windows = airgui.windows_of("odd");
    let big = windows.iter().find(|w| w.id == 2).expect("window 2");
    assert_eq!(big.content, Rect::new(-16384, 6144, 16384, 6144));
    assert!(!big.mapped);
    let first = windows.iter().find(|w| w.id == 1).expect("window 1");
    assert!(!first.override_redirect, "{first:?}");
    assert!(airgui.connected("odd"));
    let shot = airgui.screenshot();
    assert_title_bar_colour(&shot, first, "red");
}

fn assert_title_bar_colour(shot: &Image, window: &Window, label: &str) {
    let bar = window.title_bar();
    let top = Rect::new(bar.x, bar.y, bar.width, 3);
    shot.assert_region("the title bar's top", top, |_, _| {
        title_bar_colour(label, window.focused)
    });
}

fn window_flags(set: u32, unset: u32) -> Message {
    Message::WindowFlags(WindowFlags { set, unset })
}

/// Waits for the WINDOW_FLAGS the daemon must send for window 1, then forgets what came so far.
fn expect_flags(agent: &mut RawAgent, what: &str, set: u32, unset: u32) {
    agent.wait_message(what, |window, m| {
        window == 1 && *m == window_flags(set, unset)
    });
    agent.inbox.clear();
}

#[test]
fn the_agent_hears_the_window_flags_it_asked_for_and_the_users_changes() {
    let airgui = Setup::new().output(800, 600).qube("work", "red").start();
    let mut work = airgui.raw_agent("work");
    work.create_window(
        1,
        Rect::new(40, 60, 200, 100),
        b"w",
        Pattern::Solid(0x00ff00),
    );
    let window = airgui.wait_window("work", 1);
    // FULLSCREEN, turned into maximize, is acknowledged as FULLSCREEN, as the reference daemon
    // does, so that the application does not wait for it.
    work.send(1, &window_flags(flags::FULLSCREEN, 0)).unwrap();
    expect_flags(&mut work, "FULLSCREEN acknowledged", flags::FULLSCREEN, 0);
    work.send(1, &window_flags(0, flags::FULLSCREEN)).unwrap();
    expect_flags(&mut work, "FULLSCREEN left", 0, flags::FULLSCREEN);
    wait_window_state(&airgui, "work", "restored", |w| w.content == window.content);

    work.send(1, &window_flags(flags::DEMANDS_ATTENTION, 0))
        .unwrap();
    expect_flags(&mut work, "attention", flags::DEMANDS_ATTENTION, 0);
    // The user attends to it: focused, it no longer demands attention.
    airgui.click(window.centre());
    expect_flags(&mut work, "attention given", 0, flags::DEMANDS_ATTENTION);

    work.send(1, &window_flags(flags::MINIMIZE, 0)).unwrap();
    expect_flags(&mut work, "minimized", flags::MINIMIZE, 0);
    // The user brings it back.
    airgui.key("alt+Tab");
    wait_window_state(&airgui, "work", "restored by Alt+Tab", |w| {
        !w.minimized && w.focused
    });
    expect_flags(&mut work, "no longer minimized", 0, flags::MINIMIZE);
    assert!(airgui.connected("work"));
}

#[test]
fn a_dialog_is_centred_on_its_parent_and_stays_above_it() {
    let airgui = Setup::new().output(800, 600).qube("work", "red").start();
    let mut work = airgui.raw_agent("work");
    work.create_window(
        1,
        Rect::new(100, 100, 400, 300),
        b"parent",
        Pattern::Solid(0x00ff00),
    );
    let parent = airgui.wait_window("work", 1);
    work.send(
        2,
        &Message::Create(Create {
            x: 0,
            y: 0,
            width: 100,
            height: 80,
            parent: 0,
            override_redirect: 0,
        }),
    )
    .unwrap();
    work.send(
        2,
        &Message::Map(Map {
            transient_for: 1,
            override_redirect: 0,
        }),
    )
    .unwrap();
    let dialog = airgui.wait_window("work", 2);
    let (pf, df) = (frame_of(parent.content), frame_of(dialog.content));
    assert_eq!(
        (df.x + df.width as i32 / 2, df.y + df.height as i32 / 2),
        (pf.x + pf.width as i32 / 2, pf.y + pf.height as i32 / 2),
        "the dialog {dialog:?} is centred on its parent {parent:?}"
    );
    // Clicking the parent raises it, and its dialog with it, above.
    airgui.click((
        f64::from(parent.content.x + 10),
        f64::from(parent.content.y + 10),
    ));
    wait_window_state(&airgui, "work", "the parent focused", |w| w.focused);
    let stacking = |id| airgui.window("work", id).unwrap().stacking;
    assert!(stacking(2) > stacking(1), "the dialog is above its parent");

    // The parent's size hints bound a resize drag of its bottom-right corner.
    work.send(
        1,
        &Message::WindowHints(WindowHints {
            flags: hints::P_MIN_SIZE | hints::P_MAX_SIZE,
            min_width: 300,
            min_height: 200,
            max_width: 450,
            max_height: 350,
            ..WindowHints::default()
        }),
    )
    .unwrap();
    work.send(1, &Message::WmName(WmName::new(b"hinted")))
        .unwrap();
    wait_window_state(&airgui, "work", "the hints handled", |w| {
        w.title == "hinted"
    });
    let c = parent.content;
    let corner = (
        f64::from(c.x + c.width as i32 + 1),
        f64::from(c.y + c.height as i32 + 1),
    );
    airgui.drag(corner, (corner.0 + 200.0, corner.1 + 200.0));
    let grown = wait_window_state(&airgui, "work", "grown to its maximum", |w| {
        (w.content.width, w.content.height) == (450, 350)
    });
    let corner = (
        f64::from(grown.content.x + grown.content.width as i32 + 1),
        f64::from(grown.content.y + grown.content.height as i32 + 1),
    );
    airgui.drag(corner, (corner.0 - 400.0, corner.1 - 400.0));
    wait_window_state(&airgui, "work", "shrunk to its minimum", |w| {
        (w.content.width, w.content.height) == (300, 200)
    });
}
