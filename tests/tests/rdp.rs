//! airgui serves its output over RDP, looked at through the real FreeRDP client: `xfreerdp` on
//! an Xvfb screen of the test's own shows the qubes' windows in their label colours, what is
//! typed and clicked in it reaches the focused qube, wrong credentials and clients without TLS
//! are refused before any pixel, animations keep arriving and an idle desktop sends nothing.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

use airgui_e2e::*;
use guid_protocol::Rect;
use serde_json::Value;

const USER: &str = "alice";
const PASSWORD: &str = "Tr0ub4dor-e2e";
/// airgui's output, and the size xfreerdp asks for.
const OUTPUT: (u32, u32) = (800, 600);
/// The Xvfb screen, larger than the remote desktop: the rest of it stays black.
const SCREEN: (u32, u32) = (1400, 900);
/// Where the remote desktop's top-left pixel is on the Xvfb screen. With no window manager to
/// frame or place it, xfreerdp's window sits at the top-left corner, and its client area shows
/// the remote desktop 1:1.
const ORIGIN: (i32, i32) = (0, 0);
/// RemoteFX is lossy: how far each channel may be off in xfreerdp's picture.
const TOLERANCE: u8 = 8;

/// X keycodes (evdev + 8) under the default "us" layout.
const KEY_A: u64 = 38;
const KEY_B: u64 = 56;
const SHIFT_L: u64 = 50;
const F5: u64 = 71;
const UP: u64 = 111;
/// X event types.
const PRESS: u64 = 2;
const RELEASE: u64 = 3;
const FOCUS_IN: u64 = 9;
const FOCUS_OUT: u64 = 10;

/// xfreerdp on `xvfb`, logging in to `airgui` with the right credentials, asking for RemoteFX.
fn connect(airgui: &Airgui, xvfb: &Xvfb) -> FreeRdp {
    connect_as(airgui, xvfb, PASSWORD, &[])
}

fn connect_as(airgui: &Airgui, xvfb: &Xvfb, password: &str, args: &[&str]) -> FreeRdp {
    let size = format!("/size:{}x{}", OUTPUT.0, OUTPUT.1);
    let mut all = vec!["/rfx", size.as_str()];
    all.extend_from_slice(args);
    FreeRdp::start(xvfb, &airgui.rdp_address(), USER, password, &all)
}

fn within_tolerance(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= TOLERANCE)
}

/// A pixel to compare, in output coordinates, with what it is.
#[derive(Debug, Clone)]
struct Sample {
    what: String,
    x: i32,
    y: i32,
}

fn sample(what: String, x: i32, y: i32) -> Sample {
    Sample { what, x, y }
}

/// Pixels of a window's title bar and borders that are the label colour alone: the middle of
/// each 3-pixel border, the top rows of the title bar and its left inset (no glyph reaches them;
/// see decorations.rs). Away from sharp edges, so RemoteFX keeps them within the tolerance.
fn decoration_samples(window: &Window) -> Vec<Sample> {
    let name = format!("{} window {}", window.qube, window.id);
    let c = window.content;
    let (w, h) = (c.width as i32, c.height as i32);
    let bar = window.title_bar();
    let bar_w = bar.width as i32;
    vec![
        sample(
            format!("{name}: title bar, top, left quarter"),
            bar.x + bar_w / 4,
            bar.y + 1,
        ),
        sample(
            format!("{name}: title bar, top, middle"),
            bar.x + bar_w / 2,
            bar.y + 2,
        ),
        sample(
            format!("{name}: title bar, left inset"),
            bar.x + 2,
            bar.y + BAR / 2,
        ),
        sample(format!("{name}: left border"), c.x - 2, c.y + h / 2),
        sample(format!("{name}: right border"), c.x + w + 1, c.y + h / 2),
        sample(format!("{name}: bottom border"), c.x + w / 2, c.y + h + 1),
        sample(
            format!("{name}: bottom border, right quarter"),
            c.x + 3 * w / 4,
            c.y + h + 1,
        ),
    ]
}

