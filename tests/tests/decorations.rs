//! Trust decorations in screenshots: every window is framed in its qube's label colour with a
//! title bar carrying text and a close button, its content is exactly what the agent painted,
//! and override-redirect windows are kept honest.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_demo_agent::pattern::Pattern;
use guid_protocol::Rect;

/// A window the test asks a demo agent for, and what its content must look like.
struct Expected {
    qube: &'static str,
    label: &'static str,
    id: u32,
    geometry: Rect,
    pattern: Pattern,
}

impl Expected {
    fn spec(&self) -> String {
        let g = self.geometry;
        let pattern = match self.pattern {
            Pattern::Solid(rgb) => format!("solid:#{rgb:06x}"),
            Pattern::Gradient => "gradient".into(),
            Pattern::Checker(cell) => format!("checker:{cell}"),
        };
        format!(
            "w={},h={},x={},y={},title=Window{},pattern={pattern}",
            g.width, g.height, g.x, g.y, self.id
        )
    }
}

/// The text colour that contrasts with each label used here (black or white, by WCAG contrast).
fn text_colour(label: &str) -> [u8; 3] {
    match label {
        "red" | "blue" | "purple" => WHITE,
        "green" | "yellow" => BLACK,
        other => panic!("no text colour known for {other}"),
    }
}

/// An unfocused title bar's text: white (every label here is dark once darkened), faded halfway
/// into the bar.
fn faded_text_colour(label: &str) -> [u8; 3] {
    let bar = unfocused_colour(label);
    [0, 1, 2].map(|i| ((0xff + u16::from(bar[i])) / 2) as u8)
}

/// The title bar in the label colour (darkened without focus), with text in the contrasting
/// colour (faded without focus) in it and in the close button, and nothing else but anti-aliased
/// edges of that text.
fn assert_title_bar(shot: &Image, window: &Window, label: &str) {
    let what = format!("title bar of {} window {}", window.qube, window.id);
    let bar = window.title_bar();
    let colour = title_bar_colour(label, window.focused);
    let text = if window.focused {
        text_colour(label)
    } else {
        faded_text_colour(label)
    };
    // No glyph reaches the top rows, the bottom rows or the left inset of the bar.
    let top = Rect::new(bar.x, bar.y, bar.width, 4);
    let bottom = Rect::new(bar.x, bar.y + BAR - 2, bar.width, 2);
    let left = Rect::new(bar.x, bar.y, 5, bar.height);
    for (part, rect) in [("top", top), ("bottom", bottom), ("left end", left)] {
        shot.assert_region(&format!("{what}, {part}"), rect, |_, _| colour);
    }
    // The text "[qube] title", left of the close button, and the close button's ×.
    let close = Rect::new(
        bar.x + bar.width as i32 - BAR,
        bar.y,
        BAR as u32,
        BAR as u32,
    );
    let title = Rect::new(bar.x, bar.y, bar.width - BAR as u32, BAR as u32);
    let title_text = shot.count(title, text);
    assert!(
        title_text >= 30,
        "{what}: only {title_text} text pixels {text:?} in the title"
    );
    let cross = shot.count(close, text);
    assert!(
        cross >= 10,
        "{what}: only {cross} text pixels {text:?} in the close button"
    );
    let opposite = if text == BLACK { WHITE } else { BLACK };
    assert_eq!(
        shot.count(bar, opposite),
        0,
        "{what}: the text must be {text:?}, the colour contrasting with {colour:?}"
    );
    if !window.focused {
        assert_eq!(
            shot.count(bar, WHITE),
            0,
            "{what}: without focus the text is faded"
        );
    }
}

/// Waits until window `id` of `qube` has focus or not, as asked.
fn wait_focused(airgui: &Airgui, qube: &str, id: u32, focused: bool) -> Window {
    wait_for(
        &format!("{qube} window {id} focused: {focused}"),
        || match airgui.window(qube, id) {
            Some(window) if window.focused == focused => Ok(window),
            other => Err(other),
        },
    )
}

