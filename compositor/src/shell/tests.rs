use super::*;

const METRICS: Metrics = Metrics {
    border: 3,
    title: 24,
};
const OUTPUT: (u32, u32) = (1920, 1080);

const ZONE_METRICS: Metrics = Metrics {
    border: 8,
    title: 24,
};

fn shell() -> Shell<u32> {
    Shell::new(OUTPUT, METRICS, ZONE_METRICS)
}

fn shown(shell: &mut Shell<u32>, key: u32, content: Rect) -> Option<Rect> {
    shell.add(key, content, WindowKind::Normal);
    shell.map(key, WindowKind::Normal)
}

#[test]
fn the_agents_position_is_kept_when_the_frame_fits() {
    let mut shell = shell();
    assert_eq!(shown(&mut shell, 1, Rect::new(100, 100, 640, 480)), None);
    assert_eq!(shell.frame(1), Some(Rect::new(97, 73, 646, 510)));
}

#[test]
fn a_window_whose_frame_does_not_fit_is_cascaded() {
    let mut shell = shell();
    // At y = 0 the title bar would be above the output.
    let first = shown(&mut shell, 1, Rect::new(0, 0, 400, 300)).unwrap();
    let second = shown(&mut shell, 2, Rect::new(5000, 5000, 400, 300)).unwrap();
    assert_eq!(shell.frame(1).map(|f| (f.x, f.y)), Some((0, 0)));
    assert_eq!((second.x - first.x, second.y - first.y), (32, 32));
    let huge = shown(&mut shell, 3, Rect::new(0, 0, 4000, 3000)).unwrap();
    assert_eq!(
        METRICS.frame(huge).x,
        0,
        "too large: top-left corner on the output"
    );
}

#[test]
fn override_redirect_windows_are_kept_inside_the_output() {
    let mut shell = shell();
    shell.add(
        1,
        Rect::new(-50, 1070, 200, 100),
        WindowKind::OverrideRedirect,
    );
    assert_eq!(
        shell.map(1, WindowKind::OverrideRedirect),
        Some(Rect::new(0, 980, 200, 100))
    );
    assert_eq!(
        shell.configure(
            1,
            Rect::new(1900, -5, 200, 100),
            WindowKind::OverrideRedirect
        ),
        Some(Rect::new(1720, 0, 200, 100))
    );
    assert_eq!(
        shell.configure(1, Rect::new(10, 10, 200, 100), WindowKind::OverrideRedirect),
        None
    );
    assert_eq!(
        shell.frame(1),
        Some(Rect::new(10, 10, 200, 100)),
        "no title bar"
    );
}

#[test]
fn mapping_raises_but_never_focuses() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    assert!(shell.set_focus(Some(1)));
    assert!(!shell.set_focus(Some(4)), "a menu leaves focus where it is");
    assert_eq!(shell.focus(), Some(1));
    shown(&mut shell, 2, Rect::new(150, 150, 300, 200));
    assert_eq!(shell.focus(), Some(1));
    assert_eq!(
        shell
            .visible_top_to_bottom()
            .map(|(k, _)| k)
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
}

#[test]
fn focus_goes_only_to_visible_normal_windows_and_raises_them() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    shown(&mut shell, 2, Rect::new(150, 150, 300, 200));
    shell.add(3, Rect::new(10, 10, 10, 10), WindowKind::Normal);
    shell.add(4, Rect::new(10, 10, 10, 10), WindowKind::OverrideRedirect);
    shell.map(4, WindowKind::OverrideRedirect);
    assert!(!shell.set_focus(Some(3)), "not mapped");
    assert!(!shell.set_focus(Some(4)), "override-redirect");
    assert!(shell.set_focus(Some(1)));
    assert_eq!(
        shell.visible_top_to_bottom().next().map(|(k, _)| k),
        Some(1)
    );
    shell.unmap(1);
    assert_eq!(
        shell.focus(),
        None,
        "focus is not handed to another window by itself"
    );
}

#[test]
fn alt_tab_visits_every_focusable_window() {
    let mut shell = shell();
    for key in 1..=3 {
        shown(&mut shell, key, Rect::new(100 * key as i32, 100, 300, 200));
    }
    let visits: Vec<_> = (0..6).filter_map(|_| shell.cycle_focus()).collect();
    assert_eq!(visits, vec![1, 2, 3, 1, 2, 3]);
    shell.set_minimized(2, true);
    assert_eq!(shell.focus(), Some(3));
    let visits: Vec<_> = (0..3).filter_map(|_| shell.cycle_focus()).collect();
    assert!(
        visits.contains(&2),
        "a minimized window comes back through Alt+Tab"
    );
}

