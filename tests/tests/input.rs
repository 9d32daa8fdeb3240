//! Input goes only to the focused window's qube, and focus is given by the user alone: what each
//! qube received is read from its demo agent's event log.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use serde_json::Value;

/// X keycodes (evdev + 8) under the default "us" layout.
const KEY_H: u64 = 43;
const KEY_I: u64 = 31;
const KEY_O: u64 = 32;
const KEY_K: u64 = 45;
/// X event types.
const PRESS: u64 = 2;
const RELEASE: u64 = 3;
const ENTER: u64 = 7;
const LEAVE: u64 = 8;
const FOCUS_IN: u64 = 9;
const FOCUS_OUT: u64 = 10;

fn is_focus(event: &Value, kind: u64) -> bool {
    event["event"] == "focus" && event["type"] == kind
}

fn count_focus(events: &[Value], kind: u64) -> usize {
    events.iter().filter(|e| is_focus(e, kind)).count()
}

/// Typed text as (type, keycode) pairs: each key pressed and released.
fn typed(keycodes: &[u64]) -> Vec<(u64, u64)> {
    keycodes
        .iter()
        .flat_map(|code| [(PRESS, *code), (RELEASE, *code)])
        .collect()
}

/// Every FOCUS in and CROSSING enter comes right after a KEYMAP_NOTIFY (spec §3).
fn assert_enters_follow_keymaps(qube: &str, events: &[Value]) {
    for (at, event) in events.iter().enumerate() {
        let enters =
            is_focus(event, FOCUS_IN) || (event["event"] == "crossing" && event["type"] == ENTER);
        if enters {
            assert!(
                at > 0 && events[at - 1]["event"] == "keymap_notify",
                "{qube}: {event} is not preceded by keymap_notify: {events:#?}"
            );
        }
    }
}

#[test]
fn keys_reach_only_the_focused_qube_and_focus_follows_clicks_only() {
    let airgui = Setup::new()
        .output(800, 600)
        .qube("work", "red")
        .qube("web", "blue")
        .qube("dev", "green")
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
    assert_eq!(
        airgui.focused(),
        [],
        "nothing has focus before the user acts"
    );

    // Click work, type "hi": work receives the keys.
    airgui.click(work_window.centre());
    airgui.wait_focus("work");
    airgui.type_text("hi");
    let events = work.wait_events("h and i pressed and released", |events| {
        keypresses(events).len() >= 4
    });
    assert_eq!(keypresses(&events), typed(&[KEY_H, KEY_I]), "{events:#?}");
    for key in named(&events, "keypress") {
        assert_eq!(key["window"], 1, "{key}");
        assert_eq!(key["state"], 0, "no modifier or button held: {key}");
    }
    // The click itself reached work, at its position in the window's content.
    let buttons = named(&events, "button");
    let (x, y) = work_window.centre();
    let relative = (
        x as i64 - i64::from(work_window.content.x),
        y as i64 - i64::from(work_window.content.y),
    );
    assert!(
        buttons.iter().any(|b| b["type"] == 4
            && b["button"] == 1
            && (b["x"].as_i64(), b["y"].as_i64()) == (Some(relative.0), Some(relative.1))),
        "a left press at {relative:?}: {buttons:#?}"
    );

    // A background qube maps a window: it is shown on top, but focus stays with work.
    let dev = airgui
        .agent("dev")
        .window("w=240,h=160,x=40,y=320,title=Dev,pattern=solid:#33aa33")
        .start();
    let dev_window = airgui.wait_window("dev", 1);
    assert_eq!(airgui.focused(), [("work".to_string(), 1)]);
    let top = &airgui.windows()[0];
    assert_eq!(
        (top.qube.as_str(), top.id),
        ("dev", 1),
        "the new window is on top"
    );

    // Click web: work gets FOCUS out, web FOCUS in (after KEYMAP_NOTIFY); web gets the keys.
    airgui.click(web_window.centre());
    airgui.wait_focus("web");
    work.wait_events("FOCUS out", |events| count_focus(events, FOCUS_OUT) == 1);
    web.wait_events("FOCUS in", |events| count_focus(events, FOCUS_IN) == 1);
    airgui.type_text("ok");
    let web_events = web.wait_events("o and k", |events| keypresses(events).len() >= 4);
    assert_eq!(keypresses(&web_events), typed(&[KEY_O, KEY_K]));

    // Click dev, then work again. What each agent logged before its FOCUS in below is complete,
    // since a qube's messages arrive in order.
    airgui.click(dev_window.centre());
    airgui.wait_focus("dev");
    airgui.click(work_window.centre());
    airgui.wait_focus("work");
    let dev_events = dev.wait_events("FOCUS out after the click on work", |events| {
        count_focus(events, FOCUS_OUT) == 1
    });
    let web_events = web.wait_events("FOCUS out after the click on dev", |events| {
        count_focus(events, FOCUS_OUT) == 1
    });
    let work_events = work.wait_events("FOCUS in again", |events| {
        count_focus(events, FOCUS_IN) == 2
    });

    // dev got focus only from the click: one FOCUS in, after the pointer entered its window.
    assert_eq!(count_focus(&dev_events, FOCUS_IN), 1, "{dev_events:#?}");
    let entered = position(&dev_events, |e| {
        e["event"] == "crossing" && e["type"] == ENTER
    })
    .expect("the pointer entered dev's window");
    let focus_in = position(&dev_events, |e| is_focus(e, FOCUS_IN)).unwrap();
    assert!(
        entered < focus_in,
        "dev's FOCUS in came before the click: {dev_events:#?}"
    );
    // Keys went to the focused qube only.
    assert_eq!(keypresses(&dev_events), [], "{dev_events:#?}");
    assert_eq!(keypresses(&web_events), typed(&[KEY_O, KEY_K]));
    assert_eq!(keypresses(&work_events), typed(&[KEY_H, KEY_I]));
    // Focus changes come as out to the old window, in (after KEYMAP_NOTIFY) to the new one.
    let focus_changes: Vec<u64> = named(&work_events, "focus")
        .iter()
        .map(|e| e["type"].as_u64().unwrap())
        .collect();
    assert_eq!(focus_changes, [FOCUS_IN, FOCUS_OUT, FOCUS_IN]);
    for (qube, events) in [
        ("work", &work_events),
        ("web", &web_events),
        ("dev", &dev_events),
    ] {
        assert_enters_follow_keymaps(qube, events);
    }
}