#[test]
fn only_the_focused_windows_title_bar_is_in_the_full_label_colour() {
    let airgui = Setup::new().output(800, 600).qube("work", "red").start();
    let _agent = airgui
        .agent("work")
        .window("w=200,h=120,x=40,y=60,title=First window,pattern=solid:#0000ff")
        .window("w=200,h=120,x=400,y=60,title=Second window,pattern=solid:#0000ff")
        .start();
    airgui.wait_window("work", 1);
    airgui.wait_window("work", 2);
    let bar_is = |shot: &Image, window: &Window, colour: [u8; 3]| {
        let top = window.title_bar();
        let top = Rect::new(top.x, top.y, top.width, 4);
        shot.mismatches(top, |_, _| colour).is_empty()
    };
    for (clicked, other) in [(1, 2), (2, 1)] {
        airgui.click(airgui.wait_window("work", clicked).centre());
        let focused = wait_focused(&airgui, "work", clicked, true);
        let unfocused = wait_focused(&airgui, "work", other, false);
        let shot = wait_for("the title bars redrawn for the focus", || {
            let shot = airgui.screenshot();
            if bar_is(&shot, &focused, label_colour("red"))
                && bar_is(&shot, &unfocused, unfocused_colour("red"))
            {
                Ok(shot)
            } else {
                Err((
                    shot.pixel(focused.title_bar().x + 1, focused.title_bar().y + 1),
                    shot.pixel(unfocused.title_bar().x + 1, unfocused.title_bar().y + 1),
                ))
            }
        });
        assert_title_bar(&shot, &focused, "red");
        assert_title_bar(&shot, &unfocused, "red");
        // The borders are the label colour either way: the qube is told by its colour.
        for window in [&focused, &unfocused] {
            for border in window.borders() {
                shot.assert_region("a border", border, |_, _| label_colour("red"));
            }
        }
    }
}

#[test]
fn a_window_without_an_image_and_a_menu_over_another_qube_show_black() {
    use guid_protocol::msg::{Create, Map, Message};
    let airgui = Setup::new()
        .output(800, 600)
        .qube("below", "green")
        .qube("menu", "red")
        .start();
    let mut below = airgui.raw_agent("below");
    below.create_window(
        1,
        Rect::new(100, 100, 400, 300),
        b"below",
        Pattern::Solid(0x00ff00),
    );
    airgui.wait_window("below", 1);
    wait_for("the window below drawn", || {
        match airgui.screenshot().pixel(300, 250) {
            [0, 0xff, 0] => Ok(()),
            other => Err(other),
        }
    });
    // Another qube's menu over it, whose image covers only its top-left quarter, and a window
    // that never gets an image.
    let mut menu = airgui.raw_agent("menu");
    let send_window = |menu: &RawAgent, id: u32, geometry: Rect, or: u32| {
        let create = Create {
            x: geometry.x,
            y: geometry.y,
            width: geometry.width,
            height: geometry.height,
            parent: 0,
            override_redirect: or,
        };
        menu.send(id, &Message::Create(create)).unwrap();
        let map = Map {
            transient_for: 0,
            override_redirect: or,
        };
        menu.send(id, &Message::Map(map)).unwrap();
    };
    let over = Rect::new(150, 150, 200, 100);
    send_window(&menu, 1, over, 1);
    let run = menu.pool.alloc(100 * 50 * 4).expect("pool pages");
    Pattern::Solid(0x0000ff).paint(menu.pool.bytes_mut(&run), 100, Rect::new(0, 0, 100, 50), 0);
    menu.send(1, &Message::WindowDump(run.dump(100, 50)))
        .unwrap();
    let blank = Rect::new(560, 100, 150, 100);
    send_window(&menu, 2, blank, 0);
    let over = airgui.wait_window("menu", 1).content;
    let blank = airgui.wait_window("menu", 2).content;

    let inner = |c: Rect| {
        Rect::new(
            c.x + MARKER,
            c.y + MARKER,
            c.width - 2 * MARKER as u32,
            c.height - 2 * MARKER as u32,
        )
    };
    let menu_pixel = |x: i32, y: i32| {
        if x < over.x + 100 && y < over.y + 50 {
            rgb(0x0000ff)
        } else {
            BLACK
        }
    };
    let shot = wait_for("the menu's image drawn", || {
        let shot = airgui.screenshot();
        match shot.mismatches(inner(over), menu_pixel).len() {
            0 => Ok(shot),
            wrong => Err(format!("{wrong} pixels of the menu differ")),
        }
    });
    shot.assert_region("the window without an image", blank, |_, _| BLACK);
    // Beside the menu, the window below is still there.
    assert_eq!(shot.pixel(over.x - 10, over.y + 50), [0, 0xff, 0]);
}