#[test]
fn hits_tell_content_title_close_button_and_border() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    assert_eq!(shell.hit(100, 100), Some((1, Hit::Content { x: 0, y: 0 })));
    assert_eq!(
        shell.hit(399, 299),
        Some((1, Hit::Content { x: 299, y: 199 }))
    );
    assert_eq!(shell.hit(150, 80), Some((1, Hit::TitleBar)));
    assert_eq!(shell.hit(400, 80), Some((1, Hit::CloseButton)));
    let edges = |left, right, top, bottom| {
        Some((
            1,
            Hit::Border(Edges {
                left,
                right,
                top,
                bottom,
            }),
        ))
    };
    assert_eq!(shell.hit(98, 150), edges(true, false, false, false));
    assert_eq!(shell.hit(150, 301), edges(false, false, false, true));
    assert_eq!(
        shell.hit(98, 301),
        edges(true, false, false, true),
        "corner"
    );
    assert_eq!(
        shell.hit(401, 290),
        edges(false, true, false, true),
        "near a corner"
    );
    assert_eq!(
        shell.hit(200, 74),
        edges(false, false, true, false),
        "above the title"
    );
    assert_eq!(shell.hit(403, 150), None, "outside the frame");
    assert_eq!(shell.hit(150, 72), None, "above the frame");
    shown(&mut shell, 2, Rect::new(200, 150, 300, 200));
    assert_eq!(
        shell.hit(250, 200),
        Some((2, Hit::Content { x: 50, y: 50 })),
        "topmost wins"
    );
    shell.set_minimized(2, true);
    assert_eq!(
        shell.hit(250, 200),
        Some((1, Hit::Content { x: 150, y: 100 }))
    );
}

#[test]
fn dragging_keeps_the_title_bar_reachable() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    assert_eq!(
        shell.move_by(1, 10, 20),
        Some(Rect::new(110, 120, 300, 200))
    );
    let far = shell.move_by(1, -10_000, -10_000).unwrap();
    let frame = METRICS.frame(far);
    assert_eq!(frame.y, 0);
    assert_eq!(frame.x + frame.width as i32, 64);
    let far = shell.move_by(1, 100_000, 100_000).unwrap();
    let frame = METRICS.frame(far);
    assert_eq!((frame.x, frame.y), (1920 - 64, 1080 - 27));
}

#[test]
fn maximize_fills_the_output_and_restores() {
    let mut shell = shell();
    let before = Rect::new(100, 100, 300, 200);
    shown(&mut shell, 1, before);
    let max = shell.set_maximized(1, true).unwrap();
    assert_eq!(shell.frame(1), Some(Rect::new(0, 0, 1920, 1080)));
    assert_eq!(max, Rect::new(3, 27, 1914, 1050));
    assert_eq!(
        shell.move_by(1, 5, 5),
        None,
        "a maximized window does not move"
    );
    assert_eq!(shell.set_maximized(1, false), Some(before));
    let full = shell.set_fullscreen(1, true).unwrap();
    assert_eq!(full, Rect::new(0, 0, 1920, 1080));
    assert_eq!(shell.frame(1), Some(full), "fullscreen has no frame");
    assert_eq!(shell.set_fullscreen(1, false), Some(before));
}

#[test]
fn an_agent_cannot_move_its_title_bar_off_the_output() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    let moved = shell.configure(1, Rect::new(100, -500, 300, 200), WindowKind::Normal);
    assert_eq!(moved, Some(Rect::new(100, 27, 300, 200)));
    assert_eq!(
        shell.configure(1, Rect::new(50, 60, 300, 200), WindowKind::Normal),
        None
    );
}

#[test]
fn a_smaller_output_brings_windows_back_and_refills_maximized_ones() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(1500, 900, 300, 100));
    shown(&mut shell, 2, Rect::new(100, 100, 300, 200));
    shown(&mut shell, 3, Rect::new(200, 200, 300, 200));
    shell.set_maximized(3, true);
    let mut moved = shell.set_output_size((1024, 768));
    moved.sort_by_key(|(key, _)| *key);
    assert_eq!(moved.len(), 2, "window 2 stays where it is: {moved:?}");
    let (_, first) = moved[0];
    let frame = METRICS.frame(first);
    assert!(
        frame.x + 64 <= 1024 && frame.y + 27 <= 768,
        "title bar reachable: {frame:?}"
    );
    assert_eq!(moved[1], (3, Rect::new(3, 27, 1018, 738)));
}

