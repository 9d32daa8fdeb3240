//! Real Wayland applications in a qube: `airgui-agent` runs in the qube as their compositor and
//! forwards their windows to a headless airgui. weston-simple-shm animates, foot takes keys and
//! the clipboard, weston-terminal opens a popup menu.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use airgui_e2e::*;
use guid_protocol::Rect;

/// Waits until the qube has a mapped window that `matches`.
fn wait_window_where(
    airgui: &Airgui,
    qube: &str,
    what: &str,
    matches: impl Fn(&Window) -> bool,
) -> Window {
    wait_for(what, || {
        let windows = airgui.windows_of(qube);
        match windows.iter().find(|w| w.mapped && matches(w)) {
            Some(window) => Ok(window.clone()),
            None => Err(windows),
        }
    })
}

#[test]
fn weston_simple_shm_appears_decorated_with_its_title_and_keeps_updating() {
    let airgui = Setup::new().qube("work", "blue").start();
    let agent = airgui.qube_agent("work");
    let app = agent.app("weston-simple-shm", &[]);
    let window = airgui.wait_window("work", 1);
    assert_eq!(window.title, "simple-shm");
    assert!(!window.override_redirect);
    assert_eq!((window.content.width, window.content.height), (250, 250));

    let first = airgui.screenshot();
    assert_decorated(&first, &window, "blue");
    // It keeps drawing, and only its damage (all but a 20-pixel margin) reaches the screen.
    assert_simple_shm_animates(&airgui, &window, first);
    app.assert_running();
}

#[test]
fn a_client_that_resizes_its_window_gets_a_new_image_of_the_new_size() {
    let airgui = Setup::new().output(1000, 700).qube("work", "gray").start();
    let agent = airgui.qube_agent("work");
    let _resizor = agent.app("weston-resizor", &[]);
    let before = wait_window_where(&airgui, "work", "weston-resizor's window", |w| {
        w.title == "Wayland Resizor"
    });
    airgui.click(before.centre());
    airgui.wait_focus("work");
    // weston-resizor grows by 200 pixels with each Right key.
    airgui.key("Right");
    let after = wait_window_where(&airgui, "work", "the window to grow", |w| {
        w.title == "Wayland Resizor" && w.content.width > before.content.width
    });
    assert_eq!(after.content.height, before.content.height);
    // The new columns show the client's pixels (its frame), not the desktop behind.
    let c = after.content;
    let right = Rect::new(c.x + c.width as i32 - 10, c.y, 10, c.height.min(60));
    wait_for("the new image to cover the grown window", || {
        let shot = airgui.screenshot();
        match shot.count(right, BACKGROUND) {
            0 => Ok(()),
            n => Err(n),
        }
    });
}

/// foot running `sh -c 'cat > FILE'`: what is typed echoes on its screen and lands in FILE.
fn foot_writing_to(agent: &QubeAgent, file: &std::path::Path, before: &str) -> App {
    let script = format!("printf '%s\\n' '{before}'; exec cat > '{}'", file.display());
    agent.app("foot", &["sh", "-c", &script])
}

#[test]
fn keys_typed_in_the_gui_qube_reach_foot_whose_title_is_prefixed_with_the_qube() {
    let airgui = Setup::new().qube("work", "green").start();
    let agent = airgui.qube_agent("work");
    let typed = airgui.dir().join("typed.txt");
    let foot = foot_writing_to(&agent, &typed, "ready");
    let window = wait_window_where(&airgui, "work", "foot's window", |w| w.title == "foot");
    assert!(!window.override_redirect);
    assert_decorated(&airgui.screenshot(), &window, "green");

    airgui.click(window.centre());
    airgui.wait_focus("work");
    let before = airgui.screenshot();
    // Shifted and unshifted keys, through the GUI qube's keymap and the agent's.
    airgui.type_text("Hello, Qube_1!\n");
    wait_change(
        &airgui,
        "the typed text on foot's screen",
        window.content,
        &before,
    );
    wait_file(&typed, "Hello, Qube_1!\n");
    foot.assert_running();
}

