//! The data device (clipboard) and primary selection, within the qube. The GUI qube's clipboard
//! reaches them only through CLIPBOARD_REQ and CLIPBOARD_DATA (see `agent::clipboard`).

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

use crate::clipboard::{self, ClipboardData};
use crate::Agent;

impl SelectionHandler for Agent {
    type SelectionUserData = ClipboardData;

    fn send_selection(
        &mut self,
        _ty: SelectionTarget,
        _mime_type: String,
        fd: OwnedFd,
        _seat: Seat<Agent>,
        user_data: &ClipboardData,
    ) {
        // Every text type the agent offers is the same UTF-8 bytes.
        clipboard::serve(self, fd, user_data.clone());
    }
}

impl DataDeviceHandler for Agent {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.data_device_state
    }
}

impl ClientDndGrabHandler for Agent {}
impl ServerDndGrabHandler for Agent {}

impl PrimarySelectionHandler for Agent {
    fn primary_selection_state(&self) -> &PrimarySelectionState {
        &self.primary_selection_state
    }
}

delegate_data_device!(Agent);
delegate_primary_selection!(Agent);
