//! Keyboards and pointers through libinput, on the session's seat: devices come and go with
//! udev, and are opened through the session (so they are ours only while it is active). Their
//! events take the same path as every other input (`State::handle_input_event`).

use smithay::backend::libinput::{LibinputInputBackend, LibinputSessionInterface};
use smithay::backend::session::libseat::LibSeatSession;
use smithay::reexports::calloop::LoopHandle;
use smithay::reexports::input::Libinput;

use super::error::UdevError;
use crate::state::State;

/// Starts reading the seat's input devices.
pub fn start(
    handle: &LoopHandle<'static, State>,
    session: &LibSeatSession,
    seat: &str,
) -> Result<Libinput, UdevError> {
    let mut libinput =
        Libinput::new_with_udev::<LibinputSessionInterface<LibSeatSession>>(session.clone().into());
    libinput
        .udev_assign_seat(seat)
        .map_err(|()| UdevError::Input(seat.to_owned()))?;
    handle
        .insert_source(
            LibinputInputBackend::new(libinput.clone()),
            |event, _, state| {
                let before = (
                    state.airgui.input.pointer,
                    state.airgui.input.shape().cloned(),
                );
                state.handle_input_event(event);
                // The cursor is drawn into the frame: it moved or changed shape, so draw one.
                if (
                    state.airgui.input.pointer,
                    state.airgui.input.shape().cloned(),
                ) != before
                {
                    state.airgui.queue_redraw();
                }
            },
        )
        .map_err(|error| UdevError::Watch {
            what: "input devices",
            reason: error.to_string(),
        })?;
    Ok(libinput)
}
