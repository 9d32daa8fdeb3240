//! Frame callbacks: a client draws its next frame when told the last one reached the output.
//! They go out after each frame airgui draws, to the windows on the desktop, so a client
//! draws at most as often as airgui does and not at all while nothing is shown of it.

use std::time::Duration;

use smithay::desktop::utils::send_frames_surface_tree;

use crate::shell_key::ShellKey;
use crate::state::State;

/// After a frame: every visible native window's surfaces may draw again.
pub fn send_frames(state: &State) {
    let native = &state.airgui.native;
    let output = &native.output;
    let time = state.airgui.started().elapsed();
    let visible = state.airgui.shell.visible_top_to_bottom();
    for (key, _) in visible {
        let ShellKey::Native(id) = key else {
            continue;
        };
        let Some(window) = native.windows.get(id) else {
            continue;
        };
        // No throttling: airgui's redraw schedule already paces frames.
        send_frames_surface_tree(
            window.wl_surface(),
            output,
            time,
            Some(Duration::ZERO),
            |_, _| Some(output.clone()),
        );
    }
}
