//! Frames are drawn by damage: an animation redraws only its window's content, and a desktop
//! where nothing changes draws no frames at all.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use guid_demo_agent::pattern::Pattern;
use guid_protocol::Rect;

/// The demo agent's bouncing square: 64x64, yellow.
const SQUARE: u32 = 64;
const YELLOW: [u8; 3] = [0xff, 0xff, 0];

/// Where the square is in the window's content (its top-left corner), checking that every other
/// pixel is the gradient: the square leaves no trail.
fn square_in(shot: &Image, content: Rect) -> Result<(i32, i32), String> {
    let yellow: Vec<(i32, i32)> = shot
        .pixels_in(content)
        .filter(|(_, _, colour)| *colour == YELLOW)
        .map(|(x, y, _)| (x - content.x, y - content.y))
        .collect();
    if yellow.len() != (SQUARE * SQUARE) as usize {
        return Err(format!("{} yellow pixels", yellow.len()));
    }
    let corner = yellow.iter().copied().min().unwrap_or_default();
    let square = Rect::new(corner.0, corner.1, SQUARE, SQUARE);
    let in_square = |x: i32, y: i32| {
        (square.x..square.x + SQUARE as i32).contains(&x)
            && (square.y..square.y + SQUARE as i32).contains(&y)
    };
    let wrong = shot
        .mismatches(content, |x, y| {
            let (x, y) = (x - content.x, y - content.y);
            if in_square(x, y) {
                YELLOW
            } else {
                pattern_rgb(Pattern::Gradient, x, y)
            }
        })
        .len();
    if wrong > 0 {
        return Err(format!(
            "{wrong} pixels are neither the square nor the gradient"
        ));
    }
    Ok(corner)
}

#[test]
fn an_animated_square_redraws_only_its_window_content() {
    let airgui = Setup::new()
        .output(640, 480)
        .qube("work", "red")
        .qube("web", "blue")
        .start();
    let _animated = airgui
        .agent("work")
        .window("w=300,h=200,x=100,y=100,title=Anim,pattern=gradient,animate=square,fps=30")
        .start();
    let _still = airgui
        .agent("web")
        .window("w=150,h=100,x=450,y=100,title=Still,pattern=solid:#336699")
        .start();
    let window = airgui.wait_window("work", 1);
    let still = airgui.wait_window("web", 1);
    let content = window.content;

    // Both windows fully drawn; from then on only the animation changes anything.
    let first = wait_for("both windows drawn", || {
        let shot = airgui.screenshot();
        let still_wrong = shot.mismatches(still.content, |_, _| rgb(0x336699)).len();
        match square_in(&shot, content) {
            Ok(corner) if still_wrong == 0 => Ok(corner),
            other => Err((other, still_wrong)),
        }
    });

    // The square moves: later screenshots show it elsewhere, with no trail behind it.
    wait_for("the square to move", || {
        match square_in(&airgui.screenshot(), content) {
            Ok(corner) if corner != first => Ok(()),
            other => Err(other),
        }
    });

    let drawn = airgui.frames().count;

    // Every frame from now on redrew a part of the animated window's content, nothing else.
    let frames = wait_for("20 animation frames", || {
        let frames = airgui.frames();
        let later = frames.recent.iter().filter(|(n, _)| *n > drawn).count();
        if later >= 20 {
            Ok(frames)
        } else {
            Err(frames)
        }
    });
    // (A screenshot may draw a due frame early, so a frame may also redraw nothing.)
    let later: Vec<_> = frames.recent.iter().filter(|(n, _)| *n > drawn).collect();
    let redrawing = later
        .iter()
        .filter(|(_, damage)| !damage.is_empty())
        .count();
    assert!(
        redrawing >= 10,
        "only {redrawing} frames redrew anything: {later:?}"
    );
    for (frame, damage) in later {
        for rect in damage {
            assert!(
                rect_within(rect, &content),
                "frame {frame} redrew {rect:?}, outside the animated content {content:?}"
            );
        }
    }
}

