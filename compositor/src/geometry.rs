//! Where windows are and how large the output is: after the shell moved or resized a window,
//! or the output took a new size, each window's owner hears of it.

use guid_protocol::Rect;
use tracing::error;

use crate::qubes::events::tell_geometry;
use crate::shell_key::ShellKey;
use crate::state::State;
use crate::wayland::windows::request_size;

impl State {
    /// The output takes a new size (an RDP client resized its window): windows stay where they
    /// are or come back inside, and qubes learn the new bounds.
    pub fn resize_output(&mut self, width: u32, height: u32) {
        if (width, height) == self.airgui.shell.output() {
            return;
        }
        if let Err(error) = self.backend.resize(width, height) {
            error!("cannot resize the output to {width}x{height}: {error:#}");
            return;
        }
        tracing::info!(width, height, "output resized");
        self.airgui.native.resize_output(width, height);
        for qube in &mut self.airgui.qubes {
            if let Some(link) = &mut qube.link {
                link.connection.set_output_size(width, height);
            }
        }
        for (key, content) in self.airgui.shell.set_output_size((width, height)) {
            self.window_changed(key, content);
        }
        self.airgui.queue_redraw();
    }

    /// The shell moved or resized a window: its owner follows (a qube's agent is told the
    /// geometry, a zone's slave is asked for the new size).
    pub fn window_changed(&mut self, key: ShellKey, content: Rect) {
        match key {
            ShellKey::Qube(key) => tell_geometry(self, key, Some(content)),
            ShellKey::Zone(id) => {
                let size = self.airgui.zones.get(id.0).and_then(|zone| zone.size);
                if size != Some((content.width, content.height)) {
                    self.request_zone_size(id, content);
                }
            }
            ShellKey::Native(id) => request_size(self, id, content),
        }
    }
}
