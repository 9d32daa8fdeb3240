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
