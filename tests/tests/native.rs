//! The GUI qube's own programs: real Wayland applications that are clients of airgui itself
//! (its Wayland socket), beside qube windows on the same desktop. weston-simple-shm animates in
//! the `gui` label's frame, grim photographs the output through wlr-screencopy, foot and a demo
//! qube show that keys reach only the focused one, weston-terminal opens a popup menu.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_protocol::Rect;

/// X keycodes (evdev + 8) and event types, as the demo agent logs them.
const X_A: u64 = 38;
const X_B: u64 = 56;
const X_C: u64 = 54;
const X_Q: u64 = 24;
const PRESS: u64 = 2;

#[test]
fn weston_simple_shm_appears_in_the_gui_label_with_its_bare_title_and_keeps_updating() {
    let airgui = Setup::new().start();
    let app = airgui.native_app("weston-simple-shm", &[]);
    let window = airgui.wait_native_window("weston-simple-shm's window", |w| !w.override_redirect);
    // The title as the client set it: no "[qube]" prefix, for no qube owns it.
    assert_eq!(window.title, "simple-shm");
    assert_eq!(window.qube, "");
    assert_eq!((window.content.width, window.content.height), (250, 250));

    let first = airgui.screenshot();
    assert_decorated(&first, &window, "gui");
    for border in window.borders() {
        first.assert_region("the gui border", border, |_, _| label_colour("gui"));
    }
    // It keeps drawing, and only its damage (all but a 20-pixel margin) reaches the screen.
    assert_simple_shm_animates(&airgui, &window, first);
    app.assert_running();
}

#[test]
fn grim_sees_exactly_what_airgui_msg_screenshot_shows() {
    let airgui = Setup::new().qube("work", "blue").start();
    let _agent = airgui
        .agent("work")
        .window("w=240,h=160,x=420,y=300,title=Work,pattern=gradient")
        .start();
    let qube_window = airgui.wait_window("work", 1);
    let app = airgui.native_app("weston-simple-shm", &[]);
    let native = airgui.wait_native_window("weston-simple-shm's window", |w| !w.override_redirect);
    // Still frames: what grim and the IPC screenshot see can only differ by how they copy.
    app.pause();
    let (shot, grim) = wait_for("a still output photographed both ways", || {
        let before = airgui.screenshot();
        let grim = airgui.grim();
        let after = airgui.screenshot();
        let whole = Rect::new(0, 0, before.width, before.height);
        // A frame the client had already sent may land meanwhile; then look again.
        if after
            .mismatches(whole, |x, y| before.pixel(x, y))
            .is_empty()
        {
            Ok((before, grim))
        } else {
            Err("the output changed while grim ran")
        }
    });
    assert_eq!((grim.width, grim.height), (shot.width, shot.height));
    let whole = Rect::new(0, 0, shot.width, shot.height);
    grim.assert_region("grim's PNG against the screenshot", whole, |x, y| {
        shot.pixel(x, y)
    });
    // And it is the desktop, not an empty image that happens to match.
    assert_decorated(&grim, &qube_window, "blue");
    assert_decorated(&grim, &native, "gui");
    app.resume();
}