/// Pixels inside a window's content, away from its edges.
fn content_samples(window: &Window) -> Vec<Sample> {
    let name = format!("{} window {}", window.qube, window.id);
    let c = window.content;
    let (w, h) = (c.width as i32, c.height as i32);
    vec![
        sample(format!("{name}: content centre"), c.x + w / 2, c.y + h / 2),
        sample(format!("{name}: content near top left"), c.x + 8, c.y + 8),
        sample(
            format!("{name}: content near bottom right"),
            c.x + w - 9,
            c.y + h - 9,
        ),
    ]
}

/// Pixels of the desktop behind the windows.
fn background_samples() -> Vec<Sample> {
    let (w, h) = (OUTPUT.0 as i32, OUTPUT.1 as i32);
    [
        (8, 8),
        (w - 9, 8),
        (w / 2, h - 9),
        (8, h - 9),
        (w - 9, h - 9),
    ]
    .into_iter()
    .map(|(x, y)| sample("background".into(), x, y))
    .collect()
}

/// Every sample of every window, and of the background.
fn desktop_samples(windows: &[Window]) -> Vec<Sample> {
    let mut samples = background_samples();
    for window in windows {
        samples.extend(decoration_samples(window));
        samples.extend(content_samples(window));
    }
    samples
}

/// A sample where xfreerdp's picture is not airgui's.
#[derive(Debug)]
#[allow(dead_code)] // Read through Debug, in failure messages.
struct Difference {
    what: String,
    at: (i32, i32),
    airgui: [u8; 3],
    xfreerdp: [u8; 3],
}

/// The samples where xfreerdp's picture is not airgui's.
fn differences(airgui: &Image, remote: &Image, samples: &[Sample]) -> Vec<Difference> {
    samples
        .iter()
        .filter_map(|s| {
            let want = airgui.pixel(s.x, s.y);
            let got = remote.pixel(s.x + ORIGIN.0, s.y + ORIGIN.1);
            (!within_tolerance(want, got)).then(|| Difference {
                what: s.what.clone(),
                at: (s.x, s.y),
                airgui: want,
                xfreerdp: got,
            })
        })
        .collect()
}

/// Waits until xfreerdp shows airgui's desktop: every sample matches airgui's own screenshot.
/// Returns both screenshots.
fn wait_desktop(
    airgui: &Airgui,
    xvfb: &Xvfb,
    client: &FreeRdp,
    samples: &[Sample],
) -> (Image, Image) {
    wait_for("xfreerdp to show airgui's desktop", || {
        client.assert_running();
        airgui.assert_alive();
        let own = airgui.screenshot();
        let remote = xvfb.screenshot();
        let wrong = differences(&own, &remote, samples);
        if wrong.is_empty() {
            Ok((own, remote))
        } else {
            Err(wrong)
        }
    })
}

/// The pixels of `rect` (output coordinates) on the Xvfb screen.
fn remote_pixels(remote: &Image, rect: Rect) -> Vec<[u8; 3]> {
    let shifted = Rect::new(
        rect.x + ORIGIN.0,
        rect.y + ORIGIN.1,
        rect.width,
        rect.height,
    );
    remote.pixels_in(shifted).map(|(_, _, c)| c).collect()
}

/// Whether no pixel of the Xvfb screen is anything but the black root window.
fn nothing_shown(remote: &Image) -> Result<(), (i32, i32, [u8; 3])> {
    let all = Rect::new(0, 0, remote.width, remote.height);
    match remote.pixels_in(all).find(|(_, _, c)| *c != BLACK) {
        None => Ok(()),
        Some(pixel) => Err(pixel),
    }
}

/// airgui's log lines that contain `text`.
fn log_lines(airgui: &Airgui, text: &str) -> Vec<String> {
    airgui
        .log()
        .lines()
        .filter(|line| line.contains(text))
        .map(String::from)
        .collect()
}

