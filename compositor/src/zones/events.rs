//! What each event of a zone link does to the desktop.

use std::time::Instant;

use airgui_remote::client::ZoneEvent;
use guid_protocol::Rect;
use tracing::{info, warn};

use super::zone::{Zone, ZoneId, ZoneStatus};
use crate::shell::WindowKind;
use crate::shell_key::ShellKey;
use crate::state::State;

pub fn apply(state: &mut State, event: ZoneEvent) {
    let Some(index) = state
        .airgui
        .zones
        .iter()
        .position(|zone| zone.name() == event.zone())
    else {
        return;
    };
    let id = ZoneId(index);
    match event {
        ZoneEvent::Connected {
            zone,
            width,
            height,
        } => {
            info!(%zone, width, height, "zone connected");
            with_zone(state, id, |z| {
                z.status = ZoneStatus::Connected {
                    since: Instant::now(),
                }
            });
            take_size(state, id, width, height);
        }
        ZoneEvent::Resized {
            zone,
            width,
            height,
        } => {
            info!(%zone, width, height, "zone resized");
            take_size(state, id, width, height);
        }
        ZoneEvent::Frame {
            damage,
            cursor,
            frame,
            ..
        } => {
            with_zone(state, id, |z| {
                z.frames += 1;
                for rect in damage {
                    z.upload.add_damage(rect);
                }
                // Flow control allows one frame out per zone; a newer one supersedes it.
                z.frame = Some(frame);
                if let Some(cursor) = cursor {
                    z.cursor = cursor;
                }
            });
            state.refresh_pointer_shape();
        }
        ZoneEvent::Disconnected {
            zone,
            reason,
            retry_in,
        } => {
            warn!(%zone, retry_in_ms = retry_in.as_millis() as u64, "zone link down: {reason}");
            with_zone(state, id, |z| {
                z.status = ZoneStatus::Failing {
                    reason: reason.to_string(),
                    since: Instant::now(),
                    retry_in,
                };
                z.frame = None;
                // The slave forgets what was held when the session ends.
                z.keys_down.clear();
            });
        }
    }
    state.airgui.queue_redraw();
}

fn with_zone(state: &mut State, id: ZoneId, change: impl FnOnce(&mut Zone)) {
    if let Some(zone) = state.airgui.zones.get_mut(id.0) {
        change(zone);
    }
}

/// The slave's desktop has a new size: its frame takes it, where it is, and the picture is
/// imported anew with the next frame.
fn take_size(state: &mut State, id: ZoneId, width: u16, height: u16) {
    let (width, height) = (u32::from(width), u32::from(height));
    with_zone(state, id, |z| {
        z.size = Some((width, height));
        z.upload.whole = true;
        z.upload.damage.clear();
    });
    let key = ShellKey::Zone(id);
    let Some(content) = state.airgui.shell.window(key).map(|w| w.content) else {
        return;
    };
    let resized = Rect::new(content.x, content.y, width, height);
    state.airgui.shell.configure(key, resized, WindowKind::Zone);
    state.airgui.input.layout_changed = true;
}
