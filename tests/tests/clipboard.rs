//! The secure clipboard (spec §6): data moves between qubes only on Ctrl+Shift+C in the source
//! and Ctrl+Shift+V in the destination, as the policy allows, within the size limit; the chords
//! never reach a qube and data nobody asked for is dropped.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_demo_agent::pattern::Pattern;
use guid_protocol::msg::{Message, WmName};
use guid_protocol::Rect;
use serde_json::Value;

/// X keycodes of the chords' keys.
const KEY_C: u64 = 54;
const KEY_V: u64 = 55;
const CONTROL_L: u64 = 37;
const RELEASE: u64 = 3;

/// A qube with one window in its own column of the output.
fn start_agent(airgui: &Airgui, qube: &str, column: i32, clipboard: &str) -> (Agent, Window) {
    let agent = airgui
        .agent(qube)
        .window(&format!(
            "w=160,h=120,x={},y=60,title={qube},pattern=solid:#808080",
            20 + column * 200
        ))
        .clipboard(clipboard)
        .start();
    let window = airgui.wait_window(qube, 1);
    (agent, window)
}

/// Clicks the window and waits until it has focus.
fn focus(airgui: &Airgui, window: &Window) {
    airgui.click(window.centre());
    wait_for(
        &format!("{}'s window to have focus", window.qube),
        || match airgui.window(&window.qube, window.id) {
            Some(w) if w.focused => Ok(()),
            other => Err(other),
        },
    );
}

/// How many times Ctrl was released in the log: each chord ends with it, so once the count grows
/// the agent has logged everything the chord sent it.
fn ctrl_releases(events: &[Value]) -> usize {
    keypresses(events)
        .into_iter()
        .filter(|key| *key == (RELEASE, CONTROL_L))
        .count()
}

/// Presses a chord in the focused window of `agent` and waits until the agent has logged all
/// that it brought.
fn chord(airgui: &Airgui, agent: &Agent, name: &str) -> Vec<Value> {
    let before = ctrl_releases(&agent.events());
    airgui.key(name);
    agent.wait_events(&format!("the end of {name}"), |events| {
        ctrl_releases(events) > before
    })
}