#[test]
fn a_still_desktop_draws_no_frames() {
    let airgui = Setup::new().output(640, 480).qube("work", "red").start();
    let _agent = airgui
        .agent("work")
        .window("w=200,h=150,x=50,y=60,title=Still,pattern=checker:16")
        .start();
    let window = airgui.wait_window("work", 1);
    wait_for("the window drawn", || {
        let shot = airgui.screenshot();
        let c = window.content;
        let wrong = shot.mismatches(c, |x, y| {
            pattern_rgb(Pattern::Checker(16), x - c.x, y - c.y)
        });
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong.len())
        }
    });

    // Nothing changes any more: the frame count settles.
    let settled = airgui.settled_frames();
    // Looking at the desktop does not draw it again.
    airgui.windows();
    airgui.qube("work");
    airgui.clipboard();
    airgui.screenshot();
    airgui.pointer_move((600.0, 400.0));
    assert_eq!(airgui.frames().count, settled, "{:?}", airgui.frames());

    // The user clicks the window (it is raised and focused): frames are drawn again.
    airgui.click(window.centre());
    wait_for("a frame for the focus change", || {
        let frames = airgui.frames();
        if frames.count > settled {
            Ok(())
        } else {
            Err(frames.count)
        }
    });
}

/// Items 14 and 21: a real agent's grant refs are not consecutive. A window whose dump names its
/// pages in reverse order cannot be read in place; it is copied out of the pool page by page,
/// and drawn exactly, whole and then by damage.
#[test]
fn a_window_whose_pages_are_scattered_is_drawn_exactly_and_by_damage() {
    use guid_protocol::msg::{Message, ShmImage, WindowDump, PAGE_SIZE};

    let airgui = Setup::new().output(640, 480).qube("work", "red").start();
    let mut agent = airgui.raw_agent("work");
    let (width, height) = (200, 100);
    agent.create_window(
        1,
        Rect::new(100, 80, width, height),
        b"t",
        Pattern::Solid(0),
    );
    let content = airgui.wait_window("work", 1).content;
    let pages = (width * height * 4).div_ceil(PAGE_SIZE as u32);
    let run = agent.pool.alloc((pages as usize) * PAGE_SIZE).unwrap();
    // The image's page i is the run's page pages-1-i.
    let mut image = vec![0u8; pages as usize * PAGE_SIZE];
    let scatter = |agent: &mut RawAgent, image: &[u8]| {
        let bytes = agent.pool.bytes_mut(&run);
        for (i, page) in image.chunks(PAGE_SIZE).enumerate() {
            let at = (pages as usize - 1 - i) * PAGE_SIZE;
            bytes[at..at + PAGE_SIZE].copy_from_slice(page);
        }
    };
    let whole = Rect::new(0, 0, width, height);
    Pattern::Gradient.paint(&mut image, width, whole, 0);
    scatter(&mut agent, &image);
    let dump = WindowDump {
        kind: 0,
        width,
        height,
        bpp: 24,
        refs: (0..pages).rev().map(|i| run.first + i).collect(),
    };
    agent.send(1, &Message::WindowDump(dump)).unwrap();
    let drawn_as = |what: &str, expected: &dyn Fn(i32, i32) -> [u8; 3]| {
        wait_for(what, || {
            let wrong = airgui
                .screenshot()
                .mismatches(content, |x, y| expected(x - content.x, y - content.y));
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(wrong.len())
            }
        })
    };
    drawn_as("the scattered image", &|x, y| {
        pattern_rgb(Pattern::Gradient, x, y)
    });

    // A rectangle across page boundaries changes: only it is sent again.
    let changed = Rect::new(50, 30, 120, 40);
    Pattern::Solid(0xffff00).paint(&mut image, width, changed, 0);
    scatter(&mut agent, &image);
    let damage = ShmImage {
        x: changed.x,
        y: changed.y,
        width: changed.width,
        height: changed.height,
    };
    agent.send(1, &Message::ShmImage(damage)).unwrap();
    let in_changed = |x: i32, y: i32| {
        (changed.x..changed.x + changed.width as i32).contains(&x)
            && (changed.y..changed.y + changed.height as i32).contains(&y)
    };
    drawn_as("the damaged rectangle", &|x, y| match in_changed(x, y) {
        true => YELLOW,
        false => pattern_rgb(Pattern::Gradient, x, y),
    });
}
