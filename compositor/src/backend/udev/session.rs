//! The seat: libseat opens the GPU and input devices for airgui through seatd or
//! systemd-logind, takes them away while another VT is shown, and gives them back.

use smithay::backend::session::libseat::{LibSeatSession, LibSeatSessionNotifier};
use smithay::backend::session::{Event as SessionEvent, Session};
use smithay::reexports::calloop::LoopHandle;
use tracing::{info, warn};

use super::error::UdevError;
use crate::backend::Backend;
use crate::state::State;

/// Opens a session on the seat libseat finds (seatd's socket first, then logind).
pub fn open() -> Result<(LibSeatSession, LibSeatSessionNotifier), UdevError> {
    LibSeatSession::new().map_err(|error| UdevError::NoSeat(error.to_string()))
}

/// Pauses the backend while the session is away (another VT) and resumes it on return.
pub fn watch(
    handle: &LoopHandle<'static, State>,
    notifier: LibSeatSessionNotifier,
) -> Result<(), UdevError> {
    handle
        .insert_source(notifier, |event, _, state| {
            let Backend::Udev(udev) = &mut state.backend else {
                return;
            };
            match event {
                SessionEvent::PauseSession => {
                    info!("session paused: another VT is shown");
                    udev.pause();
                }
                SessionEvent::ActivateSession => {
                    info!("session active again");
                    if let Some(size) = udev.resume() {
                        state.resize_output(size.0, size.1);
                    }
                    state.airgui.queue_redraw();
                }
            }
        })
        .map(|_| ())
        .map_err(|error| UdevError::Watch {
            what: "the session",
            reason: error.to_string(),
        })
}

/// Shows VT `vt` (Ctrl+Alt+F`vt`); the session pauses until the user comes back.
pub fn change_vt(session: &mut LibSeatSession, vt: i32) {
    if let Err(error) = session.change_vt(vt) {
        warn!(vt, %error, "cannot switch VT");
    }
}
