//! The seat: libseat opens the GPU and input devices for airgui through seatd or
//! systemd-logind, takes them away while another VT is shown, and gives them back.

use smithay::backend::session::libseat::{LibSeatSession, LibSeatSessionNotifier};
use smithay::backend::session::{Event as SessionEvent, Session};
use smithay::reexports::calloop::LoopHandle;
use tracing::warn;

use super::error::UdevError;

/// Opens a session on the seat libseat finds (seatd's socket first, then logind).
pub fn open() -> Result<(LibSeatSession, LibSeatSessionNotifier), UdevError> {
    LibSeatSession::new().map_err(|error| UdevError::NoSeat(error.to_string()))
}

/// Hands the session's pauses (another VT is shown) and returns to `changed`.
pub fn watch<D: 'static>(
    handle: &LoopHandle<'static, D>,
    notifier: LibSeatSessionNotifier,
    changed: fn(&mut D, SessionEvent),
) -> Result<(), UdevError> {
    handle
        .insert_source(notifier, move |event, _, state| changed(state, event))
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