fn pasted(events: &[Value]) -> Vec<String> {
    named(events, "clipboard_data")
        .into_iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

/// Neither chord's letter reaches a qube, pressed or released.
fn assert_chords_swallowed(agent: &Agent) {
    let events = agent.events();
    let letters: Vec<(u64, u64)> = keypresses(&events)
        .into_iter()
        .filter(|(_, code)| [KEY_C, KEY_V].contains(code))
        .collect();
    assert_eq!(letters, [], "{} saw a chord: {events:#?}", agent.qube);
}

fn clipboard_state(airgui: &Airgui) -> (bool, Option<String>, Option<u64>) {
    let reply = airgui.clipboard();
    (
        reply["holds"].as_bool().unwrap(),
        reply["source"].as_str().map(String::from),
        reply["bytes"].as_u64(),
    )
}

#[test]
fn copy_in_one_qube_and_paste_in_another() {
    let airgui = Setup::new().qube("work", "red").qube("web", "blue").start();
    let secret = "copied in work";
    let (work, work_window) = start_agent(&airgui, "work", 0, secret);
    let (web, web_window) = start_agent(&airgui, "web", 1, "web's own");
    assert_eq!(clipboard_state(&airgui), (false, None, None));

    focus(&airgui, &work_window);
    let work_events = chord(&airgui, &work, "ctrl+shift+c");
    assert_eq!(named(&work_events, "clipboard_request").len(), 1);
    let copied = wait_for(
        "the clipboard to hold work's text",
        || match clipboard_state(&airgui) {
            state @ (true, ..) => Ok(state),
            other => Err(other),
        },
    );
    assert_eq!(
        copied,
        (true, Some("work".into()), Some(secret.len() as u64))
    );

    focus(&airgui, &web_window);
    let web_events = chord(&airgui, &web, "ctrl+shift+v");
    assert_eq!(pasted(&web_events), [secret], "{web_events:#?}");
    assert_eq!(named(&web_events, "clipboard_data")[0]["window"], 1);
    // A paste empties the clipboard: a second one delivers nothing.
    assert_eq!(clipboard_state(&airgui), (false, None, None));
    let web_events = chord(&airgui, &web, "ctrl+shift+v");
    assert_eq!(pasted(&web_events), [secret]);

    // Ctrl and Shift themselves arrive; C and V never do.
    assert!(ctrl_releases(&work.events()) >= 1);
    focus(&airgui, &work_window);
    work.wait_events("FOCUS in again, after everything before", |events| {
        named(events, "focus").len() >= 3
    });
    assert_chords_swallowed(&work);
    assert_chords_swallowed(&web);
    assert_eq!(pasted(&work.events()), Vec::<String>::new());
}

#[test]
fn the_chords_work_while_a_cyrillic_layout_is_active() {
    // Russian comes first, so it is the active layout: the C key makes Cyrillic es there, and
    // the chords are matched on the key's keysym in the Latin layout after it.
    let airgui = Setup::new()
        .qube("work", "red")
        .qube("web", "blue")
        .toml("[keyboard]\nlayout = \"ru,us\"")
        .start();
    let secret = "copied on ru";
    let (work, work_window) = start_agent(&airgui, "work", 0, secret);
    let (web, web_window) = start_agent(&airgui, "web", 1, "web's own");

    focus(&airgui, &work_window);
    chord(&airgui, &work, "ctrl+shift+c");
    wait_for(
        "the clipboard to hold work's text",
        || match clipboard_state(&airgui) {
            (true, Some(source), _) if source == "work" => Ok(()),
            other => Err(other),
        },
    );
    focus(&airgui, &web_window);
    let web_events = chord(&airgui, &web, "ctrl+shift+v");
    assert_eq!(pasted(&web_events), [secret], "{web_events:#?}");
    assert_chords_swallowed(&work);
    assert_chords_swallowed(&web);
}

#[test]
fn the_policy_denies_a_flow_and_allows_others() {
    let airgui = Setup::new()
        .qube("work", "red")
        .qube("web", "blue")
        .qube("dev", "green")
        .toml(
            "[clipboard]\npolicy = [\n  { from = \"work\", to = \"web\", action = \"deny\" },\n  \
             { from = \"*\", to = \"*\", action = \"allow\" },\n]",
        )
        .start();
    let (work, work_window) = start_agent(&airgui, "work", 0, "work's secret");
    let (web, web_window) = start_agent(&airgui, "web", 1, "web");
    let (dev, dev_window) = start_agent(&airgui, "dev", 2, "dev");

    let copy_from_work = || {
        focus(&airgui, &work_window);
        chord(&airgui, &work, "ctrl+shift+c");
        wait_for(
            "the clipboard to hold work's text",
            || match clipboard_state(&airgui) {
                (true, Some(source), _) if source == "work" => Ok(()),
                other => Err(other),
            },
        );
    };

    // work → web is denied; the refused paste also clears the clipboard.
    copy_from_work();
    focus(&airgui, &web_window);
    let web_events = chord(&airgui, &web, "ctrl+shift+v");
    assert_eq!(pasted(&web_events), Vec::<String>::new(), "{web_events:#?}");
    assert_eq!(clipboard_state(&airgui), (false, None, None));

    // work → dev falls through to the allow rule.
    copy_from_work();
    focus(&airgui, &dev_window);
    let dev_events = chord(&airgui, &dev, "ctrl+shift+v");
    assert_eq!(pasted(&dev_events), ["work's secret"]);
    for agent in [&work, &web, &dev] {
        assert_chords_swallowed(agent);
    }
}

#[test]
fn data_over_the_size_limit_clears_the_clipboard() {
    let airgui = Setup::new()
        .qube("small", "green")
        .qube("big", "red")
        .qube("web", "blue")
        .toml("[clipboard]\nmax_bytes = 100")
        .start();
    let (small, small_window) = start_agent(&airgui, "small", 0, "fits");
    let (big, big_window) = start_agent(&airgui, "big", 1, &"x".repeat(200));
    let (web, web_window) = start_agent(&airgui, "web", 2, "web");

    focus(&airgui, &small_window);
    chord(&airgui, &small, "ctrl+shift+c");
    wait_for(
        "the clipboard to hold small's text",
        || match clipboard_state(&airgui) {
            state @ (true, ..) => Ok(state),
            other => Err(other),
        },
    );

    // 200 bytes from big are more than max_bytes: the clipboard is cleared, not kept.
    focus(&airgui, &big_window);
    let big_events = chord(&airgui, &big, "ctrl+shift+c");
    assert_eq!(named(&big_events, "clipboard_request").len(), 1);
    wait_for("the clipboard to be cleared", || {
        match clipboard_state(&airgui) {
            (false, None, None) => Ok(()),
            other => Err(other),
        }
    });

    focus(&airgui, &web_window);
    let web_events = chord(&airgui, &web, "ctrl+shift+v");
    assert_eq!(pasted(&web_events), Vec::<String>::new(), "{web_events:#?}");
    assert!(
        airgui.connected("big"),
        "too much clipboard data is no protocol error"
    );
}

#[test]
fn clipboard_data_nobody_asked_for_is_dropped() {
    let airgui = Setup::new()
        .qube("work", "red")
        .qube("web", "blue")
        .qube("evil", "black")
        .start();
    let (work, work_window) = start_agent(&airgui, "work", 0, "the real text");
    let (web, web_window) = start_agent(&airgui, "web", 1, "web");
    let mut evil = airgui.raw_agent("evil");
    evil.create_window(
        1,
        Rect::new(420, 300, 100, 80),
        b"evil",
        Pattern::Solid(0x111111),
    );
    airgui.wait_window("evil", 1);

    focus(&airgui, &work_window);
    chord(&airgui, &work, "ctrl+shift+c");
    let copied = wait_for(
        "the clipboard to hold work's text",
        || match clipboard_state(&airgui) {
            state @ (true, ..) => Ok(state),
            other => Err(other),
        },
    );

    // evil pushes data unasked, then renames its window: once the new title shows, airgui has
    // handled the data before it.
    evil.send(1, &Message::ClipboardData(b"unasked".to_vec()))
        .unwrap();
    evil.send(1, &Message::WmName(WmName::new(b"after")))
        .unwrap();
    wait_for("evil's new title", || match airgui.window("evil", 1) {
        Some(w) if w.title == "after" => Ok(()),
        other => Err(other),
    });
    assert_eq!(
        clipboard_state(&airgui),
        copied,
        "the clipboard is unchanged"
    );
    assert!(
        airgui.connected("evil"),
        "unasked data is dropped, not a protocol error"
    );

    focus(&airgui, &web_window);
    let web_events = chord(&airgui, &web, "ctrl+shift+v");
    assert_eq!(pasted(&web_events), ["the real text"]);
}
