//! What the output shows, as Smithay render elements, generic over the renderer: every visible
//! window from the top down, each with its trust decorations in front of its content.

pub mod cursor;
pub mod decorations;
pub mod text;
pub mod textures;

use smithay::backend::renderer::element::memory::MemoryRenderBufferRenderElement;
use smithay::backend::renderer::element::render_elements;
use smithay::backend::renderer::element::solid::SolidColorRenderElement;
use smithay::backend::renderer::element::texture::TextureRenderElement;
use smithay::backend::renderer::{ImportAll, ImportMem, Renderer, RendererSuper};

use crate::qubes::WindowKey;
use crate::shell::{Sizing, WindowKind};
use crate::state::Airgui;
use decorations::Style;
pub use textures::WindowTextures;

render_elements! {
    pub OutputElement<R> where R: ImportAll + ImportMem;
    Texture = TextureRenderElement<<R as RendererSuper>::TextureId>,
    Solid = SolidColorRenderElement,
    Memory = MemoryRenderBufferRenderElement<R>,
}

/// The elements of one frame, topmost first. Pending image uploads happen here, so only what
/// changed since the last frame is copied.
pub fn output_elements<R>(
    renderer: &mut R,
    textures: &mut WindowTextures<R>,
    airgui: &mut Airgui,
) -> Result<Vec<OutputElement<R>>, R::Error>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Send + 'static,
{
    for (qube_index, qube) in airgui.qubes.iter_mut().enumerate() {
        for (id, window) in &mut qube.windows {
            let key = WindowKey {
                qube: qube_index,
                window: *id,
            };
            textures.upload(renderer, key, window)?;
        }
    }

    let metrics = airgui.shell.metrics();
    let mut elements = Vec::new();
    let visible: Vec<_> = airgui
        .shell
        .visible_top_to_bottom()
        .map(|(key, shell_window)| (key, *shell_window))
        .collect();
    for (key, shell_window) in visible {
        let Some(qube) = airgui.qubes.get_mut(key.qube) else {
            continue;
        };
        let colour = qube.colour;
        let name = qube.config.name.clone();
        let Some(window) = qube.windows.get_mut(&key.window) else {
            continue;
        };
        let content = shell_window.content;
        let style = match (shell_window.kind, shell_window.sizing) {
            (WindowKind::OverrideRedirect, _) | (_, Sizing::Fullscreen { .. }) => {
                Style::Marker { colour }
            }
            (WindowKind::Normal, _) => Style::TitleBar {
                title: format!("[{name}] {}", window.title.as_str()),
                colour,
            },
        };
        let frame = airgui.shell.frame(key).unwrap_or(content);
        elements.extend(
            window
                .decorations
                .elements(renderer, frame, content, &style, metrics)?,
        );
        elements.extend(textures.element(key, content).map(OutputElement::Texture));
    }
    Ok(elements)
}
