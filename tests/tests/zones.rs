//! A master merges slave zones into one desktop: real slave airguis serving RDP, a real master
//! linking to them (pinned certificates, NLA), and FreeRDP looking at the master. Each zone is
//! a frame in its colour holding the slave's desktop pixel for pixel; input reaches only the
//! focused zone; a zone that goes down turns grey and comes back by itself; wrong certificates
//! and passwords are refused and shown with the reason.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use airgui_e2e::*;
use guid_protocol::Rect;
use serde_json::Value;

/// The slaves' RDP password for the master's account ([`ZONE_USER`]).
const PASSWORD: &str = "zone-e2e-Pa55";
/// The master's output: two zone frames side by side, 784x660 each.
const MASTER: (u32, u32) = (1600, 700);
/// A zone frame's border: two bands of the window border with a 2-pixel dark line between.
const ZONE_BORDER: i32 = 2 * BORDER + 2;
const ZONE_GAP: [u8; 3] = [0x10, 0x10, 0x10];
/// The frame colour of a zone that is down.
const GREYED: [u8; 3] = [0x80, 0x80, 0x80];
/// X keycodes (evdev + 8) under the default "us" layout, and the keypress event types.
const KEY_A: u64 = 38;
const KEY_B: u64 = 56;
const PRESS: u64 = 2;

/// A slave zone: airgui serving RDP to the master's account, with these qubes.
fn slave(qubes: &[(&str, &str)]) -> Airgui {
    qubes
        .iter()
        .fold(
            Setup::new().rdp(ZONE_USER, PASSWORD),
            |setup, (name, label)| setup.qube(name, label),
        )
        .start()
}

/// A master linked to each slave as zone (name, label).
fn master(links: &[(&str, &str, &Airgui)]) -> Airgui {
    links
        .iter()
        .fold(
            Setup::new().output(MASTER.0, MASTER.1),
            |setup, (name, label, slave)| setup.zone_link(name, label, slave, PASSWORD),
        )
        .start()
}

/// Waits until a zone is connected and its slave took the size of its frame; returns the frame's
/// content rectangle (the slave's desktop, in master coordinates).
fn wait_linked(master: &Airgui, zone: &str) -> Rect {
    wait_for(
        &format!("zone {zone} to be linked at its frame's size"),
        || {
            let z = master.zone(zone);
            let content = zone_content(&z);
            let sized = z["size"] == serde_json::json!([content.width, content.height]);
            if z["state"] == "connected" && sized {
                Ok(content)
            } else {
                Err(z)
            }
        },
    )
}

fn zone_content(zone: &Value) -> Rect {
    let int = |key: &str| zone[key].as_i64().unwrap();
    Rect::new(
        int("x") as i32,
        int("y") as i32,
        int("width") as u32,
        int("height") as u32,
    )
}

/// A decorated window's whole frame: title bar, borders and content.
fn window_frame(window: &Window) -> Rect {
    let c = window.content;
    Rect::new(
        c.x - BORDER,
        c.y - BAR,
        c.width + 2 * BORDER as u32,
        c.height + (BAR + BORDER) as u32,
    )
}

fn shifted(rect: Rect, origin: Rect) -> Rect {
    Rect::new(
        rect.x + origin.x,
        rect.y + origin.y,
        rect.width,
        rect.height,
    )
}

/// Whether the master shows `window` of the slave (decorations and content) exactly as the
/// slave composes it, at the zone's origin. `Err` says how many pixels differ.
fn shown_as_in_slave(
    master: &Airgui,
    slave: &Airgui,
    zone: Rect,
    window: &Window,
) -> Result<(), String> {
    let (there, here) = (slave.screenshot(), master.screenshot());
    let rect = window_frame(window);
    let theirs: Vec<_> = there.pixels_in(rect).map(|(_, _, p)| p).collect();
    let ours: Vec<_> = here
        .pixels_in(shifted(rect, zone))
        .map(|(_, _, p)| p)
        .collect();
    let differing = theirs.iter().zip(&ours).filter(|(a, b)| a != b).count();
    if differing == 0 && theirs.len() == ours.len() {
        Ok(())
    } else {
        Err(format!(
            "{differing} of {} pixels of {}'s window differ",
            theirs.len(),
            window.qube
        ))
    }
}

/// The pixels of a zone frame's border bands and dark line, at mid-height of its left side.
fn frame_bands(image: &Image, content: Rect) -> [[u8; 3]; 3] {
    let (left, y) = (
        content.x - ZONE_BORDER,
        content.y + content.height as i32 / 2,
    );
    [
        image.pixel(left, y),
        image.pixel(left + BORDER, y),
        image.pixel(left + ZONE_BORDER - 1, y),
    ]
}