#[test]
fn a_maximized_window_keeps_the_daemons_geometry() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    let max = shell.set_maximized(1, true).unwrap();
    assert_eq!(
        shell.configure(1, Rect::new(0, 0, 800, 600), WindowKind::Normal),
        Some(max)
    );
    assert_eq!(shell.frame(1), Some(Rect::new(0, 0, 1920, 1080)));
}

#[test]
fn border_drags_resize_within_bounds() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    let bottom_right = Edges {
        right: true,
        bottom: true,
        ..Edges::default()
    };
    assert_eq!(
        shell.resize_by(1, bottom_right, 50, 20),
        Some(Rect::new(100, 100, 350, 220))
    );
    let top_left = Edges {
        left: true,
        top: true,
        ..Edges::default()
    };
    assert_eq!(
        shell.resize_by(1, top_left, 10, 10),
        Some(Rect::new(110, 110, 340, 210)),
        "the opposite corner stays"
    );
    let shrunk = shell.resize_by(1, bottom_right, -1000, -1000).unwrap();
    assert_eq!((shrunk.width, shrunk.height), MIN_CONTENT);
    assert_eq!(shell.resize_by(1, Edges::default(), 5, 5), None);
    let pulled_up = shell.resize_by(1, top_left, 0, -500).unwrap();
    assert_eq!(
        METRICS.frame(pulled_up).y,
        0,
        "the title bar stays on the output"
    );
}

#[test]
fn zone_frames_have_their_own_metrics_and_take_focus() {
    let mut shell = shell();
    shell.add(7, Rect::new(8, 32, 640, 480), WindowKind::Zone);
    assert_eq!(shell.map(7, WindowKind::Zone), None);
    assert_eq!(
        shell.frame(7),
        Some(ZONE_METRICS.frame(Rect::new(8, 32, 640, 480)))
    );
    assert_eq!(shell.frame(7).map(|f| (f.x, f.y)), Some((0, 0)));
    assert_eq!(
        shell
            .hit(3, 200)
            .map(|(_, hit)| matches!(hit, Hit::Border(_))),
        Some(true)
    );
    assert_eq!(shell.hit(100, 20), Some((7, Hit::TitleBar)));
    assert!(shell.set_focus(Some(7)));
    let moved = shell.resize_by(
        7,
        Edges {
            right: true,
            ..Edges::default()
        },
        -40,
        0,
    );
    assert_eq!(moved, Some(Rect::new(8, 32, 600, 480)));
    // A zone frame is never cascaded: it stays where it is, pulled back if off the output.
    shell.add(8, Rect::new(-900, 500, 640, 480), WindowKind::Zone);
    let placed = shell.map(8, WindowKind::Zone).unwrap();
    assert_eq!(placed.y, 500);
    assert!(ZONE_METRICS.frame(placed).x + ZONE_METRICS.frame(placed).width as i32 >= 64);
}

#[test]
fn beyond_the_protocols_limits_geometry_is_clamped_once_and_confirmed() {
    // A layout wider and taller than 16384x6144, the most an agent's window can be.
    let mut shell = Shell::new((20_000, 8_000), METRICS, ZONE_METRICS);
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    let max = shell.set_maximized(1, true).unwrap();
    assert_eq!(max, Rect::new(3, 27, 16384, 6144));
    // The agent confirms what it was sent (its answer passes the protocol's clamp unchanged):
    // nothing more to tell it.
    assert_eq!(shell.configure(1, max, WindowKind::Normal), None);
    shell.set_maximized(1, false);
    let far = shell.move_by(1, 19_000, 7_000).unwrap();
    assert_eq!((far.x, far.y), (16384, 6144));
    assert_eq!(shell.configure(1, far, WindowKind::Normal), None);
    // The agent asks for more than the limits: it gets them, once.
    let asked = guid_protocol::sanitize::geometry(100, 100, 50_000, 50_000).unwrap();
    assert_eq!(shell.configure(1, asked, WindowKind::Normal), None);
    assert_eq!(
        shell.window(1).map(|w| (w.content.width, w.content.height)),
        Some((16384, 6144))
    );
    let widened = shell.set_output_size((30_000, 9_000));
    assert!(
        widened
            .iter()
            .all(|(_, c)| c.width <= 16384 && c.height <= 6144 && c.x <= 16384 && c.y <= 6144),
        "{widened:?}"
    );
}

