//! The compositor as a backend's event sources see it: what they hand their events to. The
//! backends are below the compositor's state, which owns them; this is how they reach up.

use smithay::backend::input::{InputBackend, InputEvent};

use crate::render::cursor::PointerShape;

pub trait BackendHost: Sized + 'static {
    /// Something on screen changed: draw a frame at the next frame time.
    fn queue_redraw(&mut self);

    /// The output took a new size (a window resized, monitors changed).
    fn resize_output(&mut self, width: u32, height: u32);

    /// Keys, buttons and motion from the backend's devices, for the same routing as any input.
    fn handle_input<B: InputBackend>(&mut self, event: InputEvent<B>);

    /// The pointer as the next frame draws it: its shape and position.
    fn pointer(&self) -> (Option<PointerShape>, (f64, f64));

    /// The user ended the session (closed the nested window): airgui exits.
    fn stop(&mut self);
}