#[test]
fn three_qubes_show_their_label_colours_titles_and_exact_pixels() {
    let airgui = Setup::new()
        .output(1024, 768)
        .qube("work", "red")
        .qube("vault", "blue")
        .qube("web", "green")
        .start();
    let expected = [
        Expected {
            qube: "work",
            label: "red",
            id: 1,
            geometry: Rect::new(40, 60, 220, 140),
            pattern: Pattern::Solid(0xf0e68c),
        },
        Expected {
            qube: "vault",
            label: "blue",
            id: 1,
            geometry: Rect::new(330, 60, 220, 140),
            pattern: Pattern::Solid(0x4b0082),
        },
        Expected {
            qube: "web",
            label: "green",
            id: 1,
            geometry: Rect::new(620, 60, 220, 140),
            pattern: Pattern::Solid(0xff69b4),
        },
        Expected {
            qube: "work",
            label: "red",
            id: 2,
            geometry: Rect::new(40, 300, 256, 200),
            pattern: Pattern::Gradient,
        },
        Expected {
            qube: "vault",
            label: "blue",
            id: 2,
            geometry: Rect::new(360, 300, 240, 160),
            pattern: Pattern::Checker(8),
        },
    ];
    let _agents: Vec<Agent> = ["work", "vault", "web"]
        .into_iter()
        .map(|qube| {
            expected
                .iter()
                .filter(|e| e.qube == qube)
                .fold(airgui.agent(qube), |agent, e| agent.window(&e.spec()))
                .start()
        })
        .collect();

    // Each window is placed where its agent asked: its decorated frame fits on the output.
    let windows: Vec<Window> = expected
        .iter()
        .map(|e| {
            let window = airgui.wait_window(e.qube, e.id);
            assert_eq!(window.content, e.geometry, "{window:?} is not where asked");
            assert_eq!(window.title, format!("Window{}", e.id));
            assert!(!window.override_redirect && !window.minimized);
            window
        })
        .collect();

    // Images arrive after the windows are mapped: wait until every content is painted.
    let shot = wait_for("every window's content in a screenshot", || {
        let shot = airgui.screenshot();
        let wrong: Vec<(usize, usize)> = expected
            .iter()
            .map(|e| {
                let wrong = shot.mismatches(e.geometry, |x, y| {
                    pattern_rgb(e.pattern, x - e.geometry.x, y - e.geometry.y)
                });
                wrong.len()
            })
            .enumerate()
            .filter(|(_, wrong)| *wrong > 0)
            .collect();
        if wrong.is_empty() {
            Ok(shot)
        } else {
            Err(format!("(window, wrong pixels): {wrong:?}"))
        }
    });

    for (e, window) in expected.iter().zip(&windows) {
        let what = format!("{} window {}", e.qube, e.id);
        let colour = label_colour(e.label);
        shot.assert_region(&format!("content of {what}"), e.geometry, |x, y| {
            pattern_rgb(e.pattern, x - e.geometry.x, y - e.geometry.y)
        });
        for (side, border) in ["left", "right", "bottom"].iter().zip(window.borders()) {
            shot.assert_region(&format!("{side} border of {what}"), border, |_, _| colour);
        }
        assert_title_bar(&shot, window, e.label);
        // Exactly 3 pixels of border and 27 of bar: just outside is the background.
        let c = e.geometry;
        let (right, bottom) = (c.x + c.width as i32, c.y + c.height as i32);
        for (x, y) in [
            (c.x - BORDER - 1, c.y + 10),
            (right + BORDER, c.y + 10),
            (c.x + 10, bottom + BORDER),
            (c.x + 10, c.y - BAR - 1),
        ] {
            assert_eq!(shot.pixel(x, y), BACKGROUND, "({x}, {y}) outside {what}");
        }
    }
    for (x, y) in [(0, 0), (1023, 767), (900, 600), (10, 700)] {
        assert_eq!(shot.pixel(x, y), BACKGROUND, "background at ({x}, {y})");
    }
}

