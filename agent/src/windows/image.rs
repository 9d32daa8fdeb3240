//! A window's pixels: each commit's damage, from every surface of the tree, copied into the
//! window's pages and announced with SHMIMAGE; a new size means new pages and a WINDOW_DUMP.

use std::sync::Mutex;

use airgui_damage::MergedRects;
use guid_protocol::msg::{Message, ShmImage};
use guid_protocol::Rect;
use smithay::backend::renderer::utils::{CommitCounter, RendererSurfaceStateUserData};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Size};
use smithay::wayland::compositor::{self, TraversalAction};

use super::describe::describe;
use super::window_geometry;
use crate::compose::{self, Layer};
use crate::Agent;

/// Damage rectangles sent per commit; more are merged into their bounding box.
const MAX_DAMAGE_RECTS: usize = 16;

/// What a surface looked like when it was last copied into its window.
#[derive(Debug, Default)]
struct CopyMark {
    commit: Option<CommitCounter>,
    at: Option<Point<i32, Logical>>,
    size: Size<i32, Logical>,
}

type CopyMarkData = Mutex<CopyMark>;

/// Copies what changed in the window's surfaces into its pages and tells the daemon: a new
/// WINDOW_DUMP when the size changed, else SHMIMAGE for exactly the damage.
pub(super) fn update(agent: &mut Agent, id: u32) {
    let Some(window) = agent.windows.get(id) else {
        return;
    };
    let root = window.role.wl_surface().clone();
    let Some((origin, size)) = window_geometry(&root) else {
        return;
    };
    describe(agent, id);
    let (width, height) = (size.w as u32, size.h as u32);
    let congested = agent.link.congested();
    let acknowledges = agent.link.acknowledges_dumps();
    let Some(window) = agent.windows.get_mut(id) else {
        return;
    };
    let new_image = window.image_size != (width, height) || window.pages.current().is_none();
    if new_image && congested {
        // Made from the latest buffer once the daemon reads; the damage waits with the surfaces.
        window.owed.resize = true;
        return;
    }
    let mut new_run = None;
    if new_image {
        match agent.link.pool.alloc(width as usize * height as usize * 4) {
            Ok(run) => {
                window.out_of_pages = false;
                new_run = Some(run);
            }
            Err(error) => {
                // The window keeps its old image and size; the next commit tries again.
                if !std::mem::replace(&mut window.out_of_pages, true) {
                    tracing::warn!(
                        id,
                        %error,
                        "no pool pages for the window's new size; it keeps its old image \
                         until other windows of the qube close"
                    );
                }
                return;
            }
        }
    }
    // Only now, so that damage is not lost while the window waits for pages.
    let (layers, mut damage) = collect_layers(&root, origin);
    window.origin = origin;
    let mut messages = Vec::new();
    if (width, height) != (window.geometry.width, window.geometry.height) {
        window.geometry.width = width;
        window.geometry.height = height;
        messages.extend(window.configure_unless(congested));
    }
    if let Some(run) = new_run {
        window.pages.replace(run);
        window.image_size = (width, height);
        messages.push(Message::WindowDump(run.dump(width, height)));
        damage = vec![Rect::new(0, 0, width, height)];
        if !acknowledges {
            window.pages.release_replaced(&mut agent.link.pool);
        }
    }
    let Some(run) = window.pages.current() else {
        return;
    };
    let damage = window_damage(damage, width, height);
    compose::compose(
        agent.link.pool.bytes_mut(&run),
        (width, height),
        &layers,
        &damage,
    );
    for rect in damage {
        if congested || window.owed.damage.is_some() {
            window.owed.add_damage(rect);
        } else {
            messages.push(shm_image(rect));
        }
    }
    for message in messages {
        agent.link.send(id, &message);
    }
}

pub(super) fn shm_image(rect: Rect) -> Message {
    Message::ShmImage(ShmImage {
        x: rect.x,
        y: rect.y,
        width: rect.width,
        height: rect.height,
    })
}