#[test]
fn freerdp_shows_each_window_in_its_label_colour() {
    let airgui = Setup::new()
        .output(OUTPUT.0, OUTPUT.1)
        .qube("work", "red")
        .qube("vault", "blue")
        .qube("web", "green")
        .rdp(USER, PASSWORD)
        .start();
    let expected = [
        ("work", "red", 40, 0xf0e68c),
        ("vault", "blue", 300, 0x4b0082),
        ("web", "green", 560, 0xff69b4),
    ];
    let _agents: Vec<Agent> = expected
        .iter()
        .map(|(qube, _, x, colour)| {
            airgui
                .agent(qube)
                .window(&format!(
                    "w=200,h=160,x={x},y=80,title=Solid,pattern=solid:#{colour:06x}"
                ))
                .start()
        })
        .collect();
    let windows: Vec<Window> = expected
        .iter()
        .map(|(qube, ..)| airgui.wait_window(qube, 1))
        .collect();
    // airgui has drawn every window (so that the desktop compared below is complete).
    wait_for("airgui to draw the three windows", || {
        let own = airgui.screenshot();
        let wrong: Vec<_> = windows
            .iter()
            .zip(&expected)
            .filter_map(|(window, (_, _, _, colour))| {
                let c = window.content;
                let centre = own.pixel(c.x + c.width as i32 / 2, c.y + c.height as i32 / 2);
                (centre != rgb(*colour)).then_some((window.qube.clone(), centre))
            })
            .collect();
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong)
        }
    });

    let xvfb = Xvfb::start(SCREEN.0, SCREEN.1);
    let client = connect(&airgui, &xvfb);
    let samples = desktop_samples(&windows);
    let (own, remote) = wait_desktop(&airgui, &xvfb, &client, &samples);
    let peer = airgui.rdp_client().expect("a logged-in client");
    assert!(peer.starts_with("127.0.0.1:"), "{peer}");

    for (window, (qube, label, _, colour)) in windows.iter().zip(&expected) {
        assert_eq!(window.qube, *qube);
        // The title bar (darkened: no window has focus) and borders are the label colour in
        // airgui's screenshot, and (within RemoteFX's loss) in xfreerdp's picture at the same
        // place.
        for s in decoration_samples(window) {
            let label_rgb = if s.what.contains("title bar") {
                title_bar_colour(label, window.focused)
            } else {
                label_colour(label)
            };
            assert_eq!(own.pixel(s.x, s.y), label_rgb, "airgui: {}", s.what);
            let got = remote.pixel(s.x + ORIGIN.0, s.y + ORIGIN.1);
            assert!(
                within_tolerance(got, label_rgb),
                "xfreerdp: {} at ({}, {}) is {got:?}, not {label} {label_rgb:?}",
                s.what,
                s.x,
                s.y
            );
        }
        // The content is what the qube painted, in both.
        for s in content_samples(window) {
            assert_eq!(own.pixel(s.x, s.y), rgb(*colour), "airgui: {}", s.what);
            let got = remote.pixel(s.x + ORIGIN.0, s.y + ORIGIN.1);
            assert!(
                within_tolerance(got, rgb(*colour)),
                "xfreerdp: {} at ({}, {}) is {got:?}, not {:?}",
                s.what,
                s.x,
                s.y,
                rgb(*colour)
            );
        }
        // Most of the title bar is the label colour in xfreerdp too, text aside.
        let bar = window.title_bar();
        let bar_rgb = title_bar_colour(label, window.focused);
        let pixels = remote_pixels(&remote, bar);
        let label_like = pixels
            .iter()
            .filter(|c| within_tolerance(**c, bar_rgb))
            .count();
        assert!(
            label_like * 2 > pixels.len(),
            "xfreerdp: only {label_like} of the {} pixels of {qube}'s title bar are {label}",
            pixels.len()
        );
    }
    // The remote desktop is exactly the output's size: right of and below it, Xvfb's black.
    let (w, h) = (OUTPUT.0 as i32, OUTPUT.1 as i32);
    for (x, y) in [(w + 4, 10), (10, h + 4), (w + 4, h + 4)] {
        assert_eq!(
            remote.pixel(x + ORIGIN.0, y + ORIGIN.1),
            BLACK,
            "({x}, {y}) lies outside the remote desktop"
        );
    }
    client.assert_running();
}

