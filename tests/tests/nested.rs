//! `--backend winit`: airgui in a window of another desktop, here an Xvfb with Mesa's software
//! GLES renderer. The same shell and decorations as headless, rendered with GLES: the qube's
//! window shows with its border colour and title, and the X screen shows what airgui's own
//! screenshot (read back from the GPU) says, before and after a window moves.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_demo_agent::pattern::Pattern;
use guid_protocol::Rect;

/// Waits until the X screen's top-left `width` x `height` (airgui's window, on an X server
/// without a window manager) equals airgui's own screenshot.
fn wait_screen_matches(airgui: &Airgui, xvfb: &Xvfb, what: &str) -> Image {
    wait_for(what, || {
        let own = airgui.screenshot();
        let screen = xvfb.screenshot();
        let area = Rect::new(0, 0, own.width, own.height);
        let wrong = screen.mismatches(area, |x, y| own.pixel(x, y));
        if wrong.is_empty() {
            Ok(own)
        } else {
            Err(wrong.len())
        }
    })
}

#[test]
fn nested_under_xvfb_a_qube_window_shows_its_border_colour_title_and_pixels() {
    let xvfb = Xvfb::start(1024, 768);
    let airgui = Setup::new()
        .output(800, 600)
        .qube("work", "green")
        .nested(&xvfb)
        .start();
    let _agent = airgui
        .agent("work")
        .window("w=240,h=160,x=100,y=120,title=Work,pattern=gradient")
        .start();
    let window = airgui.wait_window("work", 1);

    let shot = wait_for("the window's pixels in the screenshot", || {
        let shot = airgui.screenshot();
        let wrong = shot.mismatches(window.content, |x, y| {
            pattern_rgb(
                Pattern::Gradient,
                x - window.content.x,
                y - window.content.y,
            )
        });
        if wrong.is_empty() {
            Ok(shot)
        } else {
            Err(wrong.len())
        }
    });
    assert_eq!((shot.width, shot.height), (800, 600));
    assert_decorated(&shot, &window, "green");
    for border in window.borders() {
        shot.assert_region("the border", border, |_, _| label_colour("green"));
    }
    // The title "[work] Work" is drawn: glyphs on the left of the bar (the close button is on
    // the right), where an empty bar would be all green.
    let bar = window.title_bar();
    let text = Rect::new(bar.x + BORDER, bar.y + BORDER, 100, TITLE as u32);
    let bar_colour = title_bar_colour("green", window.focused);
    let glyphs = text.area() as usize - shot.count(text, bar_colour);
    assert!(glyphs > 100, "only {glyphs} glyph pixels on {text:?}");
    wait_screen_matches(&airgui, &xvfb, "the X screen to show airgui's frame");

    // A move redraws only part of the output: the read-back copy follows it exactly.
    let (x, y) = (window.content.x + 40, window.content.y - TITLE / 2);
    airgui.drag(
        (f64::from(x), f64::from(y)),
        (f64::from(x + 200), f64::from(y + 150)),
    );
    let moved = wait_for("the window to move", || {
        let now = airgui.window("work", 1).unwrap();
        if now.content.x == window.content.x + 200 {
            Ok(now)
        } else {
            Err(now)
        }
    });
    let after = wait_screen_matches(&airgui, &xvfb, "the X screen after the move");
    assert_decorated(&after, &moved, "green");
    after.assert_region(
        "the uncovered desktop",
        Rect::new(window.content.x, window.content.y, 100, 50),
        |_, _| BACKGROUND,
    );
}