fn stack(shell: &Shell<u32>) -> Vec<u32> {
    let mut keys: Vec<u32> = shell.visible_top_to_bottom().map(|(k, _)| k).collect();
    keys.reverse();
    keys
}

#[test]
fn resize_drags_keep_to_the_windows_size_hints() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 300, 200));
    shell.set_size_limits(
        1,
        SizeLimits {
            min: Some((250, 150)),
            max: Some((400, 260)),
        },
    );
    let bottom_right = Edges {
        right: true,
        bottom: true,
        ..Edges::default()
    };
    let grown = shell.resize_by(1, bottom_right, 500, 500).unwrap();
    assert_eq!((grown.width, grown.height), (400, 260));
    let shrunk = shell.resize_by(1, bottom_right, -1000, -1000).unwrap();
    assert_eq!((shrunk.width, shrunk.height), (250, 150));
    // A maximum below the smallest drag size wins over it; a minimum above it is kept.
    shell.set_size_limits(
        1,
        SizeLimits {
            min: None,
            max: Some((40, 20)),
        },
    );
    let tiny = shell.resize_by(1, bottom_right, -1000, -1000).unwrap();
    assert_eq!((tiny.width, tiny.height), (40, 20));
}

#[test]
fn a_dialog_is_centred_on_its_parent_inside_the_output_and_raised_with_it() {
    let mut shell = shell();
    shown(&mut shell, 1, Rect::new(100, 100, 400, 300));
    shell.add(2, Rect::new(0, 0, 100, 80), WindowKind::Normal);
    shell.set_transient_for(2, Some(1));
    shell.map(2, WindowKind::Normal);
    let (parent, dialog) = (shell.frame(1).unwrap(), shell.frame(2).unwrap());
    assert_eq!(
        dialog.x + dialog.width as i32 / 2,
        parent.x + parent.width as i32 / 2
    );
    assert_eq!(
        dialog.y + dialog.height as i32 / 2,
        parent.y + parent.height as i32 / 2
    );
    shown(&mut shell, 3, Rect::new(150, 150, 300, 200));
    assert_eq!(stack(&shell), vec![1, 2, 3]);
    assert!(shell.set_focus(Some(1)));
    assert_eq!(
        stack(&shell),
        vec![3, 1, 2],
        "the dialog comes up with its parent"
    );
    // Near the output's edge, the dialog stays inside it.
    shown(&mut shell, 4, Rect::new(1700, 900, 200, 150));
    shell.add(5, Rect::new(0, 0, 400, 300), WindowKind::Normal);
    shell.set_transient_for(5, Some(4));
    shell.map(5, WindowKind::Normal);
    let frame = shell.frame(5).unwrap();
    assert!(frame.x + frame.width as i32 <= 1920 && frame.y + frame.height as i32 <= 1080);
}

#[test]
fn transients_in_a_cycle_are_raised_once() {
    let mut shell = shell();
    for key in 1..=3 {
        shown(&mut shell, key, Rect::new(100, 100, 300, 200));
    }
    shell.set_transient_for(1, Some(2));
    shell.set_transient_for(2, Some(1));
    shell.set_transient_for(3, Some(3));
    shell.raise(1);
    assert_eq!(stack(&shell), vec![3, 1, 2]);
    shell.raise(3);
    assert_eq!(stack(&shell), vec![1, 2, 3], "not its own transient");
}

#[test]
fn a_window_can_go_directly_beneath_another() {
    let mut shell = shell();
    for key in 1..=3 {
        shown(&mut shell, key, Rect::new(100, 100, 300, 200));
    }
    shell.lower_beneath(3, 1);
    assert_eq!(stack(&shell), vec![3, 1, 2]);
    shell.lower_beneath(1, 2);
    assert_eq!(stack(&shell), vec![3, 1, 2], "already there");
    shell.lower_beneath(2, 9);
    assert_eq!(stack(&shell), vec![3, 1, 2], "unknown: nothing moves");
}