#[test]
fn modifiers_pointer_crossings_and_alt_tab() {
    const SHIFT_L: u64 = 50;
    const ALT_L: u64 = 64;
    const TAB: u64 = 23;
    let airgui = Setup::new()
        .output(800, 600)
        .qube("work", "red")
        .qube("web", "blue")
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

    // The pointer enters work's content: CROSSING enter and MOTION in window coordinates.
    let (wx, wy) = (work_window.content.x, work_window.content.y);
    airgui.pointer_move((f64::from(wx + 10), f64::from(wy + 20)));
    airgui.pointer_move((f64::from(wx + 30), f64::from(wy + 25)));
    let events = work.wait_events("the pointer's motion", |events| {
        named(events, "motion")
            .iter()
            .any(|m| m["x"] == 30 && m["y"] == 25)
    });
    let enter = named(&events, "crossing")
        .into_iter()
        .find(|c| c["type"] == ENTER)
        .cloned()
        .expect("CROSSING enter");
    assert_eq!(
        (enter["x"].as_i64(), enter["y"].as_i64()),
        (Some(10), Some(20))
    );
    assert_enters_follow_keymaps("work", &events);
    // On to web: work gets CROSSING leave, web enter.
    airgui.pointer_move(web_window.centre());
    work.wait_events("CROSSING leave", |events| {
        named(events, "crossing").iter().any(|c| c["type"] == 8)
    });
    web.wait_events("CROSSING enter", |events| {
        named(events, "crossing").iter().any(|c| c["type"] == ENTER)
    });

    // Shift+h: X reports the modifiers held before each key.
    airgui.click(work_window.centre());
    airgui.wait_focus("work");
    airgui.type_text("H");
    let events = work.wait_events("Shift and h", |events| keypresses(events).len() >= 4);
    let keys: Vec<(u64, u64, u64)> = named(&events, "keypress")
        .iter()
        .map(|k| {
            (
                k["type"].as_u64().unwrap(),
                k["keycode"].as_u64().unwrap(),
                k["state"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (PRESS, SHIFT_L, 0),
            (PRESS, KEY_H, 1),
            (RELEASE, KEY_H, 1),
            (RELEASE, SHIFT_L, 1),
        ]
    );

    // Alt+Tab moves focus to the other window; Tab itself reaches no qube.
    airgui.key("alt+Tab");
    airgui.wait_focus("web");
    let web_events = web.wait_events("FOCUS in", |events| count_focus(events, FOCUS_IN) == 1);
    let focus_in = position(&web_events, |e| is_focus(e, FOCUS_IN)).unwrap();
    let keymap = &web_events[focus_in - 1];
    assert_eq!(keymap["event"], "keymap_notify");
    let held = keymap["keys"][(ALT_L / 8) as usize].as_u64().unwrap();
    assert_ne!(held & (1 << (ALT_L % 8)), 0, "Alt is held: {keymap}");
    airgui.click(work_window.centre());
    airgui.wait_focus("work");
    web.wait_events("FOCUS out", |events| count_focus(events, FOCUS_OUT) == 1);
    let work_events = work.wait_events("FOCUS in again", |events| {
        count_focus(events, FOCUS_IN) == 2
    });
    for (qube, events) in [("work", work_events), ("web", web.events())] {
        let tabs: Vec<_> = keypresses(&events)
            .into_iter()
            .filter(|(_, code)| *code == TAB)
            .collect();
        assert_eq!(tabs, [], "{qube} saw Tab");
    }
}

#[test]
fn clicking_a_menu_keeps_the_keyboard_focus_where_it_was() {
    const KEY_A: u64 = 38;
    let airgui = Setup::new().qube("work", "red").start();
    let work = airgui
        .agent("work")
        .window("w=300,h=200,x=40,y=60,title=App,pattern=solid:#aa3333")
        .window("w=100,h=80,x=400,y=60,title=Menu,pattern=solid:#33aa33,or")
        .start();
    let app = airgui.wait_window("work", 1);
    let menu = airgui.wait_window("work", 2);
    assert!(menu.override_redirect);
    airgui.click(app.centre());
    airgui.wait_focus("work");

    // The menu gets the click; the application keeps the keyboard, as under X.
    airgui.click(menu.centre());
    airgui.type_text("a");
    let events = work.wait_events("the a key", |events| {
        keypresses(events).contains(&(RELEASE, KEY_A))
    });
    assert_eq!(airgui.focused(), [("work".to_string(), 1)]);
    assert_eq!(count_focus(&events, FOCUS_OUT), 0, "{events:#?}");
    assert!(
        named(&events, "button").iter().any(|b| b["window"] == 2),
        "the menu got the click: {events:#?}"
    );
    let a = named(&events, "keypress")
        .into_iter()
        .find(|k| k["keycode"] == KEY_A)
        .unwrap();
    assert_eq!(a["window"], 1, "{a}");
}

#[test]
fn a_window_appearing_or_going_under_a_still_pointer_gets_or_loses_it() {
    let airgui = Setup::new()
        .output(800, 600)
        .qube("work", "red")
        .qube("web", "blue")
        .start();
    // The pointer rests on the empty desktop, where a window will appear.
    airgui.pointer_move((200.0, 200.0));
    let work = airgui
        .agent("work")
        .window("w=240,h=160,x=100,y=120,title=Work,pattern=solid:#aa3333")
        .start();
    airgui.wait_window("work", 1);
    // No pointer motion since: the window under the pointer gets CROSSING enter by itself.
    let events = work.wait_events("CROSSING enter", |events| {
        events
            .iter()
            .any(|e| e["event"] == "crossing" && e["type"] == ENTER)
    });
    assert_enters_follow_keymaps("work", &events);
    // A window of another qube mapped on top of it takes the pointer: work gets CROSSING leave.
    let web = airgui
        .agent("web")
        .window("w=240,h=160,x=150,y=150,title=Web,pattern=solid:#3333aa")
        .start();
    airgui.wait_window("web", 1);
    work.wait_events("CROSSING leave", |events| {
        events
            .iter()
            .any(|e| e["event"] == "crossing" && e["type"] == LEAVE)
    });
    web.wait_events("CROSSING enter", |events| {
        events
            .iter()
            .any(|e| e["event"] == "crossing" && e["type"] == ENTER)
    });
}

/// The qube's X server gives a BUTTON to the window under its own pointer, which only MOTION
/// moves: every BUTTON must come after a MOTION to its window and point.
fn assert_buttons_follow_a_motion_to_their_point(events: &[Value]) {
    for (at, button) in events.iter().enumerate() {
        if button["event"] != "button" {
            continue;
        }
        let motion = events[..at]
            .iter()
            .rev()
            .find(|e| e["event"] == "motion")
            .unwrap_or_else(|| panic!("no MOTION before {button}: {events:#?}"));
        assert_eq!(
            (&motion["window"], &motion["x"], &motion["y"]),
            (&button["window"], &button["x"], &button["y"]),
            "{button} follows {motion}: {events:#?}"
        );
    }
}

#[test]
fn a_click_in_a_window_the_pointer_just_entered_moves_the_qube_s_pointer_there_first() {
    let airgui = Setup::new().output(800, 600).qube("work", "red").start();
    let work = airgui
        .agent("work")
        .window("w=240,h=160,x=40,y=60,title=One,pattern=solid:#aa3333")
        .window("w=240,h=160,x=400,y=60,title=Two,pattern=solid:#33aa33")
        .start();
    let one = airgui.wait_window("work", 1);
    let two = airgui.wait_window("work", 2);
    // Each click enters its window (CROSSING, no MOTION) and presses at once; the last one is
    // where the qube's pointer was before it went to the other window.
    for window in [&one, &two, &one] {
        airgui.click(window.centre());
    }
    let events = work.wait_events("three clicks", |events| named(events, "button").len() >= 6);
    assert_eq!(named(&events, "button").len(), 6, "{events:#?}");
    assert_buttons_follow_a_motion_to_their_point(&events);
    // One MOTION per click: its release, at the same point, needs none.
    assert_eq!(named(&events, "motion").len(), 3, "{events:#?}");
}
