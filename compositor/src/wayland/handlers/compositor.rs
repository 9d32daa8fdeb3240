//! wl_compositor, wl_subcompositor and wl_shm: a commit is where a native window appears,
//! changes or goes.

use smithay::backend::renderer::utils::on_commit_buffer_handler;
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Client;
use smithay::wayland::buffer::BufferHandler;
use smithay::wayland::compositor::{
    is_sync_subsurface, CompositorClientState, CompositorHandler, CompositorState,
};
use smithay::wayland::shm::{ShmHandler, ShmState};
use smithay::{delegate_compositor, delegate_shm};

use crate::state::State;
use crate::wayland::native_windows::root_of;
use crate::wayland::windows;

impl CompositorHandler for State {
    fn compositor_state(&mut self) -> &mut CompositorState {
        &mut self.airgui.native.compositor_state
    }

    fn client_compositor_state<'a>(&self, client: &'a Client) -> &'a CompositorClientState {
        airgui_wayland_common::client::client_compositor_state(client)
    }

    fn commit(&mut self, surface: &WlSurface) {
        // Takes the buffer, tracks damage and the subsurface tree (and releases replaced
        // buffers); state of synchronized subsurfaces applies with their parent's commit.
        on_commit_buffer_handler::<State>(surface);
        if is_sync_subsurface(surface) {
            return;
        }
        let root = root_of(surface);
        super::xdg_shell::send_initial_configure(self, &root);
        windows::committed(self, &root);
    }

    fn destroyed(&mut self, surface: &WlSurface) {
        if let Some(id) = self.airgui.native.windows.by_surface(surface) {
            windows::destroy(self, id);
        }
    }
}

impl BufferHandler for State {
    fn buffer_destroyed(&mut self, _buffer: &WlBuffer) {}
}

impl ShmHandler for State {
    fn shm_state(&self) -> &ShmState {
        &self.airgui.native.shm_state
    }
}

delegate_compositor!(State);
delegate_shm!(State);