/// Whether the zone's frame is drawn in `colour`, with its dark line and a title bar of that
/// colour carrying text.
fn framed_in(image: &Image, content: Rect, colour: [u8; 3]) -> Result<(), String> {
    let bands = frame_bands(image, content);
    if bands != [colour, ZONE_GAP, colour] {
        return Err(format!("border bands {bands:?}, wanted {colour:?}"));
    }
    let bar = Rect::new(
        content.x,
        content.y - BAR + 2,
        content.width.min(200),
        (TITLE - 4) as u32,
    );
    let total = (bar.width * bar.height) as usize;
    let coloured = image.count(bar, colour);
    if coloured * 10 < total * 6 || coloured == total {
        return Err(format!(
            "{coloured} of {total} title-bar pixels in {colour:?}: no bar or no title"
        ));
    }
    Ok(())
}

#[test]
fn the_master_shows_each_zone_in_its_frame_with_the_slaves_windows_inside() {
    let cloud = slave(&[("work", "blue"), ("web", "orange")]);
    let office = slave(&[("mail", "green")]);
    let _work = cloud
        .agent("work")
        .window("w=300,h=200,x=40,y=60,title=Notes,pattern=gradient")
        .start();
    let _web = cloud
        .agent("web")
        .window("w=260,h=180,x=380,y=300,title=Browser,pattern=checker:16")
        .start();
    let _mail = office
        .agent("mail")
        .window("w=320,h=220,x=100,y=120,title=Inbox,pattern=solid:#e8e8e8")
        .start();
    let desk = master(&[("cloud", "purple", &cloud), ("office", "yellow", &office)]);

    for (zone, label, slave, qubes) in [
        ("cloud", "purple", &cloud, &["work", "web"][..]),
        ("office", "yellow", &office, &["mail"][..]),
    ] {
        let content = wait_linked(&desk, zone);
        for qube in qubes {
            let window = slave.wait_window(qube, 1);
            wait_for(&format!("{qube}'s window inside zone {zone}"), || {
                shown_as_in_slave(&desk, slave, content, &window)
            });
        }
        let shot = desk.screenshot();
        framed_in(&shot, content, label_colour(label)).unwrap();
    }
    let zones = desk.zones();
    let (a, b) = (zone_content(&zones[0]), zone_content(&zones[1]));
    assert!(
        a.x + a.width as i32 + ZONE_BORDER <= b.x - ZONE_BORDER,
        "the zone frames lie side by side: {zones:?}"
    );
}

#[test]
fn typing_in_freerdp_reaches_the_focused_zone_only() {
    let cloud = slave(&[("work", "blue")]);
    let office = slave(&[("mail", "green")]);
    let work = cloud
        .agent("work")
        .window("w=300,h=200,x=40,y=60,title=Notes,pattern=gradient")
        .start();
    let mail = office
        .agent("mail")
        .window("w=320,h=220,x=100,y=120,title=Inbox,pattern=solid:#e8e8e8")
        .start();
    let desk = Setup::new()
        .output(MASTER.0, MASTER.1)
        .rdp("alice", "desk-Pa55")
        .zone_link("cloud", "purple", &cloud, PASSWORD)
        .zone_link("office", "yellow", &office, PASSWORD)
        .start();
    wait_linked(&desk, "cloud");
    let zone = wait_linked(&desk, "office");
    let window = office.wait_window("mail", 1);

    let xvfb = Xvfb::start(MASTER.0 + 100, MASTER.1 + 100);
    let size = format!("/size:{}x{}", MASTER.0, MASTER.1);
    let _client = FreeRdp::start(
        &xvfb,
        &desk.rdp_address(),
        "alice",
        "desk-Pa55",
        &["/rfx", &size],
    );
    wait_for("xfreerdp to log in to the master", || {
        desk.rdp_client().ok_or(())
    });
    // With no window manager, xfreerdp's client area shows the master's desktop 1:1 at (0, 0).
    let (x, y) = window.centre();
    let (x, y) = (x as i32 + zone.x, y as i32 + zone.y);
    wait_for("the click to focus the office zone and its window", || {
        xvfb.click(x, y);
        let focused = desk.zone("office")["focused"] == true;
        if focused && office.focused() == [("mail".to_string(), 1)] {
            Ok(())
        } else {
            Err(office.focused())
        }
    });

    xvfb.xdotool(&["type", "aB"]);
    let events = mail.wait_events("a and B pressed", |events| {
        let presses = keypresses(events);
        presses.contains(&(PRESS, KEY_A)) && presses.contains(&(PRESS, KEY_B))
    });
    let presses: Vec<u64> = keypresses(&events)
        .into_iter()
        .filter(|(kind, _)| *kind == PRESS)
        .map(|(_, code)| code)
        .collect();
    assert_eq!(
        presses
            .iter()
            .filter(|c| **c == KEY_A || **c == KEY_B)
            .count(),
        2,
        "one press each: {presses:?}"
    );
    assert!(
        keypresses(&work.events()).is_empty(),
        "nothing reaches the other zone: {:?}",
        work.events()
    );
}

