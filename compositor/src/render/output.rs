//! The compositor's scene: every visible window from the top down (a qube's, one of the GUI
//! qube's own, or, on a master, a zone frame), each with its trust decorations in front of its
//! content.

use smithay::backend::renderer::element::surface::{
    render_elements_from_surface_tree, WaylandSurfaceRenderElement,
};
use smithay::backend::renderer::element::utils::CropRenderElement;
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{ImportAll, ImportMem, Renderer};
use smithay::utils::{Physical, Point, Rectangle};

use super::cursor::PointerShape;
use super::decorations::Style;
use super::element::OutputElement;
use super::scene::Scene;
use super::textures::{TextureKey, Upload, WindowImageImport, WindowTextures};
use super::upload_plan::{self, UploadBudget};
use super::zone_frame;
use crate::qubes::WindowKey;
use crate::shell::{Sizing, WindowKind};
use crate::shell_key::ShellKey;
use crate::state::Airgui;
use crate::wayland::native_windows::window_geometry;
use crate::zones::zone::ZoneId;

impl Scene for Airgui {
    fn elements<R>(
        &mut self,
        renderer: &mut R,
        textures: &mut WindowTextures<R>,
    ) -> Result<Vec<OutputElement<R>>, R::Error>
    where
        R: WindowImageImport + ImportAll,
        R::TextureId: Clone + Send + 'static,
    {
        output_elements(renderer, textures, self)
    }

    fn pointer(&self) -> (Option<&PointerShape>, (f64, f64)) {
        (self.input.shape(), self.input.pointer)
    }
}

/// The elements of one frame, topmost first. Pending image uploads happen here, so only what
/// changed since the last frame is copied, within a budget per frame (the rest is copied in the
/// next frame, queued here); a window whose upload fails is left out, not the frame.
fn output_elements<R>(
    renderer: &mut R,
    textures: &mut WindowTextures<R>,
    airgui: &mut Airgui,
) -> Result<Vec<OutputElement<R>>, R::Error>
where
    R: WindowImageImport + ImportAll,
    R::TextureId: Clone + Send + 'static,
{
    let mut budget = UploadBudget::new(upload_plan::UPLOAD_BYTES_PER_FRAME);
    let mut waiting = false;
    for (qube_index, qube) in airgui.qubes.iter_mut().enumerate() {
        let name = qube.config.name.as_str();
        for (id, window) in &mut qube.windows {
            let key = WindowKey {
                qube: qube_index,
                window: *id,
            };
            let uploaded = textures.upload_window(renderer, key, name, window, &mut budget);
            waiting |= uploaded == Upload::Later;
        }
    }
    for (index, zone) in airgui.zones.iter_mut().enumerate() {
        waiting |=
            textures.upload_zone(renderer, ZoneId(index), zone, &mut budget) == Upload::Later;
    }
    if waiting {
        // Over this frame's upload budget: the rest goes into the next frame.
        airgui.queue_redraw();
    }

    let mut elements = Vec::new();
    let visible: Vec<_> = airgui
        .shell
        .visible_top_to_bottom()
        .map(|(key, shell_window)| (key, *shell_window))
        .collect();
    for (key, shell_window) in visible {
        let content = shell_window.content;
        let frame = airgui.shell.frame(key).unwrap_or(content);
        let metrics = airgui.shell.metrics_of(shell_window.kind);
        let focused = airgui.shell.focus() == Some(key);
        match key {
            ShellKey::Qube(window_key) => {
                let Some(qube) = airgui.qubes.get_mut(window_key.qube) else {
                    continue;
                };
                let colour = qube.colour;
                let Some(window) = qube.windows.get_mut(&window_key.window) else {
                    continue;
                };
                let style = match (shell_window.kind, shell_window.sizing) {
                    (WindowKind::OverrideRedirect, _) | (_, Sizing::Fullscreen { .. }) => {
                        Style::Marker { colour }
                    }
                    _ => Style::TitleBar {
                        title: format!("[{}] {}", qube.config.name, window.title.as_str()),
                        colour,
                        focused,
                    },
                };
                elements.extend(
                    window
                        .decorations
                        .elements(renderer, frame, content, &style, metrics)?,
                );
                elements.extend(
                    textures
                        .element(TextureKey::Qube(window_key), content)
                        .map(OutputElement::Texture),
                );
                elements.push(OutputElement::Solid(window.decorations.backdrop(content)));
            }
            ShellKey::Zone(id) => {
                let Some(zone) = airgui.zones.get_mut(id.0) else {
                    continue;
                };
                elements.extend(zone_frame::elements(
                    renderer, zone, frame, content, metrics,
                )?);
                elements.extend(
                    textures
                        .element(TextureKey::Zone(id), content)
                        .map(OutputElement::Texture),
                );
            }
            ShellKey::Native(id) => {
                let colour = airgui.native_colour();
                let Some(window) = airgui.native.windows.get_mut(id) else {
                    continue;
                };
                let style = match shell_window.kind {
                    WindowKind::Normal => Style::TitleBar {
                        title: window.title(),
                        colour,
                        focused,
                    },
                    _ => Style::Marker { colour },
                };
                elements.extend(
                    window
                        .decorations
                        .elements(renderer, frame, content, &style, metrics)?,
                );
                let surface = window.wl_surface().clone();
                elements.extend(native_content(renderer, &surface, content));
            }
        }
    }
    Ok(elements)
}

/// A native window's surfaces, cut to its content (its xdg window geometry placed on the
/// output): what a client draws outside its geometry, such as shadows, is not shown.
fn native_content<R>(
    renderer: &mut R,
    surface: &smithay::reexports::wayland_server::protocol::wl_surface::WlSurface,
    content: guid_protocol::Rect,
) -> Vec<OutputElement<R>>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Send + 'static,
{
    let geometry = window_geometry(surface);
    let origin: Point<i32, Physical> =
        (content.x - geometry.loc.x, content.y - geometry.loc.y).into();
    let crop = Rectangle::<i32, Physical>::new(
        (content.x, content.y).into(),
        (content.width as i32, content.height as i32).into(),
    );
    let surfaces: Vec<WaylandSurfaceRenderElement<R>> =
        render_elements_from_surface_tree(renderer, surface, origin, 1.0, 1.0, Kind::Unspecified);
    surfaces
        .into_iter()
        .filter_map(|element| CropRenderElement::from_element(element, 1.0, crop))
        .map(OutputElement::Surface)
        .collect()
}