#[test]
fn an_override_redirect_window_over_90_percent_of_the_output_is_a_normal_window() {
    let airgui = Setup::new().output(800, 600).qube("big", "purple").start();
    // 760x580 covers 91.8% of 800x600.
    let _agent = airgui
        .agent("big")
        .window("w=760,h=580,x=0,y=0,title=Cover,pattern=solid:#00ff00,or")
        .start();
    let window = airgui.wait_window("big", 1);
    assert!(
        !window.override_redirect,
        "it lost override-redirect: {window:?}"
    );
    assert_eq!(
        (window.content.width, window.content.height),
        (760, 580),
        "{window:?}"
    );
    assert!(
        window.content.x >= BORDER && window.content.y >= BAR,
        "its title bar is on the output: {window:?}"
    );
    let shot = wait_for("its content in a screenshot", || {
        let shot = airgui.screenshot();
        let (x, y) = window.centre();
        match shot.pixel(x as i32, y as i32) {
            [0, 0xff, 0] => Ok(shot),
            other => Err(other),
        }
    });
    assert_title_bar(&shot, &window, "purple");
    let [left, ..] = window.borders();
    let visible_left = Rect::new(left.x, left.y, left.width, 100);
    shot.assert_region("its left border", visible_left, |_, _| {
        label_colour("purple")
    });
}

#[test]
fn an_off_screen_override_redirect_window_is_moved_inside_and_framed() {
    let airgui = Setup::new().output(800, 600).qube("menu", "orange").start();
    let pattern = Pattern::Checker(8);
    let _agent = airgui
        .agent("menu")
        .window("w=100,h=80,x=-50,y=5000,title=Menu,pattern=checker:8,or")
        .start();
    let window = airgui.wait_window("menu", 1);
    assert!(window.override_redirect, "{window:?}");
    let c = window.content;
    assert_eq!((c.width, c.height), (100, 80), "{window:?}");
    assert!(
        rect_within(&c, &Rect::new(0, 0, 800, 600)),
        "{window:?} is not fully inside the output"
    );

    // A 2-pixel frame in the label colour over the content's edges; inside, the agent's pixels.
    let inner = Rect::new(
        c.x + MARKER,
        c.y + MARKER,
        c.width - 2 * MARKER as u32,
        c.height - 2 * MARKER as u32,
    );
    let expected = |x: i32, y: i32| {
        if inner.x <= x
            && x < inner.x + inner.width as i32
            && inner.y <= y
            && y < inner.y + inner.height as i32
        {
            pattern_rgb(pattern, x - c.x, y - c.y)
        } else {
            label_colour("orange")
        }
    };
    let shot = wait_for("the menu's pixels in a screenshot", || {
        let shot = airgui.screenshot();
        match shot.mismatches(c, expected).len() {
            0 => Ok(shot),
            wrong => Err(format!("{wrong} pixels differ")),
        }
    });
    // No title bar: above the menu is the desktop.
    let above = Rect::new(c.x, c.y - BAR, c.width, BAR as u32);
    shot.assert_region("above the menu", above, |_, _| BACKGROUND);
}