fn count_focus(events: &[Value], kind: u64) -> usize {
    events
        .iter()
        .filter(|e| e["event"] == "focus" && e["type"] == kind)
        .count()
}

/// Clicks the middle of a window's content, on the Xvfb screen inside xfreerdp.
fn click_in_freerdp(xvfb: &Xvfb, window: &Window) {
    let (x, y) = window.centre();
    xvfb.click(x as i32 + ORIGIN.0, y as i32 + ORIGIN.1);
}

#[test]
fn typing_and_clicking_in_freerdp_reach_the_focused_qube() {
    let airgui = Setup::new()
        .output(OUTPUT.0, OUTPUT.1)
        .qube("work", "red")
        .qube("web", "blue")
        .rdp(USER, PASSWORD)
        .start();
    let work = airgui
        .agent("work")
        .window("w=240,h=160,x=40,y=60,title=Work,pattern=solid:#aa3333")
        .start();
    let web = airgui
        .agent("web")
        .window("w=240,h=160,x=360,y=60,title=Web,pattern=solid:#3333aa")
        .start();
    let work_window = airgui.wait_window("work", 1);
    let web_window = airgui.wait_window("web", 1);
    let xvfb = Xvfb::start(SCREEN.0, SCREEN.1);
    let client = connect(&airgui, &xvfb);
    let samples = desktop_samples(&[work_window.clone(), web_window.clone()]);
    wait_desktop(&airgui, &xvfb, &client, &samples);
    assert_eq!(
        airgui.focused(),
        [],
        "nothing has focus before the user acts"
    );

    // A click in work's window, on the Xvfb screen: work gets focus, and the click lands where
    // it was made (the remote desktop is shown 1:1).
    click_in_freerdp(&xvfb, &work_window);
    airgui.wait_focus("work");
    let events = work.wait_events("FOCUS in and the click", |events| {
        count_focus(events, FOCUS_IN) == 1
            && named(events, "button")
                .iter()
                .any(|b| b["type"] == 5 && b["button"] == 1)
    });
    let (cx, cy) = work_window.centre();
    let relative = (
        cx as i64 - i64::from(work_window.content.x),
        cy as i64 - i64::from(work_window.content.y),
    );
    let presses: Vec<(Option<i64>, Option<i64>)> = named(&events, "button")
        .iter()
        .filter(|b| b["type"] == 4 && b["button"] == 1)
        .map(|b| (b["x"].as_i64(), b["y"].as_i64()))
        .collect();
    assert_eq!(
        presses,
        [(Some(relative.0), Some(relative.1))],
        "one left press, at the middle of the content: {events:#?}"
    );

    // "aB", then F5 and Up, typed into xfreerdp's window.
    xvfb.xdotool(&["type", "aB"]);
    xvfb.xdotool(&["key", "F5", "Up"]);
    let events = work.wait_events("ten key events", |events| keypresses(events).len() >= 10);
    let keys = keypresses(&events);
    // xdotool lets go of Shift before B; either order of those two releases is right.
    let shift_first = vec![
        (PRESS, KEY_A),
        (RELEASE, KEY_A),
        (PRESS, SHIFT_L),
        (PRESS, KEY_B),
        (RELEASE, SHIFT_L),
        (RELEASE, KEY_B),
        (PRESS, F5),
        (RELEASE, F5),
        (PRESS, UP),
        (RELEASE, UP),
    ];
    let mut b_first = shift_first.clone();
    b_first.swap(4, 5);
    assert!(
        keys == shift_first || keys == b_first,
        "the keys of a, Shift+b, F5 and Up in order: {keys:?}"
    );
    let b_press = named(&events, "keypress")
        .into_iter()
        .find(|k| k["type"] == PRESS && k["keycode"] == KEY_B)
        .cloned()
        .unwrap();
    assert_eq!(
        b_press["state"].as_u64().unwrap() & 1,
        1,
        "Shift is held when b is pressed: {b_press}"
    );
    for key in named(&events, "keypress") {
        assert_eq!(key["window"], 1, "{key}");
    }
    assert_eq!(keypresses(&web.events()), [], "web got none of work's keys");

    // A click in web's window moves focus: FOCUS out to work, FOCUS in to web.
    click_in_freerdp(&xvfb, &web_window);
    airgui.wait_focus("web");
    work.wait_events("FOCUS out", |events| count_focus(events, FOCUS_OUT) == 1);
    web.wait_events("FOCUS in", |events| count_focus(events, FOCUS_IN) == 1);
    // And now the keys go to web.
    xvfb.xdotool(&["key", "a"]);
    let web_events = web.wait_events("the a key", |events| keypresses(events).len() >= 2);
    assert_eq!(keypresses(&web_events), [(PRESS, KEY_A), (RELEASE, KEY_A)]);
    assert_eq!(keypresses(&work.events()), keys, "work got no more keys");
    assert_eq!(airgui.focused(), [("web".to_string(), 1)]);
    client.assert_running();
}

