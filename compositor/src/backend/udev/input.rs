//! Keyboards and pointers through libinput, on the session's seat: devices come and go with
//! udev, and are opened through the session (so they are ours only while it is active). Their
//! events take the same path as every other input (`BackendHost::handle_input`).

use smithay::backend::input::InputEvent;
use smithay::backend::libinput::{LibinputInputBackend, LibinputSessionInterface};
use smithay::backend::session::libseat::LibSeatSession;
use smithay::reexports::calloop::LoopHandle;
use smithay::reexports::input::Libinput;

use super::error::UdevError;

/// Starts reading the seat's input devices; each event goes to `received`.
pub fn start<D: 'static>(
    handle: &LoopHandle<'static, D>,
    session: &LibSeatSession,
    seat: &str,
    received: fn(&mut D, InputEvent<LibinputInputBackend>),
) -> Result<Libinput, UdevError> {
    let mut libinput =
        Libinput::new_with_udev::<LibinputSessionInterface<LibSeatSession>>(session.clone().into());
    libinput
        .udev_assign_seat(seat)
        .map_err(|()| UdevError::Input(seat.to_owned()))?;
    handle
        .insert_source(
            LibinputInputBackend::new(libinput.clone()),
            move |event, _, state| received(state, event),
        )
        .map_err(|error| UdevError::Watch {
            what: "input devices",
            reason: error.to_string(),
        })?;
    Ok(libinput)
}