#[test]
fn keys_reach_only_the_focused_window_whether_a_qube_or_a_native_program_holds_it() {
    let airgui = Setup::new().output(1400, 800).qube("work", "red").start();
    let agent = airgui
        .agent("work")
        .window("w=240,h=160,x=1000,y=400,title=Work,pattern=solid:#aa3333")
        .start();
    let qube_window = airgui.wait_window("work", 1);
    let typed = airgui.dir().join("typed.txt");
    let script = format!("exec cat > '{}'", typed.display());
    let foot = airgui.native_app("foot", &["sh", "-c", &script]);
    let terminal = airgui.wait_native_window("foot's window", |w| w.title == "foot");
    assert!(
        terminal.content.x + (terminal.content.width as i32) < qube_window.content.x,
        "the windows must not overlap: {terminal:?} {qube_window:?}"
    );

    // The qube has focus: "abc" goes to it.
    airgui.click(qube_window.centre());
    airgui.wait_focus("work");
    airgui.type_text("abc");
    agent.wait_events("a, b and c", |events| keypresses(events).len() >= 6);

    // foot has focus: "xyz" goes to it, and it never saw "abc" (it would have come first).
    airgui.click(terminal.centre());
    airgui.wait_native_window("foot focused", |w| w.title == "foot" && w.focused);
    airgui.type_text("xyz\n");
    wait_file(&typed, "xyz\n");

    // The qube again: it gets "q" and nothing of what foot was sent.
    airgui.click(qube_window.centre());
    airgui.wait_focus("work");
    airgui.type_text("q");
    let events = agent.wait_events("q", |events| keypresses(events).len() >= 8);
    let pressed: Vec<u64> = keypresses(&events)
        .into_iter()
        .filter(|(kind, _)| *kind == PRESS)
        .map(|(_, code)| code)
        .collect();
    assert_eq!(pressed, [X_A, X_B, X_C, X_Q], "{events:#?}");
    assert_eq!(std::fs::read_to_string(&typed).unwrap(), "xyz\n");
    foot.assert_running();
}

#[test]
fn a_qubes_clipboard_never_reaches_a_native_program() {
    let airgui = Setup::new().output(1400, 800).qube("work", "red").start();
    let _agent = airgui
        .agent("work")
        .window("w=240,h=160,x=1000,y=400,title=Work,pattern=solid:#aa3333")
        .clipboard("qube-secret")
        .start();
    let qube_window = airgui.wait_window("work", 1);
    let typed = airgui.dir().join("typed.txt");
    let script = format!("exec cat > '{}'", typed.display());
    let _foot = airgui.native_app("foot", &["sh", "-c", &script]);
    let terminal = airgui.wait_native_window("foot's window", |w| w.title == "foot");

    // The secure copy chord in the qube fills the GUI qube's clipboard.
    airgui.click(qube_window.centre());
    airgui.wait_focus("work");
    airgui.key("ctrl+shift+c");
    wait_for("the qube's clipboard copied", || {
        let clipboard = airgui.clipboard();
        if clipboard["holds"] == true && clipboard["source"] == "work" {
            Ok(())
        } else {
            Err(clipboard)
        }
    });

    // In foot, the paste chord is foot's own (its Wayland clipboard, empty), not a qube paste.
    airgui.click(terminal.centre());
    airgui.wait_native_window("foot focused", |w| w.title == "foot" && w.focused);
    airgui.key("ctrl+shift+v");
    airgui.type_text("end\n");
    wait_file(&typed, "end\n");
    assert_eq!(airgui.clipboard()["source"], "work");
}

#[test]
fn a_native_popup_menu_is_an_override_redirect_window_in_the_gui_frame_and_a_click_outside_closes_it(
) {
    let airgui = Setup::new().start();
    let _terminal = airgui.native_app("weston-terminal", &[]);
    let terminal = airgui.wait_native_window("weston-terminal's window", |w| !w.override_redirect);
    let (x, y) = terminal.centre();
    airgui.click((x, y));
    // weston-terminal opens its menu (an xdg_popup with a grab) on a right click.
    airgui.click_button((x, y), 3);
    let menu = airgui.wait_native_window("the menu", |w| w.override_redirect);
    assert!(
        rect_within(&menu.content, &terminal.content),
        "the menu {:?} opens where the terminal {:?} was clicked",
        menu.content,
        terminal.content
    );
    let shot = airgui.screenshot();
    let c = menu.content;
    for edge in [
        Rect::new(c.x, c.y, c.width, MARKER as u32),
        Rect::new(c.x, c.y + c.height as i32 - MARKER, c.width, MARKER as u32),
        Rect::new(c.x, c.y, MARKER as u32, c.height),
        Rect::new(c.x + c.width as i32 - MARKER, c.y, MARKER as u32, c.height),
    ] {
        shot.assert_region("the menu's frame", edge, |_, _| label_colour("gui"));
    }

    airgui.click((
        f64::from(terminal.content.x) + 20.0,
        f64::from(terminal.content.y) + 60.0,
    ));
    wait_for("the menu to close", || {
        let windows = airgui.native_windows();
        if windows.iter().any(|w| w.override_redirect) {
            Err(windows)
        } else {
            Ok(())
        }
    });
}

