//! The compositor as its backends see it (`backend::host`): their events go where every other
//! event of the same kind goes.

use smithay::backend::input::{InputBackend, InputEvent};

use crate::backend::host::BackendHost;
#[cfg(feature = "udev")]
use crate::backend::{udev::UdevHost, Backend, Udev};
use crate::render::cursor::PointerShape;
use crate::state::State;

impl BackendHost for State {
    fn queue_redraw(&mut self) {
        self.airgui.queue_redraw();
    }

    fn resize_output(&mut self, width: u32, height: u32) {
        State::resize_output(self, width, height);
    }

    fn handle_input<B: InputBackend>(&mut self, event: InputEvent<B>) {
        self.handle_input_event(event);
    }

    fn pointer(&self) -> (Option<PointerShape>, (f64, f64)) {
        (
            self.airgui.input.shape().cloned(),
            self.airgui.input.pointer,
        )
    }

    fn stop(&mut self) {
        self.airgui.stop();
    }
}

#[cfg(feature = "udev")]
impl UdevHost for State {
    fn udev(&mut self) -> Option<&mut Udev> {
        match &mut self.backend {
            Backend::Udev(udev) => Some(udev),
            _ => None,
        }
    }
}
