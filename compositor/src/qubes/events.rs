//! What each sanitized event from a qube does to the desktop.

use guid_protocol::msg::{flags, Configure, Message};
use guid_protocol::{QubeEvent, Rect};
use tracing::{debug, info};

use super::{QubeWindow, WindowKey};
use crate::render::textures::TextureKey;
use crate::shell::{SizeLimits, WindowKind};
use crate::shell_key::ShellKey;
use crate::state::State;

pub fn apply(state: &mut State, index: usize, event: QubeEvent) {
    let key = |window| WindowKey {
        qube: index,
        window,
    };
    let shell_key = |window| ShellKey::Qube(key(window));
    let layout_changes = matches!(
        event,
        QubeEvent::WindowMapped { .. }
            | QubeEvent::WindowUnmapped { .. }
            | QubeEvent::WindowConfigured { .. }
            | QubeEvent::WindowDestroyed { .. }
            | QubeEvent::Flags { .. }
    );
    if let Some(qube) = state.airgui.qubes.get_mut(index) {
        qube.listing.note(&event);
    }
    match event {
        QubeEvent::Connected { version } => {
            info!(qube = %qube_name(state, index), %version, "protocol negotiated");
        }
        QubeEvent::WindowCreated {
            window,
            geometry,
            override_redirect,
        } => {
            let kind = kind_of(override_redirect);
            if let Some(qube) = state.airgui.qubes.get_mut(index) {
                qube.windows
                    .insert(window, QubeWindow::new(key(window), override_redirect));
            }
            state
                .airgui
                .shell
                .add(ShellKey::Qube(key(window)), geometry, kind);
        }
        QubeEvent::WindowDestroyed { window } => {
            if let Some(qube) = state.airgui.qubes.get_mut(index) {
                qube.windows.remove(&window);
            }
            state.airgui.shell.remove(ShellKey::Qube(key(window)));
            state.backend.forget_window(TextureKey::Qube(key(window)));
            state.sync_keyboard_focus();
        }
        QubeEvent::WindowMapped {
            window,
            transient_for,
            override_redirect,
        } => {
            set_override_redirect(state, key(window), override_redirect);
            let shell = &mut state.airgui.shell;
            shell.set_transient_for(ShellKey::Qube(key(window)), transient_for.map(shell_key));
            let placed = shell.map(ShellKey::Qube(key(window)), kind_of(override_redirect));
            stack_listed(state, key(window));
            tell_geometry(state, key(window), placed);
        }
        QubeEvent::WindowUnmapped { window } => {
            state.airgui.shell.unmap(ShellKey::Qube(key(window)));
            state.sync_keyboard_focus();
        }
        QubeEvent::WindowConfigured {
            window,
            geometry,
            override_redirect,
        } => {
            set_override_redirect(state, key(window), override_redirect);
            let kind = kind_of(override_redirect);
            let adjusted =
                (state.airgui.shell).configure(ShellKey::Qube(key(window)), geometry, kind);
            tell_geometry(state, key(window), adjusted);
            state.sync_keyboard_focus();
        }
        QubeEvent::Title { window, title } => {
            with_window(state, key(window), |w| w.title = title);
        }
        QubeEvent::Class { window, class } => with_window(state, key(window), |w| w.class = class),
        QubeEvent::Hints { window, hints } => {
            let limits = SizeLimits {
                min: hints.min,
                max: hints.max,
            };
            (state.airgui.shell).set_size_limits(ShellKey::Qube(key(window)), limits);
            with_window(state, key(window), |w| w.hints = hints);
        }
        QubeEvent::Cursor { window, cursor } => {
            with_window(state, key(window), |w| w.cursor = cursor);
            state.refresh_pointer_shape();
        }
        QubeEvent::Flags { window, change } => window_flags(state, key(window), change),
        QubeEvent::Image { window, image } => {
            with_window(state, key(window), |w| w.set_image(image));
        }
        QubeEvent::Damage { window, rect } => {
            with_window(state, key(window), |w| w.upload.add_damage(rect));
        }
        QubeEvent::ClipboardData { data } => {
            let name = qube_name(state, index);
            let max = state.airgui.config.clipboard.max_bytes;
            state.airgui.clipboard.receive(&name, data, max);
        }
    }
    if layout_changes {
        state.airgui.input.layout_changed = true;
    }
    state.airgui.queue_redraw();
}