/// Waits for a refused xfreerdp to exit, checking all the while that no client is logged in and
/// nothing is shown on the Xvfb screen; returns how it exited.
fn wait_refused(airgui: &Airgui, xvfb: &Xvfb, client: &FreeRdp) -> std::process::ExitStatus {
    wait_for("the refused xfreerdp to exit", || {
        airgui.assert_alive();
        assert_eq!(airgui.rdp_client(), None, "a refused client got a session");
        if let Err(pixel) = nothing_shown(&xvfb.screenshot()) {
            panic!("the refused xfreerdp shows something: {pixel:?}");
        }
        client.exit_status().ok_or(())
    })
}

/// airgui with `[rdp] security = ...` and one window of qube work, and a screen to show it on.
fn one_window_desktop(security: &str) -> (Airgui, Agent, Window, Xvfb) {
    let airgui = Setup::new()
        .output(OUTPUT.0, OUTPUT.1)
        .qube("work", "red")
        .rdp_with(USER, PASSWORD, &format!("security = \"{security}\""))
        .start();
    let work = airgui
        .agent("work")
        .window("w=240,h=160,x=40,y=60,title=Work,pattern=solid:#aa3333")
        .start();
    let window = airgui.wait_window("work", 1);
    (airgui, work, window, Xvfb::start(SCREEN.0, SCREEN.1))
}

/// xfreerdp with `password` and `args` is refused: it exits with an error, nothing is shown,
/// airgui logs exactly one failed login from this machine giving `reason`, and nobody logs in.
fn refused(
    airgui: &Airgui,
    xvfb: &Xvfb,
    security: &str,
    password: &str,
    args: &[&str],
    reason: &str,
) {
    let client = connect_as(airgui, xvfb, password, args);
    let status = wait_refused(airgui, xvfb, &client);
    assert!(
        !status.success(),
        "{security}: xfreerdp {args:?} exited with {status}; its output:\n{}",
        client.output()
    );
    let failed = wait_for("the failed login in airgui's log", || {
        let lines = log_lines(airgui, "RDP login failed");
        if lines.is_empty() {
            Err(())
        } else {
            Ok(lines)
        }
    });
    assert_eq!(failed.len(), 1, "{security}: {failed:#?}");
    assert!(
        failed[0].contains("peer=127.0.0.1:") && failed[0].contains(reason),
        "{security}: {}",
        failed[0]
    );
    assert_eq!(
        log_lines(airgui, "RDP client logged in"),
        Vec::<String>::new(),
        "{security}"
    );
    assert_eq!(airgui.rdp_client(), None, "{security}");
}

