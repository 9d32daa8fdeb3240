//! wl_seat: the seat's keyboard and pointer reach a native client only while one of its
//! surfaces holds their focus (`input::focus`). Here: the seat handler, and what follows a change of keyboard focus.

use smithay::delegate_seat;
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::seat::WaylandFocus;
use smithay::wayland::selection::data_device::set_data_device_focus;
use smithay::wayland::selection::primary_selection::set_primary_focus;
use smithay::wayland::shell::xdg::ToplevelState;

use crate::input::focus::FocusTarget;
use crate::state::State;

impl SeatHandler for State {
    type KeyboardFocus = FocusTarget;
    type PointerFocus = FocusTarget;
    type TouchFocus = FocusTarget;

    fn seat_state(&mut self) -> &mut SeatState<State> {
        &mut self.airgui.seat_state
    }

    fn focus_changed(&mut self, seat: &Seat<State>, focused: Option<&FocusTarget>) {
        keyboard_focus_changed(self, seat, focused);
    }
}

/// The keyboard focus moved: only the focused client may see its programs' selection (none
/// when a qube window has focus), and each toplevel learns whether it is the active one.
fn keyboard_focus_changed(state: &mut State, seat: &Seat<State>, focused: Option<&FocusTarget>) {
    let surface = focused.and_then(|target| target.wl_surface().map(|s| s.into_owned()));
    let display = state.airgui.native.display.clone();
    let client = surface
        .as_ref()
        .and_then(|surface| display.get_client(surface.id()).ok());
    set_data_device_focus(&display, seat, client.clone());
    set_primary_focus(&display, seat, client);

    for (_, window) in state.airgui.native.windows.iter() {
        let Some(toplevel) = window.toplevel() else {
            continue;
        };
        let active = surface.as_ref() == Some(toplevel.wl_surface());
        toplevel.with_pending_state(|pending: &mut ToplevelState| {
            if active {
                pending.states.set(xdg_toplevel::State::Activated);
            } else {
                pending.states.unset(xdg_toplevel::State::Activated);
            }
        });
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
    }
}

delegate_seat!(State);