#[test]
fn programs_connecting_past_airguis_descriptor_limit_neither_stop_nor_stall_it() {
    use std::os::unix::net::UnixStream;
    let airgui = Setup::new().qube("work", "blue").start();
    let _agent = airgui
        .agent("work")
        .window("w=200,h=100,x=40,y=40,title=Work")
        .start();
    airgui.wait_window("work", 1);
    let socket = airgui.dir().join(airgui.wayland_display());
    let limited = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", airgui.pid()))
        .arg("--nofile=128:128")
        .status()
        .expect("run prlimit");
    assert!(limited.success(), "prlimit failed");
    // More connections than airgui has descriptors left: it accepts until accept fails.
    let flood: Vec<UnixStream> = (0..200)
        .map(|_| UnixStream::connect(&socket).expect("connect to airgui's Wayland socket"))
        .collect();
    wait_for("airgui to run out of descriptors accepting them", || {
        airgui.assert_alive();
        airgui
            .log()
            .contains("cannot accept on the Wayland socket")
            .then_some(())
            .ok_or(())
    });
    airgui.assert_alive();
    drop(flood);
    // Descriptors come back as those clients go: IPC, the qube and new programs work again.
    assert_eq!(airgui.windows().len(), 1);
    let _app = airgui.native_app("weston-simple-shm", &[]);
    airgui.wait_native_window("weston-simple-shm's window", |w| !w.override_redirect);
    airgui.assert_alive();
}

#[test]
fn a_native_virtual_keyboard_adds_no_modifier_to_a_qubes_clicks() {
    let airgui = Setup::new()
        .qube("work", "blue")
        .toml("[native]\nvirtual_keyboard = true")
        .start();
    let work = airgui
        .agent("work")
        .window("w=240,h=160,x=40,y=60,title=Work")
        .start();
    let window = airgui.wait_window("work", 1);
    airgui.click(window.centre());
    airgui.wait_focus("work");
    // wtype holds Ctrl on its virtual keyboard for two seconds while work has the focus...
    let mut wtype = std::process::Command::new("wtype")
        .args(["-M", "ctrl", "-s", "2000", "-m", "ctrl"])
        .env(
            "WAYLAND_DISPLAY",
            airgui.dir().join(airgui.wayland_display()),
        )
        .spawn()
        .expect("run wtype");
    wait_for("airgui to keep wtype's Ctrl from the qube", || {
        airgui
            .log()
            .contains("modifiers not from the seat's keyboard kept from a qube")
            .then_some(())
            .ok_or(())
    });
    // ...and meanwhile the user clicks: the qube sees a plain click, not Ctrl+click.
    let before = named(&work.events(), "button").len();
    airgui.click(window.centre());
    let events = work.wait_events("the second click", |events| {
        named(events, "button").len() >= before + 2
    });
    assert!(wtype.wait().expect("wait for wtype").success());
    for button in named(&events, "button") {
        let state = button["state"].as_u64().unwrap();
        assert_eq!(state & 0xff, 0, "a modifier reached the qube: {button}");
    }
}

#[test]
fn a_native_window_past_the_limit_is_configured_and_asked_to_close() {
    let airgui = Setup::new().start();
    // airgui takes 1000 windows from its own programs; the 1001st must not leave its program
    // waiting for a configure that never comes.
    let flood = airgui.native_test_client("wayland-flood", &["windows", "1001"]);
    let output = wait_for("every window to be configured", || {
        let output = flood.output();
        if output.contains("configured") {
            Ok(output)
        } else {
            Err(output)
        }
    });
    assert!(output.contains("configured 1001 closed {1000}"), "{output}");
    airgui.assert_alive();
}