/// A window the agent listed after another goes beneath it (see [`super::listing`]).
fn stack_listed(state: &mut State, key: WindowKey) {
    let Some(qube) = state.airgui.qubes.get_mut(key.qube) else {
        return;
    };
    let has_image = qube
        .windows
        .get(&key.window)
        .is_some_and(|w| w.image.is_some());
    if let Some(above) = qube.listing.mapped(key.window, has_image) {
        let above = WindowKey {
            qube: key.qube,
            window: above,
        };
        (state.airgui.shell).lower_beneath(ShellKey::Qube(key), ShellKey::Qube(above));
    }
}

fn kind_of(override_redirect: bool) -> WindowKind {
    if override_redirect {
        WindowKind::OverrideRedirect
    } else {
        WindowKind::Normal
    }
}

fn qube_name(state: &State, index: usize) -> String {
    state
        .airgui
        .qubes
        .get(index)
        .map_or_else(String::new, |q| q.name().to_owned())
}

fn with_window(state: &mut State, key: WindowKey, change: impl FnOnce(&mut QubeWindow)) {
    if let Some(window) = state
        .airgui
        .qubes
        .get_mut(key.qube)
        .and_then(|q| q.windows.get_mut(&key.window))
    {
        change(window);
    }
}

fn set_override_redirect(state: &mut State, key: WindowKey, override_redirect: bool) {
    with_window(state, key, |w| w.override_redirect = override_redirect);
}

/// FULLSCREEN becomes maximize unless the qube may go fullscreen; MINIMIZE hides the window until
/// the user brings it back. The agent hears back the resulting state (see [`super::flags`]).
fn window_flags(state: &mut State, key: WindowKey, change: guid_protocol::sanitize::FlagsChange) {
    let allow_fullscreen = state
        .airgui
        .qubes
        .get(key.qube)
        .is_some_and(|q| q.config.allow_fullscreen);
    let mut resized = None;
    let shell_key = ShellKey::Qube(key);
    for (bit, on) in [(change.set, true), (change.unset, false)] {
        let shell = &mut state.airgui.shell;
        if bit & flags::FULLSCREEN != 0 {
            resized = if allow_fullscreen {
                shell.set_fullscreen(shell_key, on)
            } else {
                shell.set_maximized(shell_key, on)
            };
        }
        if bit & flags::MINIMIZE != 0 {
            shell.set_minimized(shell_key, on);
        }
        if bit & flags::FULLSCREEN != 0 {
            with_window(state, key, |w| {
                w.fullscreen_requested = on && !allow_fullscreen
            });
        }
        if bit & flags::DEMANDS_ATTENTION != 0 {
            with_window(state, key, |w| w.demands_attention = on);
        }
    }
    tell_geometry(state, key, resized);
    state.sync_keyboard_focus();
}

/// The daemon chose a geometry: the agent must follow it (spec §4, geometry ownership).
pub fn tell_geometry(state: &mut State, key: WindowKey, geometry: Option<Rect>) {
    let Some(geometry) = geometry else {
        return;
    };
    let override_redirect = state
        .airgui
        .qubes
        .get(key.qube)
        .and_then(|q| q.windows.get(&key.window))
        .is_some_and(|w| w.override_redirect);
    debug!(?key, ?geometry, "configuring");
    state.send(
        key.qube,
        Some(key.window),
        &configure(geometry, override_redirect),
    );
}

fn configure(geometry: Rect, override_redirect: bool) -> Message {
    Message::Configure(Configure {
        x: geometry.x,
        y: geometry.y,
        width: geometry.width,
        height: geometry.height,
        override_redirect: u32::from(override_redirect),
    })
}