#[test]
fn a_zone_that_goes_down_turns_grey_and_comes_back_by_itself() {
    let cloud = slave(&[("work", "blue")]);
    let office = slave(&[("mail", "green")]);
    let _work = cloud
        .agent("work")
        .window("w=300,h=200,x=40,y=60,title=Notes,pattern=gradient")
        .start();
    let _mail = office
        .agent("mail")
        .window("w=320,h=220,x=100,y=120,title=Clock,pattern=gradient,animate=square,fps=30")
        .start();
    let desk = master(&[("cloud", "purple", &cloud), ("office", "yellow", &office)]);
    let content = wait_linked(&desk, "cloud");
    wait_linked(&desk, "office");
    let address = cloud.rdp_address();

    cloud.kill();
    let down = desk.wait_zone_state("cloud", "failing", Duration::from_secs(2));
    assert!(
        down["reason"].as_str().unwrap().contains("cloud"),
        "the reason names the zone: {down}"
    );
    framed_in(&desk.screenshot(), content, GREYED).unwrap();
    let before = desk.zone("office")["frames"].as_u64().unwrap();
    wait_for("the other zone to keep updating", || {
        let now = desk.zone("office")["frames"].as_u64().unwrap();
        if now > before + 5 {
            Ok(())
        } else {
            Err(now)
        }
    });

    cloud.restart(&address);
    desk.wait_zone_state("cloud", "connected", Duration::from_secs(10));
    wait_for("the cloud frame in its colour again", || {
        framed_in(&desk.screenshot(), content, label_colour("purple"))
    });
}

#[test]
fn a_wrong_fingerprint_or_password_is_refused_and_said() {
    let pinned = slave(&[]);
    let guarded = slave(&[]);
    let wrong_fingerprint = format!("sha256:{}", ["AB"; 32].join(":"));
    let desk = Setup::new()
        .output(MASTER.0, MASTER.1)
        .zone_link_to(
            "impostor",
            "purple",
            &pinned.rdp_address(),
            &wrong_fingerprint,
            PASSWORD,
        )
        .zone_link("guarded", "yellow", &guarded, "not-the-password")
        .start();
    for (zone, says) in [("impostor", "does not match"), ("guarded", "password")] {
        let failing = desk.wait_zone_state(zone, "failing", PATIENCE);
        let reason = failing["reason"].as_str().unwrap();
        assert!(reason.contains(says), "{zone}: {reason}");
        framed_in(&desk.screenshot(), zone_content(&failing), GREYED).unwrap();
    }
    let log = desk.log();
    assert!(log.contains("does not match the pinned one"), "{log}");
    assert!(log.contains("refused the user name"), "{log}");
    assert_eq!(
        pinned.rdp_client(),
        None,
        "nothing logged in to the impostor"
    );
}

#[test]
fn an_animated_window_in_a_slave_keeps_updating_in_the_master() {
    let cloud = slave(&[("work", "blue")]);
    let _work = cloud
        .agent("work")
        .window("w=300,h=200,x=40,y=60,title=Clock,pattern=gradient,animate=square,fps=30")
        .start();
    let desk = master(&[("cloud", "purple", &cloud)]);
    let zone = wait_linked(&desk, "cloud");
    let window = shifted(cloud.wait_window("work", 1).content, zone);
    let mut seen: Vec<Vec<[u8; 3]>> = Vec::new();
    wait_for("five different pictures of the animation", || {
        let picture: Vec<_> = desk
            .screenshot()
            .pixels_in(window)
            .map(|(_, _, p)| p)
            .collect();
        if !seen.contains(&picture) {
            seen.push(picture);
        }
        if seen.len() >= 5 {
            Ok(())
        } else {
            Err(seen.len())
        }
    });
    // Only the animated window's part of the zone is redrawn in the master.
    let frames = desk.frames();
    let latest = &frames.recent[frames.recent.len().saturating_sub(10)..];
    let outside: Vec<_> = latest
        .iter()
        .flat_map(|(_, damage)| damage)
        .filter(|rect| !rect_within(rect, &window))
        .collect();
    assert!(outside.is_empty(), "damage outside {window:?}: {outside:?}");
}