#[test]
fn a_wrong_password_is_refused_logged_and_shows_nothing() {
    for security in ["nla", "tls"] {
        let (airgui, _work, window, xvfb) = one_window_desktop(security);
        refused(
            &airgui,
            &xvfb,
            security,
            "not-the-password",
            &[],
            "wrong user name or password",
        );
        // The right password still gets in (once this address's backoff delay, if it has not
        // run out yet, is over).
        let client = connect(&airgui, &xvfb);
        wait_desktop(&airgui, &xvfb, &client, &desktop_samples(&[window]));
        assert!(airgui.rdp_client().is_some(), "{security}");
    }
}

#[test]
fn a_client_offering_only_standard_rdp_security_is_refused() {
    for security in ["nla", "tls"] {
        let (airgui, _work, _window, xvfb) = one_window_desktop(security);
        // The right credentials, but no TLS offered.
        refused(
            &airgui,
            &xvfb,
            security,
            PASSWORD,
            &["/sec:rdp"],
            "offered protocols 0x0; 0 is standard RDP security",
        );
    }
}

/// A TCP connection to `server` from the loopback address `source` (any of 127.0.0.0/8), as a
/// client elsewhere on the network would make.
fn tcp_from(source: Ipv4Addr, server: SocketAddr) -> TcpStream {
    use rustix::net::{bind, connect, socket, AddressFamily, SocketType};
    let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    bind(&fd, &SocketAddr::V4(SocketAddrV4::new(source, 0))).unwrap();
    connect(&fd, &server).unwrap();
    TcpStream::from(fd)
}

#[test]
fn freerdp_logs_in_while_twenty_sockets_sit_in_the_login() {
    let (airgui, _work, window, xvfb) = one_window_desktop("nla");
    let server: SocketAddr = airgui.rdp_address().parse().unwrap();
    // Twenty connections from twenty other addresses that never say a word.
    let idle: Vec<TcpStream> = (1..=20)
        .map(|n| tcp_from(Ipv4Addr::new(127, 0, 2, n), server))
        .collect();
    let client = connect(&airgui, &xvfb);
    wait_desktop(&airgui, &xvfb, &client, &desktop_samples(&[window]));
    let logged_in = airgui.rdp_client().expect("xfreerdp is logged in");
    assert!(logged_in.starts_with("127.0.0.1:"), "{logged_in}");
    drop(idle);
}

/// The demo agent's bouncing square is yellow.
const YELLOW: [u8; 3] = [0xff, 0xff, 0];

