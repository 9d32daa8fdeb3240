//! What airgui says of its windows and frames ([`Window`], [`Frames`]), and the checks on them.

use std::fmt::Debug;

use guid_protocol::Rect;
use serde_json::Value;

use crate::{wait_change, wait_for, Airgui, Image, BAR, BORDER};

/// A window as `windows` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Empty for the GUI qube's own windows.
    pub qube: String,
    /// One of the GUI qube's own windows (a client of airgui's Wayland socket).
    pub native: bool,
    pub id: u32,
    /// Sanitized, without the `[qube]` prefix.
    pub title: String,
    /// The content, in output coordinates.
    pub content: Rect,
    pub mapped: bool,
    pub minimized: bool,
    pub override_redirect: bool,
    pub focused: bool,
    pub stacking: u64,
}

impl Window {
    pub(crate) fn from_json(value: &Value) -> Window {
        let int = |key: &str| {
            value[key]
                .as_i64()
                .unwrap_or_else(|| panic!("{key} in {value}"))
        };
        let flag = |key: &str| {
            value[key]
                .as_bool()
                .unwrap_or_else(|| panic!("{key} in {value}"))
        };
        Window {
            native: flag("native"),
            qube: if flag("native") {
                String::new()
            } else {
                value["qube"].as_str().expect("qube").into()
            },
            id: int("id") as u32,
            title: value["title"].as_str().expect("title").into(),
            content: Rect::new(
                int("x") as i32,
                int("y") as i32,
                int("width") as u32,
                int("height") as u32,
            ),
            mapped: flag("mapped"),
            minimized: flag("minimized"),
            override_redirect: flag("override_redirect"),
            focused: flag("focused"),
            stacking: int("stacking") as u64,
        }
    }

    /// The middle of the content, to click.
    pub fn centre(&self) -> (f64, f64) {
        let c = self.content;
        (
            f64::from(c.x) + f64::from(c.width) / 2.0,
            f64::from(c.y) + f64::from(c.height) / 2.0,
        )
    }

    /// The title bar: the label-coloured strip above the content, top border included.
    pub fn title_bar(&self) -> Rect {
        let c = self.content;
        Rect::new(
            c.x - BORDER,
            c.y - BAR,
            c.width + 2 * BORDER as u32,
            BAR as u32,
        )
    }

    /// The left, right and bottom borders.
    pub fn borders(&self) -> [Rect; 3] {
        let c = self.content;
        let (right, bottom) = (c.x + c.width as i32, c.y + c.height as i32);
        [
            Rect::new(c.x - BORDER, c.y, BORDER as u32, c.height),
            Rect::new(right, c.y, BORDER as u32, c.height),
            Rect::new(
                c.x - BORDER,
                bottom,
                c.width + 2 * BORDER as u32,
                BORDER as u32,
            ),
        ]
    }
}

/// What `frames` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frames {
    pub count: u64,
    /// (frame number, the output rectangles it redrew), oldest first.
    pub recent: Vec<(u64, Vec<Rect>)>,
}

impl Frames {
    pub(crate) fn from_json(value: &Value) -> Frames {
        let recent = value["recent"]
            .as_array()
            .expect("recent frames")
            .iter()
            .map(|frame| {
                let damage = frame["damage"]
                    .as_array()
                    .expect("damage")
                    .iter()
                    .map(|r| {
                        Rect::new(
                            r["x"].as_i64().expect("x") as i32,
                            r["y"].as_i64().expect("y") as i32,
                            r["width"].as_u64().expect("width") as u32,
                            r["height"].as_u64().expect("height") as u32,
                        )
                    })
                    .collect();
                (frame["frame"].as_u64().expect("frame number"), damage)
            })
            .collect();
        Frames {
            count: value["count"].as_u64().expect("count"),
            recent,
        }
    }
}

/// weston-simple-shm's `window` keeps updating (several frames in a row differ from the one
/// before, starting from `first`), and each redraw is exactly its damage: all of the window but a
/// 20-pixel margin, so nothing copies or reports more than the client changed.
pub fn assert_simple_shm_animates(airgui: &Airgui, window: &Window, first: Image) {
    let mut before = first;
    for frame in 0..3 {
        before = wait_change(
            airgui,
            &format!("animation frame {frame} to reach the screen"),
            window.content,
            &before,
        );
    }
    let c = window.content;
    let inner = Rect::new(c.x + 20, c.y + 20, c.width - 40, c.height - 40);
    wait_for("frames redrawing exactly the client's damage", || {
        let frames = airgui.frames();
        match frames.recent.last() {
            Some((_, damage)) if damage == &[inner] => Ok(()),
            _ => Err(frames),
        }
    });
}

/// Whether `inner` lies inside `outer`.
pub fn rect_within(inner: &Rect, outer: &Rect) -> bool {
    let right = |r: &Rect| i64::from(r.x) + i64::from(r.width);
    let bottom = |r: &Rect| i64::from(r.y) + i64::from(r.height);
    inner.x >= outer.x
        && inner.y >= outer.y
        && right(inner) <= right(outer)
        && bottom(inner) <= bottom(outer)
}
