//! The one render element type every frame is made of, whatever the backend: a texture (a qube's
//! image, a zone's framebuffer), a solid colour (borders, backdrops), a memory buffer (title
//! bars, cursors) or a native client's surface cut to its window.

use smithay::backend::renderer::element::memory::MemoryRenderBufferRenderElement;
use smithay::backend::renderer::element::render_elements;
use smithay::backend::renderer::element::solid::SolidColorRenderElement;
use smithay::backend::renderer::element::surface::WaylandSurfaceRenderElement;
use smithay::backend::renderer::element::texture::TextureRenderElement;
use smithay::backend::renderer::element::utils::CropRenderElement;
use smithay::backend::renderer::{Color32F, ImportAll, ImportMem, RendererSuper};

render_elements! {
    pub OutputElement<R> where R: ImportAll + ImportMem;
    Texture = TextureRenderElement<<R as RendererSuper>::TextureId>,
    Solid = SolidColorRenderElement,
    Memory = MemoryRenderBufferRenderElement<R>,
    Surface = CropRenderElement<WaylandSurfaceRenderElement<R>>,
}

/// The desktop behind the windows, #202020.
pub const BACKGROUND: Color32F = Color32F::new(0.125, 0.125, 0.125, 1.0);
