//! Each turn of the event loop and the frames it draws: a frame goes to the backend, then to
//! the RDP server, the native clients' frame callbacks and screencopy; after each turn, qubes
//! that broke a rule are cut off and writes go out.

use airgui_remote::FrameRef;
use tracing::error;

use crate::state::State;
use crate::{qubes, wayland};

impl State {
    /// Draws a frame now (a queued one is then no longer due).
    pub fn render(&mut self) {
        self.airgui.frame_started();
        let damage = match self.backend.render(&mut self.airgui) {
            Ok(damage) => damage,
            Err(error) => {
                error!("rendering failed: {error:#}");
                return;
            }
        };
        if let (Some(rdp), false) = (&self.airgui.rdp, damage.is_empty()) {
            // The same rectangles: the server cuts them to the frame.
            let submitted = self.backend.with_pixels(|frame| {
                rdp.submit_ref(FrameRef {
                    damage: &damage,
                    ..frame
                })
            });
            if let Err(error) = submitted {
                error!("cannot hand the frame to the RDP server: {error}");
            }
        }
        wayland::frames::send_frames(self);
        wayland::screencopy::frame_drawn(self, &damage);
        self.airgui.frames.record(damage);
    }

    /// Draws now if a frame is due, so that what is read next (a screenshot) is current.
    pub fn render_if_queued(&mut self) {
        if self.airgui.redraw.is_queued() {
            self.render();
        }
    }

    /// Work left after each turn of the event loop: cutting off qubes that broke a rule while
    /// their events were being handled, the pointer focus after windows changed under it, the
    /// window flags agents must hear of, and writes to qubes.
    pub fn after_dispatch(&mut self) {
        for (qube, reason) in self.airgui.take_doomed() {
            qubes::link::disconnect(self, qube, &reason);
        }
        self.refresh_pointer_focus();
        qubes::flags::sync_all(self);
        qubes::link::flush_all(self);
        wayland::flush(self);
    }
}
