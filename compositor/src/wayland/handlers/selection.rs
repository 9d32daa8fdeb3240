//! The data device (clipboard) and primary selection of the GUI qube's own programs. They stay
//! among those programs: airgui never offers them a selection of its own, so no qube's data
//! reaches them this way (the qubes' clipboard is `crate::clipboard`, moved only by the secure
//! chords), and only the client holding the keyboard focus sees the current selection.

use std::os::fd::OwnedFd;

use smithay::input::Seat;
use smithay::wayland::selection::data_device::{
    ClientDndGrabHandler, DataDeviceHandler, DataDeviceState, ServerDndGrabHandler,
};
use smithay::wayland::selection::primary_selection::{
    PrimarySelectionHandler, PrimarySelectionState,
};
use smithay::wayland::selection::{SelectionHandler, SelectionTarget};
use smithay::{delegate_data_device, delegate_primary_selection};

use crate::state::State;

impl SelectionHandler for State {
    /// airgui offers no selection of its own.
    type SelectionUserData = ();

    fn send_selection(
        &mut self,
        _ty: SelectionTarget,
        _mime_type: String,
        _fd: OwnedFd,
        _seat: Seat<State>,
        _user_data: &(),
    ) {
        // Only reached for a compositor-owned selection, which airgui never sets; dropping the
        // pipe tells the reader there is nothing.
    }
}

impl DataDeviceHandler for State {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.airgui.native.data_device_state
    }
}

impl ClientDndGrabHandler for State {}
impl ServerDndGrabHandler for State {}

impl PrimarySelectionHandler for State {
    fn primary_selection_state(&self) -> &PrimarySelectionState {
        &self.airgui.native.primary_selection_state
    }
}

delegate_data_device!(State);
delegate_primary_selection!(State);