#[test]
fn an_animation_keeps_arriving_and_an_idle_desktop_sends_nothing() {
    // An animated window: xfreerdp's picture of it keeps changing while the client stays on.
    {
        let airgui = Setup::new()
            .output(OUTPUT.0, OUTPUT.1)
            .qube("work", "red")
            .qube("web", "blue")
            .rdp(USER, PASSWORD)
            .start();
        let _animated = airgui
            .agent("work")
            .window("w=300,h=200,x=60,y=80,title=Anim,pattern=solid:#336699,animate=square,fps=30")
            .start();
        let _still = airgui
            .agent("web")
            .window("w=200,h=150,x=480,y=80,title=Still,pattern=solid:#996633")
            .start();
        let animated = airgui.wait_window("work", 1);
        let still = airgui.wait_window("web", 1);
        let xvfb = Xvfb::start(SCREEN.0, SCREEN.1);
        let client = connect(&airgui, &xvfb);
        // The square moves, so only the decorations and the still window are compared here.
        let mut samples = background_samples();
        samples.extend(decoration_samples(&animated));
        samples.extend(decoration_samples(&still));
        samples.extend(content_samples(&still));
        let (_, remote) = wait_desktop(&airgui, &xvfb, &client, &samples);

        let content = animated.content;
        let mut previous = remote_pixels(&remote, content);
        let started = Instant::now();
        let mut changes = 0;
        let mut torn = 0;
        while changes < 10 || started.elapsed() < Duration::from_secs(3) {
            let remote = wait_for("the animated window to change in xfreerdp", || {
                client.assert_running();
                let remote = xvfb.screenshot();
                if remote_pixels(&remote, content) != previous {
                    Ok(remote)
                } else {
                    Err(changes)
                }
            });
            changes += 1;
            previous = remote_pixels(&remote, content);
            // It is the square that moves, over the window's own colour. The agent repaints its
            // pool pages while airgui may be reading them (the protocol shares the memory, as
            // X's MIT-SHM does), so now and then a picture is torn: a square and part of the
            // next, never more.
            let yellow = previous
                .iter()
                .filter(|c| within_tolerance(**c, YELLOW))
                .count();
            assert!(
                yellow <= 2 * 64 * 64,
                "xfreerdp shows {yellow} yellow pixels in the animated window, not one square"
            );
            if !(3000..=64 * 64 + 600).contains(&yellow) {
                torn += 1;
            }
            let own = airgui.screenshot();
            let wrong = differences(&own, &remote, &samples);
            assert!(
                wrong.is_empty(),
                "the rest of the desktop stays as it was: {wrong:#?}"
            );
        }
        assert!(
            torn * 5 <= changes,
            "{torn} of {changes} pictures of the animated window were not a 64x64 square"
        );
        client.assert_running();
        assert!(airgui.rdp_client().is_some(), "the client stayed connected");
    }

    // A desktop of still windows: once the picture has arrived, nothing more is drawn or sent.
    let airgui = Setup::new()
        .output(OUTPUT.0, OUTPUT.1)
        .qube("work", "red")
        .qube("web", "blue")
        .rdp(USER, PASSWORD)
        .start();
    let _work = airgui
        .agent("work")
        .window("w=300,h=200,x=60,y=80,title=Still,pattern=checker:16")
        .start();
    let _web = airgui
        .agent("web")
        .window("w=200,h=150,x=480,y=80,title=Still,pattern=solid:#996633")
        .start();
    let windows = [airgui.wait_window("work", 1), airgui.wait_window("web", 1)];
    let xvfb = Xvfb::start(SCREEN.0, SCREEN.1);
    let client = connect(&airgui, &xvfb);
    let mut samples = background_samples();
    for window in &windows {
        samples.extend(decoration_samples(window));
    }
    samples.extend(content_samples(&windows[1]));
    wait_desktop(&airgui, &xvfb, &client, &samples);

    // Everything has settled: airgui draws nothing, and xfreerdp's picture stays the same.
    let frames = airgui.settled_frames();
    let picture = wait_for("xfreerdp's picture to stay the same", || {
        let first = xvfb.screenshot();
        std::thread::sleep(Duration::from_millis(500));
        let second = xvfb.screenshot();
        if remote_pixels(&first, Rect::new(0, 0, OUTPUT.0, OUTPUT.1))
            == remote_pixels(&second, Rect::new(0, 0, OUTPUT.0, OUTPUT.1))
        {
            Ok(second)
        } else {
            Err(())
        }
    });
    let whole = Rect::new(0, 0, OUTPUT.0, OUTPUT.1);
    let expected = remote_pixels(&picture, whole);
    // For two seconds, every look at xfreerdp's window shows the same picture, and airgui
    // renders nothing (so the server has nothing to send).
    let started = Instant::now();
    let mut looks = 0;
    while started.elapsed() < Duration::from_secs(2) || looks < 4 {
        std::thread::sleep(Duration::from_millis(250));
        let now = remote_pixels(&xvfb.screenshot(), whole);
        let changed = now.iter().zip(&expected).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 0, "xfreerdp's picture changed on an idle desktop");
        looks += 1;
    }
    assert_eq!(
        airgui.frames().count,
        frames,
        "airgui rendered frames on an idle desktop"
    );
    client.assert_running();
    assert!(airgui.rdp_client().is_some(), "the client stayed connected");
}