/// Types symbols that need Shift, and in German AltGr, into foot under `layout`: each arrives
/// as itself (`$` used to be sent as keycode 442, KEY_DOLLAR, which no X keymap has).
fn symbols_typed_reach_foot_exactly(layout: &str) {
    const TEXT: &str = "a$b~|<>";
    let airgui = Setup::new()
        .qube("work", "green")
        .toml(&format!("[keyboard]\nlayout = \"{layout}\""))
        .start();
    let agent = airgui.qube_agent("work");
    let typed = airgui.dir().join("typed.txt");
    let _foot = foot_writing_to(&agent, &typed, "ready");
    let window = wait_window_where(&airgui, "work", "foot's window", |w| w.title == "foot");
    airgui.click(window.centre());
    airgui.wait_focus("work");
    airgui.type_text(&format!("{TEXT}\n"));
    wait_file(&typed, &format!("{TEXT}\n"));
}

#[test]
fn symbols_typed_on_a_us_layout_reach_foot_exactly() {
    symbols_typed_reach_foot_exactly("us");
}

#[test]
fn symbols_typed_on_a_german_layout_reach_foot_exactly() {
    symbols_typed_reach_foot_exactly("de");
}

#[test]
fn a_popup_menu_is_an_override_redirect_window_with_the_qube_frame_and_a_click_outside_closes_it() {
    let airgui = Setup::new().qube("work", "orange").start();
    let agent = airgui.qube_agent("work");
    let _terminal = agent.app("weston-terminal", &[]);
    let terminal = wait_window_where(&airgui, "work", "weston-terminal's window", |w| {
        !w.override_redirect
    });
    let (x, y) = terminal.centre();
    airgui.click((x, y));
    // weston-terminal opens its menu (an xdg_popup with a grab) on a right click.
    airgui.click_button((x, y), 3);
    let menu = wait_window_where(
        &airgui,
        "work",
        "the menu as an override-redirect window",
        |w| w.override_redirect,
    );
    assert!(
        rect_within(&menu.content, &terminal.content),
        "the menu {:?} opens where the terminal {:?} was clicked",
        menu.content,
        terminal.content
    );
    // The 2-pixel frame in the label colour over the menu's edges.
    let shot = airgui.screenshot();
    let c = menu.content;
    let frame = [
        Rect::new(c.x, c.y, c.width, MARKER as u32),
        Rect::new(c.x, c.y + c.height as i32 - MARKER, c.width, MARKER as u32),
        Rect::new(c.x, c.y, MARKER as u32, c.height),
        Rect::new(c.x + c.width as i32 - MARKER, c.y, MARKER as u32, c.height),
    ];
    for edge in frame {
        shot.assert_region("the menu's frame", edge, |_, _| label_colour("orange"));
    }

    // A click elsewhere in the terminal dismisses the menu.
    airgui.click((
        f64::from(terminal.content.x) + 20.0,
        f64::from(terminal.content.y) + 60.0,
    ));
    wait_for("the menu to close", || {
        let windows = airgui.windows_of("work");
        if windows.iter().any(|w| w.override_redirect) {
            Err(windows)
        } else {
            Ok(())
        }
    });
}

