//! A zone frame's decorations: the double border and title bar in the zone's colour while its
//! link is up; grey, titled "connecting", with a veil over the last picture while it is down.

use smithay::backend::renderer::element::solid::SolidColorRenderElement;
use smithay::backend::renderer::element::Kind;
use smithay::backend::renderer::{Color32F, ImportAll, ImportMem, Renderer};

use guid_protocol::Rect;

use super::decorations::Style;
use super::element::OutputElement;
use crate::config::Rgb;
use crate::shell::Metrics;
use crate::zones::zone::Zone;

/// The frame colour of a zone that is down, whatever its label.
pub const GREYED: Rgb = Rgb {
    r: 0x80,
    g: 0x80,
    b: 0x80,
};

/// The veil over a down zone's last picture: the background colour, mostly opaque.
const VEIL: [f32; 4] = [0.125, 0.125, 0.125, 0.7];

/// The zone frame's elements in front of its content, topmost first.
pub fn elements<R>(
    renderer: &mut R,
    zone: &mut Zone,
    frame: Rect,
    content: Rect,
    metrics: Metrics,
) -> Result<Vec<OutputElement<R>>, R::Error>
where
    R: Renderer + ImportAll + ImportMem,
    R::TextureId: Clone + Send + 'static,
{
    let live = zone.status.is_connected();
    let style = Style::ZoneFrame {
        title: zone.title(),
        colour: if live { zone.colour } else { GREYED },
    };
    let mut elements = zone
        .decorations
        .elements(renderer, frame, content, &style, metrics)?;
    if !live {
        let [r, g, b, a] = VEIL;
        zone.veil.update(
            (content.width as i32, content.height as i32),
            Color32F::new(r * a, g * a, b * a, a),
        );
        elements.push(OutputElement::Solid(SolidColorRenderElement::from_buffer(
            &zone.veil,
            (content.x, content.y),
            1.0,
            1.0,
            Kind::Unspecified,
        )));
    }
    Ok(elements)
}