#[test]
fn the_pointer_takes_the_shape_the_window_under_it_asks_for() {
    use guid_demo_agent::pattern::Pattern;
    use guid_protocol::msg::{Cursor, Message};
    let airgui = Setup::new()
        .qube("work", "blue")
        .rdp("airgui", "pointer-pass")
        .start();
    let mut work = airgui.raw_agent("work");
    work.create_window(
        1,
        Rect::new(100, 100, 200, 150),
        b"editor",
        Pattern::Solid(0xffffff),
    );
    airgui.wait_window("work", 1);
    // X font cursor 152 is xterm: a text beam over the content, the arrow elsewhere.
    work.send(
        1,
        &Message::Cursor(Cursor {
            cursor: 0x100 | 152,
        }),
    )
    .unwrap();
    let pointer = |airgui: &Airgui| airgui.rdp()["pointer"].as_str().map(str::to_owned);
    airgui.pointer_move((150.0, 150.0));
    wait_for("the text beam over the window", || match pointer(&airgui) {
        Some(shape) if shape == "Text" => Ok(()),
        other => Err(other),
    });
    airgui.pointer_move((20.0, 20.0));
    wait_for("the arrow over the desktop", || match pointer(&airgui) {
        Some(shape) if shape == "Arrow" => Ok(()),
        other => Err(other),
    });
}

#[test]
fn resizing_the_freerdp_window_resizes_the_output_and_keeps_windows_inside() {
    let airgui = Setup::new()
        .output(OUTPUT.0, OUTPUT.1)
        .qube("work", "red")
        .qube("late", "blue")
        .rdp(USER, PASSWORD)
        .start();
    let _work = airgui
        .agent("work")
        .window("w=60,h=40,x=700,y=520,title=Corner,pattern=solid:#336699")
        .start();
    airgui.wait_window("work", 1);
    let xvfb = Xvfb::start(SCREEN.0, SCREEN.1);
    let client = connect_as(&airgui, &xvfb, PASSWORD, &["/dynamic-resolution"]);
    wait_for("the client to log in", || {
        client.assert_running();
        airgui.rdp_client().ok_or(())
    });
    // With no window manager, xdotool resizes xfreerdp's window directly; xfreerdp then asks
    // the server for that desktop size over the display-control channel.
    let size = |airgui: &Airgui| {
        let rdp = airgui.rdp();
        (rdp["width"].as_u64(), rdp["height"].as_u64())
    };
    wait_for("the output to take the window's new size", || {
        client.assert_running();
        // Resize again on every look: xfreerdp opens its channels after the first picture.
        xvfb.xdotool(&[
            "search",
            "--sync",
            "--classname",
            "xfreerdp",
            "windowsize",
            "%@",
            "640",
            "480",
        ]);
        match size(&airgui) {
            (Some(640), Some(480)) => Ok(()),
            other => Err(other),
        }
    });
    // The window in the old bottom-right corner comes back far enough for its title bar to be
    // on the output (64 pixels of it, and all of its height).
    wait_for("the window's title bar on the smaller output", || {
        let window = airgui.wait_window("work", 1);
        let frame_x = window.content.x - 3;
        let frame_y = window.content.y - 27;
        if frame_x + 64 <= 640 && frame_y >= 0 && frame_y + 27 <= 480 {
            Ok(())
        } else {
            Err(window)
        }
    });
    // A qube connecting now is told the new size, and the 90% rule for override-redirect
    // windows uses it: 620x470 is 61% of 800x600 but 95% of 640x480.
    let late = airgui
        .agent("late")
        .window("w=620,h=470,x=0,y=0,title=Cover,pattern=solid:#00ff00,or")
        .start();
    let events = late.wait_events("connected", |events| !named(events, "connected").is_empty());
    let connected = named(&events, "connected")[0];
    assert_eq!(
        (connected["width"].as_u64(), connected["height"].as_u64()),
        (Some(640), Some(480)),
        "xconf of the current output"
    );
    let cover = airgui.wait_window("late", 1);
    assert!(!cover.override_redirect, "{cover:?}");
}
