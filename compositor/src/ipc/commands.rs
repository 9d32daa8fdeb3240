//! What each IPC request does.

use serde_json::{json, Value};

use super::Request;
use airgui_remote::Cursor;

use crate::input::codes::{BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
use crate::render::cursor::PointerShape;
use crate::shell_key::ShellKey;
use crate::state::State;
use crate::zones::zone::{ZoneId, ZoneStatus};

use std::time::Instant;

/// What a screenshot request is told when `native.screencopy` is off.
const SCREENSHOTS_OFF: &str = "screenshots are off: `native.screencopy = false` keeps the \
     output from the GUI qube's own programs, and IPC clients are among them; set it to true \
     to allow `airgui msg screenshot` and grim";

/// Answers one request line.
pub fn handle_line(state: &mut State, line: &[u8]) -> Value {
    let request = match serde_json::from_slice::<Request>(line) {
        Ok(request) => request,
        Err(error) => return failure(format!("bad request: {error}")),
    };
    match execute(state, request) {
        Ok(Value::Object(mut reply)) => {
            reply.insert("ok".into(), true.into());
            Value::Object(reply)
        }
        Ok(other) => json!({ "ok": true, "result": other }),
        Err(error) => failure(error),
    }
}

pub fn failure(error: String) -> Value {
    json!({ "ok": false, "error": error })
}

fn execute(state: &mut State, request: Request) -> Result<Value, String> {
    let needs_test_input = matches!(
        request,
        Request::Key { .. }
            | Request::Type { .. }
            | Request::PointerMove { .. }
            | Request::Click { .. }
            | Request::Drag { .. }
    );
    if needs_test_input && !state.airgui.test_input {
        return Err("test input is off: start airgui with --test-input to inject input".into());
    }
    match request {
        Request::Qubes => Ok(json!({ "qubes": qubes(state) })),
        Request::Windows => Ok(json!({ "windows": windows(state) })),
        Request::Native => {
            let config = &state.airgui.config.native;
            Ok(json!({
                "wayland_display": state.airgui.native.socket_name,
                "label": config.label,
                "colour": state.airgui.native_colour().to_string(),
                "screencopy": config.screencopy,
                "virtual_keyboard": config.virtual_keyboard,
            }))
        }
        Request::Zones => Ok(json!({ "zones": zones(state) })),
        Request::Clipboard => Ok(match state.airgui.clipboard.contents() {
            Some(contents) => json!({
                "holds": true,
                "source": contents.source,
                "bytes": contents.data.len(),
                "age_ms": contents.copied_at.elapsed().as_millis() as u64,
            }),
            None => json!({ "holds": false }),
        }),
        Request::Frames => {
            let frames = &state.airgui.frames;
            let recent: Vec<Value> = frames
                .recent
                .iter()
                .map(|(frame, damage, mono_us)| {
                    let rects: Vec<Value> = damage
                        .iter()
                        .map(
                            |r| json!({ "x": r.x, "y": r.y, "width": r.width, "height": r.height }),
                        )
                        .collect();
                    json!({ "frame": frame, "damage": rects, "mono_us": mono_us })
                })
                .collect();
            Ok(json!({ "count": frames.count, "recent": recent }))
        }
        Request::Rdp => Ok(match &state.airgui.rdp {
            Some(rdp) => json!({
                "enabled": true,
                "listen": rdp.local_addr().to_string(),
                "fingerprint": rdp.fingerprint(),
                "client": rdp.client().map(|peer| peer.to_string()),
                "width": rdp.desktop_size().0,
                "height": rdp.desktop_size().1,
                "pointer": state.airgui.input.shape().map(|shape| match shape {
                    PointerShape::Airgui(pointer) => format!("{pointer:?}"),
                    PointerShape::Zone(Cursor::Default) => "zone default".to_owned(),
                    PointerShape::Zone(Cursor::Hidden) => "zone hidden".to_owned(),
                    PointerShape::Zone(Cursor::Image(image)) => {
                        format!("zone image {}x{}", image.width, image.height)
                    }
                }),
            }),
            None => json!({ "enabled": false }),
        }),
        Request::Screenshot { path } => {
            // Anything the GUI qube's user runs can reach this socket, as it can reach the
            // Wayland socket: the same switch keeps both from reading the output.
            if !state.airgui.config.native.screencopy {
                return Err(SCREENSHOTS_OFF.into());
            }
            state.render_if_queued();
            let shot = state.backend.screenshot();
            shot.write_png(&path).map_err(|e| format!("{e:#}"))?;
            Ok(json!({ "path": path, "width": shot.width, "height": shot.height }))
        }
        Request::Key { name } => {
            let keys = state.airgui.keys.chord(&name).map_err(|e| e.to_string())?;
            state.press_chord(&keys);
            Ok(json!({}))
        }
        Request::Type { text } => {
            let chords = state.airgui.keys.text(&text).map_err(|e| e.to_string())?;
            for keys in chords {
                state.press_chord(&keys);
            }
            Ok(json!({}))
        }
        Request::PointerMove { x, y } => {
            state.handle_pointer_motion(x, y);
            Ok(json!({}))
        }
        Request::Click { x, y, button } => {
            let evdev = match button.unwrap_or(1) {
                1 => BTN_LEFT,
                2 => BTN_MIDDLE,
                3 => BTN_RIGHT,
                other => return Err(format!("button {other}: use 1, 2 or 3")),
            };
            state.handle_pointer_motion(x, y);
            state.handle_pointer_button(evdev, true);
            state.handle_pointer_button(evdev, false);
            Ok(json!({}))
        }
        Request::Drag { from, to } => {
            state.handle_pointer_motion(from.0, from.1);
            state.handle_pointer_button(BTN_LEFT, true);
            state.handle_pointer_motion(to.0, to.1);
            state.handle_pointer_button(BTN_LEFT, false);
            Ok(json!({}))
        }
    }
}

fn qubes(state: &State) -> Vec<Value> {
    state
        .airgui
        .qubes
        .iter()
        .map(|qube| {
            let images = qube.windows.values().filter_map(|w| w.image.as_ref());
            let (mapped, pixels) = images.fold((0u64, 0u64), |(mapped, pixels), image| {
                let size = u64::from(image.width) * u64::from(image.height) * 4;
                (mapped + image.view.len() as u64, pixels + size)
            });
            json!({
                "name": qube.name(),
                "label": qube.config.label,
                "colour": qube.colour.to_string(),
                "connected": qube.link.is_some(),
                "not_connected_because": qube.not_connected_because,
                "windows": qube.windows.len(),
                // Pool bytes its window images name, and the texture bytes they fill.
                "mapped_bytes": mapped,
                "image_bytes": pixels,
                "max_pool_bytes": qube.config.max_pool_bytes,
            })
        })
        .collect()
}

fn zones(state: &State) -> Vec<Value> {
    let shell = &state.airgui.shell;
    let now = Instant::now();
    (state.airgui.zones.iter().enumerate())
        .map(|(index, zone)| {
            let key = ShellKey::Zone(ZoneId(index));
            let content = shell.window(key).map(|w| w.content).unwrap_or_default();
            let mut row = json!({
                "name": zone.name(),
                "label": zone.config.label,
                "colour": zone.colour.to_string(),
                "address": zone.config.address,
                "state": zone.status.word(),
                "size": zone.size.map(|(w, h)| [w, h]),
                "frames": zone.frames,
                "x": content.x, "y": content.y,
                "width": content.width, "height": content.height,
                "focused": shell.focus() == Some(key),
                "stacking": shell.stacking_index(key),
            });
            let extra = match &zone.status {
                ZoneStatus::Failing {
                    reason,
                    since,
                    retry_in,
                } => {
                    let retry = retry_in.saturating_sub(now.duration_since(*since));
                    json!({ "reason": reason, "retry_in_ms": retry.as_millis() as u64 })
                }
                ZoneStatus::Connected { since } => {
                    json!({ "connected_ms": now.duration_since(*since).as_millis() as u64 })
                }
                ZoneStatus::Connecting => json!({}),
            };
            if let (Value::Object(row), Value::Object(extra)) = (&mut row, extra) {
                row.extend(extra);
            }
            row
        })
        .collect()
}

/// Every window, topmost first.
fn windows(state: &State) -> Vec<Value> {
    let shell = &state.airgui.shell;
    let mut rows: Vec<(usize, Value)> = Vec::new();
    for (index, qube) in state.airgui.qubes.iter().enumerate() {
        for (id, window) in &qube.windows {
            let key = ShellKey::Qube(crate::qubes::WindowKey {
                qube: index,
                window: *id,
            });
            let Some(placed) = shell.window(key) else {
                continue;
            };
            let stacking = shell.stacking_index(key).unwrap_or(0);
            let g = placed.content;
            rows.push((
                stacking,
                json!({
                    "qube": qube.name(),
                    "native": false,
                    "id": id.get(),
                    "title": window.title.as_str(),
                    "x": g.x, "y": g.y, "width": g.width, "height": g.height,
                    "mapped": placed.mapped,
                    "minimized": placed.minimized,
                    "override_redirect": window.override_redirect,
                    "focused": shell.focus() == Some(key),
                    "stacking": stacking,
                }),
            ));
        }
    }
    for (id, window) in state.airgui.native.windows.iter() {
        let key = ShellKey::Native(id);
        let Some(placed) = shell.window(key) else {
            continue;
        };
        let stacking = shell.stacking_index(key).unwrap_or(0);
        let g = placed.content;
        rows.push((
            stacking,
            json!({
                // No "qube": the GUI qube's own window.
                "native": true,
                "id": id.0,
                "title": window.title(),
                "x": g.x, "y": g.y, "width": g.width, "height": g.height,
                "mapped": placed.mapped,
                "minimized": placed.minimized,
                "override_redirect": placed.kind == crate::shell::WindowKind::OverrideRedirect,
                "focused": shell.focus() == Some(key),
                "stacking": stacking,
            }),
        ));
    }
    rows.sort_by_key(|(stacking, _)| std::cmp::Reverse(*stacking));
    rows.into_iter().map(|(_, row)| row).collect()
}