#[test]
fn resizing_a_zone_frame_resizes_the_slave() {
    let cloud = slave(&[("work", "blue")]);
    let desk = master(&[("cloud", "purple", &cloud)]);
    let content = wait_linked(&desk, "cloud");
    let right_border = (
        f64::from(content.x + content.width as i32 + ZONE_BORDER / 2),
        f64::from(content.y + 300),
    );
    desk.drag(right_border, (right_border.0 - 100.0, right_border.1));
    let resized = wait_linked(&desk, "cloud");
    assert_eq!(
        (resized.x, resized.width, resized.height),
        (content.x, content.width - 100, content.height)
    );
    let rdp = cloud.rdp();
    assert_eq!(
        (rdp["width"].as_u64(), rdp["height"].as_u64()),
        (
            Some(u64::from(resized.width)),
            Some(u64::from(resized.height))
        ),
        "the slave's output took the frame's size"
    );
}

#[test]
fn clipboard_chords_in_a_zone_act_in_that_zone() {
    let cloud = slave(&[("work", "blue")]);
    let _work = cloud
        .agent("work")
        .window("w=300,h=200,x=40,y=60,title=Notes,pattern=gradient")
        .clipboard("copied in work")
        .start();
    let desk = master(&[("cloud", "purple", &cloud)]);
    let zone = wait_linked(&desk, "cloud");
    let window = cloud.wait_window("work", 1);
    let (x, y) = window.centre();
    desk.click((x + f64::from(zone.x), y + f64::from(zone.y)));
    wait_for(
        "a click in the zone to focus work's window",
        || match cloud.focused() {
            focused if focused == [("work".to_string(), 1)] => Ok(()),
            other => Err(other),
        },
    );
    desk.key("ctrl+shift+c");
    wait_for("the slave's clipboard to hold work's data", || {
        let clipboard = cloud.clipboard();
        if clipboard["source"] == "work" {
            Ok(())
        } else {
            Err(clipboard)
        }
    });
    assert_eq!(
        desk.clipboard()["holds"],
        false,
        "the master's own clipboard is not involved"
    );
}

#[test]
fn the_pointer_over_a_zone_takes_the_shape_its_slave_shows() {
    use guid_demo_agent::pattern::Pattern;
    use guid_protocol::msg::{Cursor, Message};
    let cloud = slave(&[("work", "blue")]);
    let mut work = cloud.raw_agent("work");
    work.create_window(
        1,
        Rect::new(100, 100, 200, 150),
        b"editor",
        Pattern::Solid(0xffffff),
    );
    cloud.wait_window("work", 1);
    // X font cursor 152 is xterm: the slave shows a text beam over the window's content.
    work.send(
        1,
        &Message::Cursor(Cursor {
            cursor: 0x100 | 152,
        }),
    )
    .unwrap();
    let desk = Setup::new()
        .output(MASTER.0, MASTER.1)
        .rdp("alice", "desk-Pa55")
        .zone_link("cloud", "purple", &cloud, PASSWORD)
        .start();
    let zone = wait_linked(&desk, "cloud");
    let pointer = |at: (i32, i32), wanted: &str| {
        desk.pointer_move((f64::from(zone.x + at.0), f64::from(zone.y + at.1)));
        wait_for(&format!("the pointer to be {wanted}"), || {
            match desk.rdp()["pointer"].as_str() {
                Some(shape) if shape.starts_with(wanted) => Ok(()),
                other => Err(other.map(str::to_owned)),
            }
        });
    };
    // The text beam over the slave's window, the slave's arrow elsewhere in the zone.
    pointer((150, 150), "zone image 9x14");
    pointer((20, 20), "zone image 12x");
    pointer((150, 150), "zone image 9x14");
    // At the zone's bottom-right corner only what lies inside the zone shows of the slave's
    // arrow (12x17, hotspot at its tip): the master cuts the slave's picture to the zone.
    let corner = (zone.width as i32 - 5, zone.height as i32 - 3);
    pointer(corner, "zone image 5x3");
    // Over the zone frame's title bar the master shows its own arrow.
    desk.pointer_move((f64::from(zone.x + 50), f64::from(zone.y - 10)));
    wait_for("the master's arrow over the title bar", || {
        match desk.rdp()["pointer"].as_str() {
            Some("Arrow") => Ok(()),
            other => Err(other.map(str::to_owned)),
        }
    });
}
