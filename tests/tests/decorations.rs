//! Trust decorations in screenshots: every window is framed in its qube's label colour with a
//! title bar carrying text and a close button, its content is exactly what the agent painted,
//! and override-redirect windows are kept honest.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_protocol::pattern::Pattern;
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

/// The title bar in the label colour, with text in the contrasting colour in it and in the close
/// button, and nothing else but anti-aliased edges of that text.
fn assert_title_bar(shot: &Image, window: &Window, label: &str) {
    let what = format!("title bar of {} window {}", window.qube, window.id);
    let bar = window.title_bar();
    let colour = label_colour(label);
    let text = text_colour(label);
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
    let opposite = if text == WHITE { BLACK } else { WHITE };
    assert_eq!(
        shot.count(bar, opposite),
        0,
        "{what}: the text must be {text:?}, the colour contrasting with {colour:?}"
    );
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