/// The surfaces of a tree with buffers, bottom first, placed in window coordinates, and the
/// window damage since the last copy: what each surface's commits damaged, and where a surface
/// appeared, moved or resized, its old and new place.
fn collect_layers(root: &WlSurface, origin: Point<i32, Logical>) -> (Vec<Layer>, Vec<Rect>) {
    let mut layers = Vec::new();
    let mut damage = Vec::new();
    compositor::with_surface_tree_upward(
        root,
        Point::<i32, Logical>::from((0, 0)),
        |_, states, parent_at| {
            let offset = states
                .data_map
                .get::<RendererSurfaceStateUserData>()
                .and_then(|data| data.lock().ok().and_then(|data| data.view()))
                .map(|view| view.offset);
            match offset {
                Some(offset) => TraversalAction::DoChildren(*parent_at + offset),
                None => TraversalAction::SkipChildren,
            }
        },
        |surface, states, parent_at| {
            let Some(data) = states.data_map.get::<RendererSurfaceStateUserData>() else {
                return;
            };
            let Ok(data) = data.lock() else {
                return;
            };
            let (Some(buffer), Some(view)) = (data.buffer(), data.view()) else {
                return;
            };
            let at = *parent_at + view.offset - origin;
            let size = view.dst;
            states
                .data_map
                .insert_if_missing_threadsafe(CopyMarkData::default);
            let Some(Ok(mut mark)) = states.data_map.get::<CopyMarkData>().map(|m| m.lock()) else {
                return;
            };
            if mark.at != Some(at) || mark.size != size {
                if let Some(old) = mark.at {
                    damage.push(rect_of(old, mark.size));
                }
                damage.push(rect_of(at, size));
            } else {
                damage.extend(data.damage_since(mark.commit).iter().map(|r| {
                    Rect::new(
                        r.loc.x.saturating_add(at.x),
                        r.loc.y.saturating_add(at.y),
                        r.size.w.max(0) as u32,
                        r.size.h.max(0) as u32,
                    )
                }));
            }
            mark.commit = Some(data.current_commit());
            mark.at = Some(at);
            mark.size = size;
            layers.push(Layer {
                buffer: (**buffer).clone(),
                at: (at.x, at.y),
                blend: surface != root,
            });
        },
        |_, _, _| true,
    );
    (layers, damage)
}

fn rect_of(at: Point<i32, Logical>, size: Size<i32, Logical>) -> Rect {
    Rect::new(at.x, at.y, size.w.max(0) as u32, size.h.max(0) as u32)
}

/// The rectangles cut to the window and merged: at most [`MAX_DAMAGE_RECTS`], none sent twice.
fn window_damage(rects: Vec<Rect>, width: u32, height: u32) -> Vec<Rect> {
    let mut merged = MergedRects::<MAX_DAMAGE_RECTS>::default();
    for rect in rects.iter().filter_map(|rect| rect.clip_to(width, height)) {
        merged.add(rect);
    }
    merged.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_clipped_to_the_window_and_merged_past_the_bound() {
        let clipped = window_damage(
            vec![
                Rect::new(-5, -5, 10, 10),
                Rect::new(90, 40, 20, 20),
                Rect::new(200, 0, 5, 5),
            ],
            100,
            50,
        );
        assert_eq!(
            clipped,
            vec![Rect::new(0, 0, 5, 5), Rect::new(90, 40, 10, 10)]
        );
        let many: Vec<Rect> = (0..20).map(|i| Rect::new(i * 2, i, 1, 1)).collect();
        let merged = window_damage(many.clone(), 100, 50);
        assert!(merged.len() <= MAX_DAMAGE_RECTS, "{merged:?}");
        for rect in &many {
            assert!(merged.iter().any(|m| m.contains(rect)), "{rect:?} lost");
        }
    }
}
