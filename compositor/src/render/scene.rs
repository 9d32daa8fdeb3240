//! What a backend draws, seen from the backend: a scene gives the elements of a frame and the
//! pointer, so that backends know nothing of whose windows they show.

use smithay::backend::renderer::ImportAll;

use super::cursor::PointerShape;
use super::element::OutputElement;
use super::textures::{WindowImageImport, WindowTextures};

pub trait Scene {
    /// The elements of one frame, topmost first. Pending image uploads into `textures` happen
    /// here, so that only what changed since the last frame is copied.
    fn elements<R>(
        &mut self,
        renderer: &mut R,
        textures: &mut WindowTextures<R>,
    ) -> Result<Vec<OutputElement<R>>, R::Error>
    where
        R: WindowImageImport + ImportAll,
        R::TextureId: Clone + Send + 'static;

    /// The pointer's shape (none: hidden) and position in output coordinates, for backends that
    /// draw it into their screens.
    fn pointer(&self) -> (Option<&PointerShape>, (f64, f64));
}
