//! The zone's RDP listener: glue between the compositor and `airgui-remote`'s server. Frames
//! go out by damage after each render; the client's input comes back through a calloop channel
//! and enters exactly like a local keyboard and pointer.

use airgui_remote::credentials::read_password_file;
use airgui_remote::server::{self, Cursor, CursorImage, RdpServerConfig, Security, ServerEvent};
use airgui_remote::InputEvent;
use anyhow::Context;
use smithay::reexports::calloop::channel::{self, Event};
use tracing::{debug, info};

use crate::config::RdpSecurity;
use crate::input::keymap::{KEY_CAPSLOCK, KEY_NUMLOCK};
use crate::render::cursor::PointerShape;
use crate::state::{Airgui, State};

/// Starts the RDP server if `[rdp]` is configured; returns what to tell the user.
pub fn start(state: &mut State) -> anyhow::Result<Option<String>> {
    let Some(rdp) = state.airgui.config.rdp.clone() else {
        return Ok(None);
    };
    let password = read_password_file(&rdp.password_file)
        .with_context(|| format!("rdp.password_file {}", rdp.password_file.display()))?;
    let (cert, key) = rdp.identity_paths().map_err(|e| anyhow::anyhow!(e))?;
    let mut config = RdpServerConfig::new(rdp.listen, rdp.user.clone(), password, cert, key);
    config.security = match rdp.security {
        RdpSecurity::Nla => Security::Nla,
        RdpSecurity::Tls => Security::TlsPassword,
    };
    config.min_size = (rdp.min_size[0], rdp.min_size[1]);
    config.max_size = (rdp.max_size[0], rdp.max_size[1]);

    let (sender, events) = channel::channel::<ServerEvent>();
    let (width, height) = state.airgui.shell.output();
    let size = (u16::try_from(width)?, u16::try_from(height)?);
    let handle = server::spawn(
        config,
        size,
        Box::new(move |event| {
            // The loop is gone only when airgui exits; nothing is left to tell then.
            let _ = sender.send(event);
        }),
    )
    .context("cannot start the RDP server")?;
    state
        .airgui
        .handle
        .insert_source(events, |event, _, state| {
            if let Event::Msg(event) = event {
                on_event(state, event);
            }
        })
        .map_err(|error| anyhow::anyhow!("cannot watch the RDP server: {error}"))?;
    let banner = format!(
        "RDP: {} (user {}, TLS certificate {})",
        handle.local_addr(),
        rdp.user,
        handle.fingerprint()
    );
    state.airgui.rdp = Some(handle);
    Ok(Some(banner))
}

fn on_event(state: &mut State, event: ServerEvent) {
    match event {
        ServerEvent::Input(input) => remote_input(state, input),
        ServerEvent::ResizeRequest { width, height } => {
            state.resize_output(u32::from(width), u32::from(height));
        }
        ServerEvent::ClientConnected { peer } => info!(%peer, "RDP client connected"),
        ServerEvent::ClientDisconnected { peer } => info!(%peer, "RDP client disconnected"),
        ServerEvent::LoginFailed { peer } => debug!(%peer, "RDP login failed"),
    }
}

/// The client's input, as if it came from a local keyboard and pointer.
fn remote_input(state: &mut State, input: InputEvent) {
    match input {
        InputEvent::Key {
            evdev_code,
            pressed,
        } => state.handle_key(evdev_code, pressed),
        InputEvent::Unicode { ch, pressed: true } => {
            // Typed through the keymap, where the key exists; other characters cannot reach X
            // keycodes and are dropped.
            match state.airgui.keys.text(&ch.to_string()) {
                Ok(chords) => chords.iter().for_each(|keys| state.press_chord(keys)),
                Err(error) => debug!(%error, "unicode input dropped"),
            }
        }
        InputEvent::Unicode { pressed: false, .. } => {}
        InputEvent::Locks { caps, num, .. } => {
            let (caps_now, num_now) = state.lock_state();
            if caps != caps_now {
                state.press_chord(&[KEY_CAPSLOCK]);
            }
            if num != num_now {
                state.press_chord(&[KEY_NUMLOCK]);
            }
        }
        InputEvent::PointerMotion { x, y } => {
            state.handle_pointer_motion(f64::from(x), f64::from(y))
        }
        InputEvent::PointerMotionRelative { dx, dy } => {
            let (x, y) = state.airgui.input.pointer;
            state.handle_pointer_motion(x + f64::from(dx), y + f64::from(dy));
        }
        InputEvent::PointerButton {
            evdev_button,
            pressed,
        } => state.handle_pointer_button(evdev_button, pressed),
        InputEvent::PointerAxis {
            vertical,
            horizontal,
        } => state.handle_pointer_axis(vertical, horizontal),
    }
}

/// Shows a pointer shape to the RDP client: its own arrow, our picture, or a zone's.
pub fn show_pointer(airgui: &Airgui, shape: &PointerShape) {
    let Some(rdp) = &airgui.rdp else {
        return;
    };
    rdp.set_cursor(match shape {
        PointerShape::Zone(cursor) => cursor.clone(),
        // Our own arrow too, as a picture: the server cannot bring back the client's default
        // once another shape was shown (see airgui-remote's server/cursor.rs).
        PointerShape::Airgui(other) => {
            let picture = other.picture();
            Cursor::Image(CursorImage {
                width: picture.width,
                height: picture.height,
                hot_x: picture.hot.0,
                hot_y: picture.hot.1,
                pixels: picture.pixels,
            })
        }
    });
}