#[test]
fn text_copied_in_foot_in_one_qube_pastes_into_foot_in_another() {
    const WORD: &str = "airgui-clipboard-word";
    let airgui = Setup::new().qube("a", "red").qube("b", "purple").start();

    let agent_a = airgui.qube_agent("a");
    // foot copies what is selected straight to the clipboard.
    agent_a.write_config("foot/foot.ini", "[main]\nselection-target=clipboard\n");
    let _foot_a = foot_writing_to(&agent_a, &airgui.dir().join("a.txt"), WORD);
    let window_a = wait_window_where(&airgui, "a", "foot's window in a", |w| w.title == "foot");
    airgui.click(window_a.centre());
    airgui.wait_focus("a");
    // The word is on foot's first line; a double click selects it (a triple click, should the
    // clicks of two attempts run together, selects the line: the word and its line end).
    let content = window_a.content;
    let word_at = (f64::from(content.x) + 20.0, f64::from(content.y) + 6.0);
    let copied = wait_for(
        "the word to be copied from a into the GUI qube's clipboard",
        || {
            airgui.click(word_at);
            airgui.click(word_at);
            let asked = std::time::Instant::now();
            airgui.key("ctrl+shift+c");
            // The answer to this request, not an earlier one.
            let clipboard = wait_for("a's answer", || {
                let clipboard = airgui.clipboard();
                let age = clipboard["age_ms"].as_u64().unwrap_or(u64::MAX);
                if clipboard["holds"] == true && u128::from(age) <= asked.elapsed().as_millis() {
                    Ok(clipboard)
                } else {
                    Err(clipboard)
                }
            });
            assert_eq!(clipboard["source"], "a");
            match clipboard["bytes"].as_u64() {
                Some(n) if n == WORD.len() as u64 => Ok(WORD.to_string()),
                Some(n) if n == WORD.len() as u64 + 1 => Ok(format!("{WORD}\n")),
                _ => Err(clipboard),
            }
        },
    );

    let agent_b = airgui.qube_agent("b");
    // Shift+Insert pastes the clipboard (Ctrl+Shift+V belongs to the GUI qube).
    agent_b.write_config(
        "foot/foot.ini",
        "[key-bindings]\nclipboard-paste=Shift+Insert\nprimary-paste=none\n",
    );
    let pasted = airgui.dir().join("b.txt");
    let _foot_b = foot_writing_to(&agent_b, &pasted, "paste here");
    let window_b = wait_window_where(&airgui, "b", "foot's window in b", |w| w.title == "foot");
    airgui.click(window_b.centre());
    airgui.wait_focus("b");
    airgui.key("ctrl+shift+v");
    airgui.key("shift+Insert");
    airgui.key("Return");
    wait_file(&pasted, &format!("{copied}\n"));
}

#[test]
fn killing_the_agent_removes_its_windows_and_its_clients_see_the_connection_end() {
    let airgui = Setup::new()
        .qube("work", "yellow")
        .qube("other", "blue")
        .start();
    let _other = airgui
        .agent("other")
        .window("w=100,h=100,x=600,y=60,title=Other,pattern=gradient")
        .start();
    let mut agent = airgui.qube_agent("work");
    let shm = agent.app("weston-simple-shm", &[]);
    let foot = agent.app("foot", &["sh", "-c", "exec cat"]);
    wait_window_where(&airgui, "work", "foot's window", |w| w.title == "foot");
    wait_window_where(&airgui, "work", "simple-shm's window", |w| {
        w.title == "simple-shm"
    });

    // An application that exits takes its window along; the others stay.
    shm.kill();
    wait_for("simple-shm's window to go", || {
        let windows = airgui.windows_of("work");
        if windows.iter().any(|w| w.title == "simple-shm") {
            Err(windows)
        } else {
            Ok(())
        }
    });
    assert!(airgui.connected("work"));

    agent.kill();
    airgui.wait_gone("work");
    wait_for("foot to notice its compositor is gone and exit", || {
        foot.exit_status().ok_or(())
    });
    airgui.wait_window("other", 1);
    airgui.assert_alive();
}

#[test]
fn an_agent_listening_in_the_vchan_layout_shows_its_applications() {
    let airgui = Setup::new().vchan_qube("vm", "purple").start();
    let agent = airgui.qube_agent("vm");
    let _shm = agent.app("weston-simple-shm", &[]);
    let window = airgui.wait_window("vm", 1);
    assert_eq!(window.title, "simple-shm");
    assert_decorated(&airgui.screenshot(), &window, "purple");
}

/// The peak resident memory of a process, in KiB.
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_client_setting_its_title_in_a_loop_while_the_gui_qube_does_not_read_costs_no_memory() {
    let airgui = Setup::new().qube("work", "blue").start();
    let agent = airgui.qube_agent("work");
    let before = peak_memory_kib(agent.pid());
    // The GUI qube stops reading: queued, each WMNAME would cost the agent 140 bytes.
    airgui.pause();
    let flood = agent.test_client("wayland-flood", &["title", "300000"]);
    wait_until("the titles to be set", Duration::from_secs(60), || {
        flood.assert_running();
        match flood.output().contains("flooded") {
            true => Ok(()),
            false => Err(flood.output()),
        }
    });
    let grown = peak_memory_kib(agent.pid()).saturating_sub(before);
    airgui.resume();
    assert!(
        grown < 16 * 1024,
        "the agent grew by {grown} KiB for 300000 titles"
    );
    // Once the GUI qube reads again, it gets the latest title.
    wait_window_where(&airgui, "work", "the last title", |w| w.title == "done");
    flood.assert_running();
}
