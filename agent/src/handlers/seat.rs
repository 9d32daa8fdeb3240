//! wl_seat with a keyboard and a pointer: focus follows what the daemon says, and the client
//! with keyboard focus may use the selection. The pointer shape goes to the daemon as CURSOR.

use smithay::delegate_seat;
use smithay::input::pointer::{CursorIcon, CursorImageStatus};
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::selection::data_device::set_data_device_focus;
use smithay::wayland::selection::primary_selection::set_primary_focus;

use crate::{backlog, windows, Agent};

impl SeatHandler for Agent {
    type KeyboardFocus = WlSurface;
    type PointerFocus = WlSurface;
    type TouchFocus = WlSurface;

    fn seat_state(&mut self) -> &mut SeatState<Agent> {
        &mut self.seat_state
    }

    fn focus_changed(&mut self, seat: &Seat<Agent>, focused: Option<&WlSurface>) {
        let client = focused.and_then(|surface| self.display.get_client(surface.id()).ok());
        set_data_device_focus(&self.display, seat, client.clone());
        set_primary_focus(&self.display, seat, client);
    }

    fn cursor_image(&mut self, _seat: &Seat<Agent>, image: CursorImageStatus) {
        // Only a window the daemon still has: naming any other breaks the protocol.
        let Some(window) = self
            .input
            .window
            .filter(|id| self.windows.get(*id).is_some())
        else {
            return;
        };
        let cursor = match image {
            CursorImageStatus::Named(icon) => x_font_cursor(icon),
            // A client-drawn cursor cannot cross the protocol; the default arrow stands in.
            CursorImageStatus::Surface(_) | CursorImageStatus::Hidden => DEFAULT_CURSOR,
        };
        windows::cursor_changed(self, window, cursor);
        // Only the client with the pointer over its window may set the cursor (smithay checks).
        if let Some(root) = self
            .windows
            .get(window)
            .map(|w| w.role.wl_surface().clone())
        {
            backlog::limit(self, &root);
        }
    }
}

/// CURSOR 0: the GUI qube's default arrow.
const DEFAULT_CURSOR: u32 = 0;
/// CURSOR `0x100 | n`: X font cursor n (X11/cursorfont.h).
const X_FONT_CURSOR: u32 = 0x100;

/// The X font cursor nearest a named cursor.
fn x_font_cursor(icon: CursorIcon) -> u32 {
    let glyph = match icon {
        CursorIcon::Text | CursorIcon::VerticalText => 152, // XC_xterm
        CursorIcon::Pointer => 60,                          // XC_hand2
        CursorIcon::Crosshair => 34,                        // XC_crosshair
        CursorIcon::Move | CursorIcon::Grab | CursorIcon::Grabbing | CursorIcon::AllScroll => 52, // XC_fleur
        CursorIcon::Wait | CursorIcon::Progress => 150, // XC_watch
        CursorIcon::EwResize
        | CursorIcon::ColResize
        | CursorIcon::EResize
        | CursorIcon::WResize => {
            108 // XC_sb_h_double_arrow
        }
        CursorIcon::NsResize
        | CursorIcon::RowResize
        | CursorIcon::NResize
        | CursorIcon::SResize => {
            116 // XC_sb_v_double_arrow
        }
        CursorIcon::Help => 92, // XC_question_arrow
        _ => return DEFAULT_CURSOR,
    };
    X_FONT_CURSOR | glyph
}

delegate_seat!(Agent);
