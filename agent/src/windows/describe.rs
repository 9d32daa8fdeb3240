//! What the daemon is told of a window besides its pixels: title, class, size hints, cursor
//! (WMNAME, WMCLASS, WINDOW_HINTS, CURSOR), now or, while it does not read, once it does.

use guid_protocol::msg::{hints, Cursor, Message, WindowHints, WmClass, WmName};
use smithay::utils::{Logical, Size};
use smithay::wayland::compositor::{self};
use smithay::wayland::shell::xdg::{SurfaceCachedState, XdgToplevelSurfaceData};

use super::{Described, Role};
use crate::Agent;

/// Sends a toplevel's title, class and size hints when they changed (WMNAME from the title,
/// WMCLASS from the app id, WINDOW_HINTS from the minimum and maximum size).
pub fn describe(agent: &mut Agent, id: u32) {
    let Some(window) = agent.windows.get(id) else {
        return;
    };
    if !matches!(window.role, Role::Toplevel(_)) {
        return;
    }
    let root = window.role.wl_surface().clone();
    let now = compositor::with_states(&root, |states| {
        let (title, app_id) = states
            .data_map
            .get::<XdgToplevelSurfaceData>()
            .and_then(|data| data.lock().ok())
            .map(|data| (data.title.clone(), data.app_id.clone()))
            .unwrap_or_default();
        let mut cached = states.cached_state.get::<SurfaceCachedState>();
        let current = cached.current();
        Described {
            title,
            app_id,
            min_max: (current.min_size, current.max_size),
        }
    });
    let congested = agent.link.congested();
    let Some(window) = agent.windows.get_mut(id) else {
        return;
    };
    let messages = window
        .described
        .set(now, congested)
        .map(|(before, now)| description_messages(&before, now))
        .unwrap_or_default();
    for message in messages {
        agent.link.send(id, &message);
    }
}

/// WMNAME, WMCLASS and WINDOW_HINTS for what changed between two descriptions.
pub(super) fn description_messages(before: &Described, now: &Described) -> Vec<Message> {
    let mut messages = Vec::new();
    if now.title != before.title {
        let title = now.title.as_deref().unwrap_or_default();
        messages.push(Message::WmName(WmName::new(title.as_bytes())));
    }
    if now.app_id != before.app_id {
        let app_id = now.app_id.as_deref().unwrap_or_default().as_bytes();
        messages.push(Message::WmClass(WmClass::new(app_id, app_id)));
    }
    if now.min_max != before.min_max {
        messages.push(Message::WindowHints(size_hints(now.min_max)));
    }
    messages
}

/// The client asked for a cursor over window `id`: CURSOR, unless the daemon has it already.
pub fn cursor_changed(agent: &mut Agent, id: u32, cursor: u32) {
    let congested = agent.link.congested();
    let Some(window) = agent.windows.get_mut(id) else {
        return;
    };
    if window.cursor.set(Some(cursor), congested).is_some() {
        agent.link.send(id, &Message::Cursor(Cursor { cursor }));
    }
}

/// WINDOW_HINTS for a minimum and maximum size (0 on an axis: no limit).
fn size_hints((min, max): (Size<i32, Logical>, Size<i32, Logical>)) -> WindowHints {
    let mut flags = 0;
    if min.w > 0 || min.h > 0 {
        flags |= hints::P_MIN_SIZE;
    }
    if max.w > 0 || max.h > 0 {
        flags |= hints::P_MAX_SIZE;
    }
    let dimension = |value: i32| u32::try_from(value).unwrap_or(0);
    WindowHints {
        flags,
        min_width: dimension(min.w),
        min_height: dimension(min.h),
        max_width: dimension(max.w),
        max_height: dimension(max.h),
        ..WindowHints::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_hints_carry_only_the_limits_given() {
        let none = size_hints((Size::from((0, 0)), Size::from((0, 0))));
        assert_eq!(none.flags, 0);
        let both = size_hints((Size::from((100, 50)), Size::from((800, 0))));
        assert_eq!(both.flags, hints::P_MIN_SIZE | hints::P_MAX_SIZE);
        assert_eq!(
            (both.min_width, both.min_height, both.max_width),
            (100, 50, 800)
        );
    }
}
