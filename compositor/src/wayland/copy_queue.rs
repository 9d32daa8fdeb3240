//! wlr-screencopy's waiting room: the copies that wait for the next frame's damage, and the
//! pace of plain copies per client.

use std::collections::HashMap;
use std::time::Instant;

use smithay::reexports::wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1;
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::DisplayHandle;

/// Clients remembered for the plain-copy pace before the departed ones are forgotten.
const PACED_CLIENTS: usize = 64;

/// The copies waiting for damage, and when each client last had a plain copy.
#[derive(Debug, Default)]
pub struct CopyQueue {
    pub(super) pending: Vec<PendingCopy>,
    /// A plain copy draws any frame that is due and copies the output at once: at most one per
    /// refresh interval per client, so that a client asking in a loop cannot take the event
    /// loop from the user's input. (`copy_with_damage` is paced by the frames themselves.)
    last_plain_copy: HashMap<ClientId, Instant>,
}

impl CopyQueue {
    /// Whether `client` may have a plain copy at `now`; if so, it is counted.
    pub(super) fn plain_copy_allowed(
        &mut self,
        display: &DisplayHandle,
        client: ClientId,
        now: Instant,
        interval: std::time::Duration,
    ) -> bool {
        if self
            .last_plain_copy
            .get(&client)
            .is_some_and(|last| now.duration_since(*last) < interval)
        {
            return false;
        }
        if self.last_plain_copy.len() >= PACED_CLIENTS {
            self.last_plain_copy
                .retain(|id, _| display.backend_handle().get_client_data(id.clone()).is_ok());
        }
        self.last_plain_copy.insert(client, now);
        true
    }
}

/// A `copy_with_damage` waiting for a frame that changes its region.
#[derive(Debug)]
pub(super) struct PendingCopy {
    pub(super) frame: ZwlrScreencopyFrameV1,
    pub(super) buffer: WlBuffer,
}
